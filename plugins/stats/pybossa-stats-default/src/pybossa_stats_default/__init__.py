"""The default statistics: a project's page, the site's ``/stats/`` and the admin dashboard.

Each calculator's ``recompute(session, now, **scope)`` returns the figures of its scope; the
core decides when to call it (on a cache miss, or in the dashboard's daily job) and keeps the
answer.  A site replaces one by installing a plugin that registers a calculator of the same
scope.
"""

from __future__ import annotations

from pybossa_core.plugin_api import StatsSpec, hookimpl
from pybossa_stats_default.dashboard import weekly_figures
from pybossa_stats_default.project import compute_stats
from pybossa_stats_default.site import global_stats


@hookimpl
def register_stats() -> list[StatsSpec]:
    """Register one calculator per scope, each named after its scope."""
    return [
        StatsSpec(name="project", scope="project", recompute=compute_stats),
        StatsSpec(name="site", scope="site", recompute=global_stats),
        StatsSpec(name="dashboard", scope="dashboard", recompute=weekly_figures),
    ]
