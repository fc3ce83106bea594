"""The statistics plugins' calculators, and the figures a background job keeps (the dashboard's).

Calculators come from the ``register_stats`` hook, one per scope (``project``, ``site``,
``dashboard``).  The project and site pages call theirs on a cache miss; the dashboard's is
too slow to run on a request at scale, so a job runs it and stores the answer in
``site_snapshot``, read by every server process.  The job runs when an admin opens a
dashboard older than a day (PYBOSSA's daily refresh), on ``?refresh=1``, or from
``pybossa refresh-stats`` in a cron table.

The core stands without any statistics plugin (its own install brings none): a scope no
calculator computes answers a page saying what to install (200), and startup logs it once.
What each scope's page shows is declared in ``plugin_api.STATS_FIGURES``; a key a calculator
leaves out is shown as "—", and one it adds beyond the declaration in a table of its own
(``request.other_figures``, for the HTML page: the JSON has the calculator's keys as they are).
"""
from __future__ import annotations

import datetime
import functools
import logging
import typing
from collections.abc import Callable, Mapping
from typing import Any

import redis
from pyramid.i18n import TranslationString
from sqlalchemy.orm import Session

from pybossa_core.i18n import _, english
from pybossa_core.interfaces import IStatsCalculators, find_service
from pybossa_core.models import SiteSnapshot
from pybossa_core.models.meta import utcnow
from pybossa_core.plugin_api import STATS_FIGURES, StatsSpec
from pybossa_core.services.jobs import JobContext, JobQueue, function_path, resolve

logger = logging.getLogger(__name__)

#: How old a snapshot may be before the next view of it starts a refresh.
SNAPSHOT_LIFETIME = datetime.timedelta(days=1)
#: Seconds during which a requested refresh is not requested again (with Redis, across processes).
REFRESH_CLAIM_SECONDS = 60


#: The statistics plugin to install for every scope (the core's own install does not bring it).
STATS_PLUGIN = "pybossa-stats-default"
#: What the messages call each scope's page.
SCOPE_PAGES = {"project": _("projects' statistics"), "site": _("site's statistics"), "dashboard": _("admin dashboard")}
#: The page of a scope no plugin computes, for the site's pages and for a project's.
NOT_COMPUTED_TEMPLATE = "/stats/not_installed.html"
PROJECT_NOT_COMPUTED_TEMPLATE = "/projects/stats_not_installed.html"


def calculator(calculators: Mapping[str, StatsSpec], scope: str) -> Callable[..., Any] | None:
    """Return the ``recompute`` of the calculator registered for ``scope``; None when no plugin has one."""
    spec = calculators.get(scope)
    return None if spec is None else spec.recompute


def not_computed_message(scope: str) -> TranslationString:
    return _("No statistics plugin computes the ${page} on this site: its administrator needs to install one "
             "(such as ${plugin}) and restart the site.", mapping={"page": SCOPE_PAGES[scope], "plugin": STATS_PLUGIN})


def not_computed(scope: str) -> dict[str, Any]:
    """The keys of the page of ``scope`` when no plugin computes it: what to install."""
    return {"flash": not_computed_message(scope), "status": "warning", "stats_plugin": STATS_PLUGIN}


@functools.cache
def _type_hints(declaration: type) -> dict[str, Any]:
    # Evaluated once per declaration: get_type_hints cost a tenth of a /stats/ page on each view.
    return typing.get_type_hints(declaration)


def undeclared(declaration: type, computed: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """The entries of ``computed`` that ``declaration`` (a TypedDict) has no key for, by their
    dotted name, looking into the values it declares as TypedDicts too (``stats.n_foo``)."""
    hints = _type_hints(declaration)
    found = {}
    for key, value in computed.items():
        if key not in hints:
            found[f"{prefix}{key}"] = value
        elif typing.is_typeddict(hints[key]) and isinstance(value, Mapping):
            found.update(undeclared(hints[key], value, f"{prefix}{key}."))
    return found


def show(request, scope: str, computed: Mapping[str, Any]) -> None:
    """Keep for the HTML page the figures of ``computed`` that ``scope`` does not declare, so it shows them too."""
    request.other_figures[scope] = undeclared(STATS_FIGURES[scope], computed)


def warn_missing_calculators(calculators: Mapping[str, Any]) -> None:
    """Log, once at startup, each scope no installed plugin computes."""
    for scope in STATS_FIGURES:
        if scope not in calculators:
            logger.warning("%s", english(not_computed_message(scope)))


def includeme(config) -> None:
    config.add_request_method(lambda request: {}, "other_figures", reify=True)
    warn_missing_calculators(find_service(config.registry, IStatsCalculators))


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


def _claim(client: redis.Redis | None, prefix: str, scope: str) -> bool:
    """Tell whether this process may request a refresh: not when one was requested moments ago."""
    if client is None:
        # Inline jobs run in the request that asks: the transaction serialises them.
        return True
    key = f"{prefix}:refresh:{scope}"
    return bool(client.set(key, 1, nx=True, ex=REFRESH_CLAIM_SECONDS))


def empty_dashboard(now: datetime.datetime) -> dict[str, Any]:
    """The dashboard's keys before its first computation: charts of today with 0, empty lists."""
    today = {"labels": [now.strftime("%Y-%m-%d")], "series": [[0]]}
    returning = {"labels": ["1 day", *(f"{n} days" for n in range(2, 8))], "series": [[0] * 7]}
    charts = ("active_anon_last_week", "active_users_last_week", "new_users_week", "new_tasks_week", "new_task_runs_week")
    lists = ("draft_projects_last_week", "published_projects_last_week", "update_projects_last_week")
    return {**{name: today for name in charts}, **{name: [] for name in lists}, "returning_users_week": returning}


def request_refresh(jobs: JobQueue, client: redis.Redis | None, calculators: Mapping[str, StatsSpec], scope: str) -> None:
    """Run the refresh job of ``scope`` once the transaction of ``jobs`` commits (a plugin computes it;
    ``client``: the site's Redis, if any)."""
    recompute = calculator(calculators, scope)
    if _claim(client, jobs.settings["redis.prefix"], scope):
        jobs.enqueue(refresh_snapshot, scope, function_path(recompute), kind=scope)
