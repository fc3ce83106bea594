"""The statistics plugins' calculators, and the figures a background job keeps (the dashboard's).

Calculators come from the ``register_stats`` hook, one per scope (``project``, ``site``,
``dashboard``).  The project and site pages call theirs on a cache miss; the dashboard's is
too slow to run on a request at scale, so a job runs it and stores the answer in
``site_snapshot``, read by every server process.  The job runs when an admin opens a
dashboard older than a day (PYBOSSA's daily refresh), on ``?refresh=1``, or from
``pybossa refresh-stats`` in a cron table.
"""
from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from typing import Any

from pyramid.httpexceptions import HTTPNotFound
from sqlalchemy.orm import Session

from pybossa_core.models import SiteSnapshot
from pybossa_core.models.meta import utcnow
from pybossa_core.services.jobs import JobContext, function_path, resolve

#: How old a snapshot may be before the next view of it starts a refresh.
SNAPSHOT_LIFETIME = datetime.timedelta(days=1)
#: Seconds during which a requested refresh is not requested again (with Redis, across processes).
REFRESH_CLAIM_SECONDS = 60


def calculator(registry: Mapping[str, Any], scope: str) -> Callable[..., Any]:
    """Return the ``recompute`` of the calculator registered for ``scope``; 404 when no plugin has one."""
    spec = registry["stats"].get(scope)
    if spec is None:
        raise HTTPNotFound(f"No statistics plugin computes the {scope} figures")
    return spec.recompute


def snapshot(session: Session, scope: str) -> SiteSnapshot | None:
    return session.get(SiteSnapshot, scope)


def is_stale(found: SiteSnapshot | None, now: datetime.datetime) -> bool:
    return found is None or found.computed <= now - SNAPSHOT_LIFETIME


def store(session: Session, scope: str, recompute: Callable[..., Any]) -> SiteSnapshot:
    """Compute ``scope``'s figures now and keep them, replacing the last ones."""
    now = utcnow()
    return session.merge(SiteSnapshot(name=scope, data=recompute(session, now), computed=now))


def refresh_snapshot(context: JobContext, scope: str, recompute_path: str) -> None:
    """The job: compute and store ``scope``'s figures with the calculator at ``recompute_path``."""
    with context.dbsession() as session:
        store(session, scope, resolve(recompute_path))


def _claim(registry: Mapping[str, Any], scope: str) -> bool:
    """Tell whether this process may request a refresh: not when one was requested moments ago."""
    client = registry["redis"]
    if client is None:
        # Inline jobs run in the request that asks: the transaction serialises them.
        return True
    key = f"{registry.settings['redis.prefix']}:refresh:{scope}"
    return bool(client.set(key, 1, nx=True, ex=REFRESH_CLAIM_SECONDS))


def empty_dashboard(now: datetime.datetime) -> dict[str, Any]:
    """The dashboard's keys before its first computation: charts of today with 0, empty lists."""
    today = {"labels": [now.strftime("%Y-%m-%d")], "series": [[0]]}
    returning = {"labels": ["1 day", *(f"{n} days" for n in range(2, 8))], "series": [[0] * 7]}
    charts = ("active_anon_last_week", "active_users_last_week", "new_users_week", "new_tasks_week", "new_task_runs_week")
    lists = ("draft_projects_last_week", "published_projects_last_week", "update_projects_last_week")
    return {**{name: today for name in charts}, **{name: [] for name in lists}, "returning_users_week": returning}


def request_refresh(request, scope: str) -> None:
    """Run the refresh job of ``scope`` once this request's transaction commits."""
    recompute = calculator(request.registry, scope)
    if _claim(request.registry, scope):
        request.registry["jobs"].enqueue_after_commit(request.tm, refresh_snapshot, scope, function_path(recompute),
                                                   kind=scope)
