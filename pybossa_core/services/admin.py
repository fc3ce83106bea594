"""What admins do to the site: announcements, admin rights, categories and featured projects.

Writes of users, projects and categories make the cache's ``site`` namespace stale by
themselves (``pybossa_core.services.cache``), so nothing here invalidates by hand.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pybossa_core.formatting import format_time
from pybossa_core.models import Announcement, Category, Project, User
from pybossa_core.services.users import identities_of


def category_short_name(name: str) -> str:
    """Return the short name of a category's page: letters, digits and ``-`` only.

    PYBOSSA lower-cases the name and drops its spaces; any other character that is not an
    ASCII letter or digit (a ``/`` made the page unreachable) becomes ``-``, accents dropped.
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower().replace(" ", "")).strip("-") or "category"


def announcements(session: Session) -> list[Announcement]:
    """Return every announcement, published or not, newest first."""
    query = sa.select(Announcement).order_by(Announcement.created.desc(), Announcement.id.desc())
    return list(session.scalars(query))


def create_announcement(session: Session, author: User, values: Mapping[str, Any]) -> Announcement:
    announcement = Announcement(user_id=author.id, **values)
    session.add(announcement)
    session.flush()
    return announcement


def admins(session: Session) -> list[User]:
    """Return every admin, oldest first."""
    return list(session.scalars(sa.select(User).where(User.admin.is_(True)).order_by(User.id)))


def search_users(session: Session, text: str, besides: User) -> list[User]:
    """Return the users other than ``besides`` whose name, full name or e-mail address contains ``text``."""
    pattern = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    matches = sa.or_(*(sa.func.lower(column).like(pattern, escape="\\") for column in (User.name, User.fullname, User.email_addr)))
    return list(session.scalars(sa.select(User).where(matches, User.id != besides.id).order_by(User.id)))


def user_json(session: Session, user: User) -> dict[str, Any]:
    """Return a user's account as PYBOSSA shows it to admins (every column)."""
    identities = identities_of(session, user)
    return {
        "admin": user.admin,
        "api_key": user.api_key,
        "category": user.category,
        "ckan_api": user.ckan_api,
        "confirmation_email_sent": user.confirmation_email_sent,
        "created": format_time(user.created),
        "email_addr": user.email_addr,
        "facebook_user_id": identities.get("facebook"),
        "flags": user.flags,
        "fullname": user.fullname,
        "google_user_id": identities.get("google"),
        "id": user.id,
        "info": {key: value for key, value in (user.info or {}).items() if not key.endswith("_token")},
        "locale": user.locale,
        "name": user.name,
        "newsletter_prompted": user.newsletter_prompted,
        "passwd_hash": user.passwd_hash,
        "privacy_mode": user.privacy_mode,
        "pro": user.pro,
        "subscribed": user.subscribed,
        "twitter_user_id": identities.get("twitter"),
        "valid_email": user.valid_email,
    }


def categories(session: Session) -> list[Category]:
    """Return every category, by name."""
    return list(session.scalars(sa.select(Category).order_by(Category.name, Category.id)))


def n_projects_per_category(session: Session, listed: list[Category]) -> dict[str, int]:
    """Return the number of published projects of each category in ``listed``, by short name."""
    counts = dict(
        session.execute(
            sa.select(Project.category_id, sa.func.count(Project.id))
            .where(Project.published.is_(True), Project.category_id.is_not(None))
            .group_by(Project.category_id)
        ).all()
    )
    return {category.short_name: counts.get(category.id, 0) for category in listed}


def create_category(session: Session, values: Mapping[str, Any]) -> Category:
    category = Category(short_name=category_short_name(values["name"]), **values)
    session.add(category)
    session.flush()
    return category


def update_category(category: Category, values: Mapping[str, Any]) -> None:
    category.name = values["name"]
    category.short_name = category_short_name(values["name"])
    category.description = values["description"]


def project_json(project: Project) -> dict[str, Any]:
    """Return a project's columns as PYBOSSA answers a feature or un-feature."""
    return {
        "allow_anonymous_contributors": project.allow_anonymous_contributors,
        "category_id": project.category_id,
        "contacted": project.contacted,
        "created": format_time(project.created),
        "description": project.description,
        "featured": project.featured,
        "id": project.id,
        "info": project.info or {},
        "long_description": project.long_description,
        "name": project.name,
        "owner_id": project.owner_id,
        "published": project.published,
        "secret_key": project.secret_key,
        "short_name": project.short_name,
        "updated": format_time(project.updated),
        "webhook": project.webhook,
    }
