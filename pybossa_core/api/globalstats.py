"""``/api/globalstats``: the site's totals, read-only, cached until a write changes them."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pybossa_core.api.describe import ref, simple_get
from pybossa_core.errors import MethodNotAllowed
from pybossa_core.interfaces import ICache
from pybossa_core.models import Category, Project, figure_counts
from pybossa_core.security import listed_publicly
from pybossa_core.services.cache import SITE


def globalstats(request):
    """Return PYBOSSA's global stats: projects, users, task runs, and projects per category."""
    if request.method != "GET":
        raise MethodNotAllowed()
    return request.find_service(ICache).get_or_create(SITE, "globalstats", lambda: site_totals(request.dbsession))


def site_totals(session: Session) -> dict[str, Any]:
    """Count the site's published (not private) projects, users and task runs, and those projects per category."""
    per_category = session.execute(
        sa.select(Category.short_name, sa.func.count(Project.id))
        .join(Project, sa.and_(Project.category_id == Category.id, listed_publicly()), isouter=True)
        .group_by(Category.id, Category.short_name)
        .order_by(Category.id)
    )
    # The users and answers from the counters the triggers keep (figure_counts): no table of the
    # site's size is counted, neither the users nor the 500 000 tasks' answer counters.
    site = figure_counts.site_counts_of(session)
    return {
        "n_projects": session.scalar(sa.select(sa.func.count(Project.id)).where(listed_publicly())),
        "n_users": site.n_users,
        "n_task_runs": site.n_task_runs,
        "categories": [{short_name: count} for short_name, count in per_category],
    }


GLOBAL_STATS = {
    "type": "object",
    "properties": {
        "n_projects": {"type": "integer"},
        "n_users": {"type": "integer"},
        "n_task_runs": {"type": "integer"},
        "categories": {"type": "array", "items": {"type": "object", "additionalProperties": {"type": "integer"}}},
    },
    "required": ["n_projects", "n_users", "n_task_runs", "categories"],
    "additionalProperties": False,
}


def includeme(config) -> None:
    config.add_route("api.globalstats", "/api/globalstats{slash:/?}")
    config.add_view(globalstats, route_name="api.globalstats", renderer="json",
                    describe=simple_get(ref("GlobalStats"), "stats", schemas={"GlobalStats": GLOBAL_STATS}))
