"""The default statistics: one calculator registered per scope."""

from __future__ import annotations

import pybossa_stats_default

from pybossa_core.plugins import load_plugins


def test_entry_point_registers_the_default_stats():
    hooks = load_plugins({})

    assert "stats-default" in [plugin.name for plugin in hooks.list_plugins()]
    assert "leaderboard" in [stats.name for stats in hooks.register_stats()]


def test_one_calculator_per_scope_named_after_it():
    hooks = load_plugins({}, autoload=False, extra_plugins=[pybossa_stats_default])

    assert [(stats.name, stats.scope) for stats in hooks.register_stats()] == [
        ("project", "project"),
        ("site", "site"),
        ("leaderboard", "leaderboard"),
        ("dashboard", "dashboard"),
    ]


def test_calculators_do_not_compute_anything_yet():
    hooks = load_plugins({}, autoload=False, extra_plugins=[pybossa_stats_default])

    assert all(
        stats.on_task_run is None and stats.recompute is None for stats in hooks.register_stats()
    )
