"""The core's own aggregator, ``majority``, registered as a built-in default plugin: every site
has it, and a project whose aggregator is gone falls back to it."""
from __future__ import annotations

from pybossa_core.i18n import _
from pybossa_core.plugin_api import Aggregate, AggregatorSpec, Vote, plurality
from pybossa_core.plugins import hookimpl


def majority(task: dict, votes: list[Vote]) -> Aggregate:
    """The answer most volunteers gave (a plurality: ties are reported)."""
    return plurality(votes)


MAJORITY = AggregatorSpec("majority", _("Majority vote"), majority)


@hookimpl(trylast=True)
def register_aggregators() -> list[AggregatorSpec]:
    return [MAJORITY]
