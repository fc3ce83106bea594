"""A user as the pages show them: their public face to everybody, their whole account to themselves."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from pybossa_core.formatting import format_time, pretty_date
from pybossa_core.models import User, figure_counts
from pybossa_core.services import users


def public_user(user: User, summary: Mapping[str, int]) -> dict[str, Any]:
    """Return what anybody may see of ``user`` (more when privacy mode is off)."""
    data: dict[str, Any] = {
        "name": user.name,
        "fullname": user.fullname,
        "info": users.public_info(user.info),
        "rank": summary["rank"],
        "score": summary["score"],
        "n_answers": summary["score"],
    }
    if not user.privacy_mode:
        data.update(created=format_time(user.created), registered_ago=pretty_date(user.created), locale=user.locale)
    return data


def own_user(session: Session, user: User, summary: Mapping[str, int]) -> dict[str, Any]:
    """Return everything ``user`` may see of their own account (the spec's signed-in profile)."""
    identities = users.identities_of(session, user)
    return {
        "id": user.id,
        "name": user.name,
        "fullname": user.fullname,
        "email_addr": user.email_addr,
        "admin": user.admin,
        "api_key": user.api_key,
        "created": format_time(user.created),
        "registered_ago": pretty_date(user.created),
        "locale": user.locale,
        "privacy_mode": user.privacy_mode,
        "subscribed": user.subscribed,
        "valid_email": user.valid_email,
        "confirmation_email_sent": user.confirmation_email_sent,
        "twitter_user_id": identities.get("twitter"),
        "facebook_user_id": identities.get("facebook"),
        "google_user_id": identities.get("google"),
        "info": users.public_info(user.info),
        "rank": summary["rank"],
        "score": summary["score"],
        "n_answers": summary["score"],
        # The site's users as the triggers count them (migration 0015), not a count of the table.
        "total": figure_counts.n_users(session),
    }
