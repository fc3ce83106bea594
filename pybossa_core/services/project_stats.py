"""A project's statistics page (computed by the stats plugin's project calculator) and the
project listings of categories, computed with aggregate queries.

Both are cached in the site cache's ``site`` namespace, which every write of a user, project,
category or task run invalidates: a warm request reads them without touching the task runs.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pybossa_core.formatting import format_time, pretty_date
from pybossa_core.models import Category, Project, User
from pybossa_core.models.meta import utcnow
from pybossa_core.security import listed_publicly
from pybossa_core.models import figure_counts
from pybossa_core.services.cache import SITE, Cache
from pybossa_core.services.projects import ProjectStats, public_project

#: The columns a category listing may be ordered by (``orderby``).
ORDER_COLUMNS = frozenset(
    {"id", "name", "short_name", "created", "updated", "description", "n_tasks", "n_volunteers",
     "overall_progress", "last_activity_raw"}
)
def cached_stats(session: Session, project: Project, cache: Cache, recompute: Callable[..., Any]) -> dict[str, Any] | None:
    """The project calculator's figures, kept in the ``site`` namespace until a task run (or project) is written."""
    return cache.get_or_create(
        SITE, f"project_stats:{project.id}", lambda: recompute(session, utcnow(), project=project), may_lag=True
    )





# -- the projects of a category -------------------------------------------------------------


def _listing_query(published: bool):
    counts = figure_counts.totals_subquery()
    return (
        sa.select(Project, User.fullname, sa.func.coalesce(counts.c.n_tasks, 0), sa.func.coalesce(counts.c.n_completed_tasks, 0),
                  counts.c.n_volunteers, counts.c.last_activity)
        .join(User, User.id == Project.owner_id)
        .outerjoin(counts, counts.c.project_id == Project.id)
        # Private projects are never in the shared listings (drafts are listed to owners and admins).
        .where(listed_publicly() if published else Project.published.is_(False))
    )


def _listed(project: Project, owner: str, n_tasks: int, n_completed: int, n_volunteers: int, last) -> dict[str, Any]:
    figures = ProjectStats(int(n_tasks), int(n_completed), 0, int(n_volunteers or 0), format_time(last))
    return {
        **public_project(project),
        "last_activity": pretty_date(last) if last is not None else None,
        "last_activity_raw": figures.last_activity,
        "n_tasks": figures.n_tasks,
        "n_volunteers": figures.n_volunteers,
        "overall_progress": figures.overall_progress,
        "owner": owner,
    }


def _earned_points(project: dict[str, Any]) -> tuple:
    """PYBOSSA's default ranking: unfinished, real (not "test"), illustrated and recently active projects first."""
    unfinished = project["overall_progress"] < 100
    real = "test" not in project["name"].lower() and "test" not in project["short_name"].lower()
    return (unfinished, real, project["info"]["thumbnail"] is not None, project["last_activity_raw"] or "",
            project["n_volunteers"], project["id"])


def _listing(session: Session, query) -> list[dict[str, Any]]:
    projects = [_listed(*row) for row in session.execute(query)]
    return sorted(projects, key=_earned_points, reverse=True)


def category_projects(session: Session, category: Category, cache: Cache) -> list[dict[str, Any]]:
    """The published projects of ``category``, ranked as PYBOSSA ranks them (cached)."""
    query = _listing_query(True).where(Project.category_id == category.id)
    return cache.get_or_create(SITE, f"category_projects:{category.id}", lambda: _listing(session, query))


def featured_projects(session: Session, cache: Cache) -> list[dict[str, Any]]:
    """The published featured projects, ranked (cached)."""
    query = _listing_query(True).where(Project.featured.is_(True))
    return cache.get_or_create(SITE, "featured_projects", lambda: _listing(session, query))


def draft_projects(session: Session, owner: User | None) -> list[dict[str, Any]]:
    """The drafts of ``owner`` (or everyone's, for ``None``), ranked."""
    query = _listing_query(False)
    if owner is not None:
        query = query.where(Project.owner_id == owner.id)
    return _listing(session, query)


def has_featured(session: Session) -> bool:
    query = sa.select(Project.id).where(Project.featured.is_(True), listed_publicly()).limit(1)
    return session.scalar(query) is not None


def order(projects: list[dict[str, Any]], orderby: str | None, desc: bool) -> list[dict[str, Any]]:
    """``projects`` sorted by the ``orderby`` column (None last), or left in their ranking without one."""
    if orderby is None:
        return projects
    present = [project for project in projects if project[orderby] is not None]
    missing = [project for project in projects if project[orderby] is None]
    return sorted(present, key=lambda project: project[orderby], reverse=desc) + missing
