"""The site's public figures: the global stats page, the home page's lists and the leaderboard's entries.

Never given a request: the views in ``pybossa_core.views.site`` call these with the session
and keep the answers in the site's cache (``site`` namespace), so a warm page reads no table.
"""
from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pybossa_core.models import Announcement, Category, Project, Task, TaskRun, User
from pybossa_core.models.meta import utcnow
from pybossa_core.services.accounts import format_time, project_summaries

#: How many projects and users the 24-hour lists of the stats page show.
TOP_24_HOURS = 5
#: How many projects the home page shows as the most active, and how many users as the top ones.
HOME_TOP_PROJECTS = 4
HOME_TOP_USERS = 10
#: How many projects of each category the home page shows.
HOME_PROJECTS_PER_CATEGORY = 20
#: The keys of a project's ``info`` that lists show.
PROJECT_FACE = ("thumbnail", "thumbnail_url", "container")
#: The category the home page lists the featured projects under.
FEATURED = {"created": None, "description": None, "id": None, "name": "Featured", "short_name": "featured"}


def _chart(label: str, values: Mapping[str, tuple[int, int]]) -> dict[str, Any]:
    """Return one of the stats page's charts as PYBOSSA draws it: ``{label, values: [{label, value}]}``."""
    return {"label": label, "values": [{"label": name, "value": list(value)} for name, value in values.items()]}


def global_stats(session: Session, now: datetime.datetime | None = None) -> dict[str, Any]:
    """Return the figures of ``/stats/``: totals, the three charts and the top 5 of the last 24 hours.

    Task runs are counted through the tasks' ``n_task_runs`` counters; anonymous contributors
    are the distinct addresses of anonymous task runs (one scan, which the cache pays once).
    """
    n_published, n_draft = session.execute(
        sa.select(
            sa.func.count(Project.id).filter(Project.published.is_(True)),
            sa.func.count(Project.id).filter(Project.published.is_(False)),
        )
    ).one()
    n_tasks, n_task_runs = session.execute(
        sa.select(sa.func.count(Task.id), sa.func.coalesce(sa.func.sum(Task.n_task_runs), 0))
    ).one()
    n_auth = session.scalar(sa.select(sa.func.count(User.id))) or 0
    n_anon = session.scalar(
        sa.select(sa.func.count(sa.distinct(TaskRun.user_ip))).where(TaskRun.user_id.is_(None))
    ) or 0
    stats = {
        "n_anon": n_anon,
        "n_auth": n_auth,
        "n_draft_projects": n_draft,
        "n_published_projects": n_published,
        "n_task_runs": int(n_task_runs),
        "n_tasks": n_tasks,
        "n_total_projects": n_published + n_draft,
        "n_total_users": n_anon + n_auth,
    }
    since = (now or utcnow()) - datetime.timedelta(hours=24)
    return {
        "stats": stats,
        "users": _chart("User Statistics", {"Anonymous": (0, n_anon), "Authenticated": (0, n_auth)}),
        "projects": _chart("Projects Statistics", {"Published": (0, n_published), "Draft": (0, n_draft)}),
        "tasks": _chart("Task and Task Run Statistics", {"Tasks": (0, n_tasks), "Answers": (1, int(n_task_runs))}),
        "top5_projects_24_hours": top_projects_since(session, since),
        "top5_users_24_hours": top_users_since(session, since),
    }


def top_projects_since(session: Session, since: datetime.datetime, size: int = TOP_24_HOURS) -> list[dict[str, Any]]:
    """Return the published projects that got the most answers since ``since`` (an index range on ``created``)."""
    recent = (
        sa.select(TaskRun.project_id, sa.func.count(TaskRun.id).label("n_answers"))
        .where(TaskRun.created >= since)
        .group_by(TaskRun.project_id)
        .subquery()
    )
    rows = session.execute(
        sa.select(Project, recent.c.n_answers)
        .join(recent, recent.c.project_id == Project.id)
        .where(Project.published.is_(True))
        .order_by(recent.c.n_answers.desc(), Project.id)
        .limit(size)
    ).all()
    return [
        {"id": project.id, "name": project.name, "short_name": project.short_name,
         "info": _face(project.info), "n_answers": n_answers}
        for project, n_answers in rows
    ]


def top_users_since(session: Session, since: datetime.datetime, size: int = TOP_24_HOURS) -> list[dict[str, Any]]:
    """Return the users who gave the most answers since ``since``."""
    recent = (
        sa.select(TaskRun.user_id, sa.func.count(TaskRun.id).label("n_answers"))
        .where(TaskRun.created >= since, TaskRun.user_id.is_not(None))
        .group_by(TaskRun.user_id)
        .subquery()
    )
    rows = session.execute(
        sa.select(User.id, User.name, User.fullname, recent.c.n_answers)
        .join(recent, recent.c.user_id == User.id)
        .order_by(recent.c.n_answers.desc(), User.id)
        .limit(size)
    ).all()
    return [{"id": id_, "name": name, "fullname": fullname, "n_answers": n} for id_, name, fullname, n in rows]


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
    """Return the home page's lists: categories (Featured first when any project is featured), their
    published projects, the most active projects (most answers) and ``top_users``."""
    published = sa.select(Project).where(Project.published.is_(True))
    used = session.scalars(
        sa.select(Category)
        .where(sa.exists().where(Project.category_id == Category.id, Project.published.is_(True)))
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
    featured = [_card(card) for card in project_summaries(session, published.where(Project.featured.is_(True)))]
    if featured:
        categories.insert(0, dict(FEATURED))
        categories_projects[FEATURED["short_name"]] = featured
    answers = sa.func.coalesce(sa.func.sum(Task.n_task_runs), 0)
    active_ids = session.scalars(
        sa.select(Task.project_id)
        .join(Project, Project.id == Task.project_id)
        .where(Project.published.is_(True))
        .group_by(Task.project_id)
        .having(answers > 0)
        .order_by(answers.desc(), Task.project_id)
        .limit(HOME_TOP_PROJECTS)
    ).all()
    by_id = {card["id"]: _card(card) for card in project_summaries(session, published.where(Project.id.in_(active_ids)))}
    return {
        "categories": categories,
        "categories_projects": categories_projects,
        "top_projects": [by_id[project_id] for project_id in active_ids],
        "top_users": top_users,
    }


def leader_entry(entry: Mapping[str, Any]) -> dict[str, Any]:
    """Return a leaderboard entry (``accounts.top_users``) as the leaderboard and home pages show it."""
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
    return session.scalar(sa.select(Project.id).where(Project.published.is_(True)).order_by(Project.id).limit(1))
