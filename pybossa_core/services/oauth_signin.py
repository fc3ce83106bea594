"""Signing in with a provider (Twitter, Facebook, Google): the account a provider's profile opens.

The providers' own dance (redirects, tokens) is their plugins'; this is what the site does with
the profile they hand back.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pybossa_core.i18n import _
from pybossa_core.models import User, UserIdentity
from pybossa_core.services.users import create_user, find_by_email

EMAIL_TAKEN_BY_ANOTHER = _("Sorry, there is already an account with the same e-mail.")


def _unique_name(session: Session, wanted: str) -> str:
    base = re.sub(r"[$#&\\/| ]+", "", wanted)[:30] or "user"
    name, number = base, 1
    while session.scalar(sa.select(User.id).where(sa.func.lower(User.name) == name.lower())) is not None:
        number += 1
        name = f"{base}{number}"
    return name


def sign_in_with_profile(session: Session, profile: Mapping[str, Any]) -> tuple[User | None, str | None]:
    """Return the user a provider's profile signs in (creating the account the first time).

    The provider's tokens are kept in ``info["<provider>_token"]`` (PYBOSSA's
    place, served by ``/api/token``).  A new profile whose e-mail belongs to an
    existing account is refused rather than merged: the provider's word is not
    proof that the person owns that account.  Returns ``(user, None)`` or
    ``(None, message)``.
    """
    provider, external_id = profile["provider"], str(profile["external_id"])
    identity = session.scalar(
        sa.select(UserIdentity).where(UserIdentity.provider == provider, UserIdentity.external_id == external_id)
    )
    if identity is not None:
        user = session.get(User, identity.user_id)
    else:
        email = profile.get("email")
        if email and find_by_email(session, email) is not None:
            return None, EMAIL_TAKEN_BY_ANOTHER
        name = _unique_name(session, profile["name"])
        user = create_user(
            session,
            name=name,
            fullname=profile.get("fullname") or name,
            # PYBOSSA's placeholder when the provider gives no address (Twitter): the user name.
            email_addr=email or _unique_placeholder(session, name),
            valid_email=bool(email),
        )
        session.add(UserIdentity(user_id=user.id, provider=provider, external_id=external_id))
    info = dict(user.info or {})
    info[f"{provider}_token"] = dict(profile.get("tokens") or {})
    user.info = info
    session.flush()
    return user, None


def _unique_placeholder(session: Session, name: str) -> str:
    placeholder, number = name, 1
    while find_by_email(session, placeholder) is not None:
        number += 1
        placeholder = f"{name}{number}"
    return placeholder
