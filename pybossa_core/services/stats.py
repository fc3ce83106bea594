"""The site's public lists: the home page's, the announcements and the leaderboard's entries (the figures
of ``/stats/`` come from the stats plugin's site calculator).

Never given a request: the views in ``pybossa_core.views.site`` call these with the session
and keep the answers in the site's cache (``site`` namespace), so a warm page reads no table.
"""
from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pybossa_core.formatting import format_time
from pybossa_core.models import Announcement, Category, Project
from pybossa_core.security import listed_publicly
from pybossa_core.models import figure_counts
from pybossa_core.services.projects import project_cards

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


@functools.cache
def _home_projects_query() -> sa.Select:
    """Every project the home page lists, with its category: each category's first
    ``HOME_PROJECTS_PER_CATEGORY`` (and the uncategorised ones'), the featured ones and the
    ``active`` ones; built once (building it cost about as much as running it)."""
    # Each listed project's place in its category (the uncategorised ones are one more), by id.
    place = sa.func.row_number().over(partition_by=Project.category_id, order_by=Project.id).label("place")
    listed = sa.select(
        Project.id, Project.name, Project.short_name, Project.description, Project.info, Project.owner_id,
        Project.featured, Project.category_id, place,
    ).where(listed_publicly()).subquery("listed")
    shown = sa.or_(listed.c.place <= HOME_PROJECTS_PER_CATEGORY, listed.c.featured.is_(True),
                   listed.c.id.in_(sa.bindparam("active", expanding=True)))
    # The categories in the database's order of their names; each one's projects by id.
    return (sa.select(listed, Category).outerjoin(Category, Category.id == listed.c.category_id)
            .where(shown).order_by(Category.name, listed.c.id))


def home(session: Session, top_users: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the home page's lists: categories (Featured first when any project is featured, Other
    projects last when a published project has no category), their published projects, the most active projects (most answers) and ``top_users``.

    Three queries whatever the number of categories (each a round trip, the page's cost on
    PostgreSQL): the most active projects' ids, every project a list shows with its category, and
    their counters."""
    active_ids = [project_id for project_id, _ in figure_counts.most_answered(
        session, [Project.id], where=[listed_publicly()], size=HOME_TOP_PROJECTS)]
    rows = session.execute(_home_projects_query(), {"active": active_ids}).all()
    cards = {row.id: _card(card) for row, card in zip(rows, project_cards(session, rows))}
    categories: list[dict[str, Any]] = []
    categories_projects: dict[str, list[dict[str, Any]]] = {}
    uncategorised = []
    for row in rows:
        if row.place > HOME_PROJECTS_PER_CATEGORY:
            continue
        if row.Category is None:
            uncategorised.append(cards[row.id])
            continue
        if row.Category.short_name not in categories_projects:
            categories.append(category_json(row.Category))
            categories_projects[row.Category.short_name] = []
        categories_projects[row.Category.short_name].append(cards[row.id])
    if uncategorised:
        categories.append(dict(UNCATEGORISED))
        categories_projects[UNCATEGORISED["short_name"]] = uncategorised
    featured = [cards[project_id] for project_id in sorted(row.id for row in rows if row.featured)]
    if featured:
        categories.insert(0, dict(FEATURED))
        categories_projects[FEATURED["short_name"]] = featured
    return {
        "categories": categories,
        "categories_projects": categories_projects,
        # A project unlisted between the two queries is left out, not an error.
        "top_projects": [cards[project_id] for project_id in active_ids if project_id in cards],
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
