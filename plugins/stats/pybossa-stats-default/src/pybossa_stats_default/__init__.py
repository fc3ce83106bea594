"""The default statistics: a project's figures, the site's, the leaderboard and a volunteer's
dashboard, one calculator per scope.

For now the calculators only claim their scopes; how each updates on a new task run and
recomputes in a job is filled in with the core's stats service.
"""

from __future__ import annotations

from pybossa_core.plugin_api import StatsSpec
from pybossa_core.plugins import hookimpl


@hookimpl
def register_stats() -> list[StatsSpec]:
    """Register one calculator per scope, each named after its scope."""
    return [
        StatsSpec(name="project", scope="project"),
        StatsSpec(name="site", scope="site"),
        StatsSpec(name="leaderboard", scope="leaderboard"),
        StatsSpec(name="dashboard", scope="dashboard"),
    ]
