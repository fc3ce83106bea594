"""``/api/globalstats``: the site's totals, read-only."""
from __future__ import annotations

import sqlalchemy as sa

from pybossa_core.errors import MethodNotAllowed
from pybossa_core.models import Category, Project, TaskRun, User


def globalstats(request):
    """Return PYBOSSA's global stats: projects, users, task runs, and projects per category."""
    if request.method != "GET":
        raise MethodNotAllowed()
    session = request.dbsession
    per_category = session.execute(
        sa.select(Category.short_name, sa.func.count(Project.id))
        .join(Project, sa.and_(Project.category_id == Category.id, Project.published.is_(True)), isouter=True)
        .group_by(Category.id, Category.short_name)
        .order_by(Category.id)
    )
    return {
        "n_projects": session.scalar(sa.select(sa.func.count(Project.id)).where(Project.published.is_(True))),
        "n_users": session.scalar(sa.select(sa.func.count(User.id))),
        "n_task_runs": session.scalar(sa.select(sa.func.count(TaskRun.id))),
        "categories": [{short_name: count} for short_name, count in per_category],
    }


def includeme(config) -> None:
    config.add_route("api.globalstats", "/api/globalstats{slash:/?}")
    config.add_view(globalstats, route_name="api.globalstats", renderer="json")
