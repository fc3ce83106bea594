"""The site's public lists: the home page's, the announcements and the leaderboard's entries (the figures
of ``/stats/`` come from the stats plugin's site calculator).

Never given a request: the views in ``pybossa_core.views.site`` call these with the session
and keep the answers in the site's cache (``site`` namespace), so a warm page reads no table.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pybossa_core.formatting import format_time
from pybossa_core.models import Announcement, Category, Project
from pybossa_core.security import listed_publicly
from pybossa_core.models import figure_counts
from pybossa_core.services.projects import project_summaries

#: How many projects the home page shows as the most active, and how many users as the top ones.
HOME_TOP_PROJECTS = 4
HOME_TOP_USERS = 10
#: How many projects of each category the home page shows.
HOME_PROJECTS_PER_CATEGORY = 20
#: The keys of a project's ``info`` that lists show.
PROJECT_FACE = ("thumbnail", "thumbnail_url", "container")
#: The category the home page lists the featured projects under.
FEATURED = {"created": None, "description": None, "id": None, "name": "Featured", "short_name": "featured"}
#: The heading the home page lists published projects without a category under, after the categories.
UNCATEGORISED = {"created": None, "description": None, "id": None, "name": "Other projects", "short_name": "uncategorised"}


def _face(info: Any) -> dict[str, Any]:
    """Return the parts of a project's ``info`` a list shows (never its presenter or secrets)."""
    return {key: value for key, value in (info or {}).items() if key in PROJECT_FACE}


def _card(card: Mapping[str, Any]) -> dict[str, Any]:
    return {**card, "info": _face(card["info"])}


def category_json(category: Category) -> dict[str, Any]:
    """Return a category as PYBOSSA shows it."""
    return {
        "created": format_time(category.created),
        "description": category.description,
        "id": category.id,
        "name": category.name,
        "short_name": category.short_name,
    }


def home(session: Session, top_users: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the home page's lists: categories (Featured first when any project is featured, Other
    projects last when a published project has no category), their published projects, the most active projects (most answers) and ``top_users``."""
    published = sa.select(Project).where(listed_publicly())
    used = session.scalars(
        sa.select(Category)
        .where(sa.exists().where(Project.category_id == Category.id, listed_publicly()))
        .order_by(Category.name)
    ).all()
    categories = [category_json(category) for category in used]
    categories_projects = {
        category.short_name: [
            _card(card)
            for card in project_summaries(
                session, published.where(Project.category_id == category.id).limit(HOME_PROJECTS_PER_CATEGORY)
            )
        ]
        for category in used
    }
    uncategorised = [
        _card(card)
        for card in project_summaries(
            session, published.where(Project.category_id.is_(None)).limit(HOME_PROJECTS_PER_CATEGORY)
        )
    ]
    if uncategorised:
        categories.append(dict(UNCATEGORISED))
        categories_projects[UNCATEGORISED["short_name"]] = uncategorised
    featured = [_card(card) for card in project_summaries(session, published.where(Project.featured.is_(True)))]
    if featured:
        categories.insert(0, dict(FEATURED))
        categories_projects[FEATURED["short_name"]] = featured
    active_ids = [project_id for project_id, _ in figure_counts.most_answered(
        session, [Project.id], where=[listed_publicly()], size=HOME_TOP_PROJECTS)]
    by_id = {card["id"]: _card(card) for card in project_summaries(session, published.where(Project.id.in_(active_ids)))}
    return {
        "categories": categories,
        "categories_projects": categories_projects,
        "top_projects": [by_id[project_id] for project_id in active_ids],
        "top_users": top_users,
    }


def leader_entry(entry: Mapping[str, Any]) -> dict[str, Any]:
    """Return a leaderboard entry (``community.top_users``) as the leaderboard and home pages show it."""
    return {
        "created": entry["created"],
        "fullname": entry["fullname"],
        "info": entry["info"],
        "n_answers": None,
        "name": entry["name"],
        "rank": entry["rank"],
        "registered_ago": None,
        "score": entry["score"],
    }


def published_announcements(session: Session) -> list[dict[str, Any]]:
    """Return the published announcements, newest first."""
    rows = session.scalars(
        sa.select(Announcement)
        .where(Announcement.published.is_(True))
        .order_by(Announcement.created.desc(), Announcement.id.desc())
    )
    return [announcement_json(announcement) for announcement in rows]


def announcement_json(announcement: Announcement) -> dict[str, Any]:
    """Return an announcement as PYBOSSA shows it."""
    return {
        "body": announcement.body,
        "created": format_time(announcement.created),
        "id": announcement.id,
        "media_url": announcement.media_url,
        "published": announcement.published,
        "title": announcement.title,
        "updated": format_time(announcement.updated),
        "user_id": announcement.user_id,
    }


def example_project_id(session: Session) -> int | None:
    """Return the id of a published project for the API help's examples (the oldest), or None."""
    return session.scalar(sa.select(Project.id).where(listed_publicly()).order_by(Project.id).limit(1))
