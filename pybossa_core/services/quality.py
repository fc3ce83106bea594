"""Answers you can trust: a project's quality settings (gold tasks, aggregation, retirement).

The settings live in the project's ``info`` so the API and the settings page share them;
each has a default under which a project behaves as it did before it had the setting.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pybossa_core.models import Project


class InvalidSetting(ValueError):
    """A quality setting the project cannot have; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def gold_rate(project: Project) -> float:
    """The share of a volunteer's tasks that are gold tasks (``info.gold_rate``, default 0)."""
    rate = (project.info or {}).get("gold_rate")
    return float(rate) if _number(rate) else 0.0


def check_settings(info: Mapping[str, Any]) -> None:
    """Raise :class:`InvalidSetting` for the first quality setting of ``info`` that is wrong."""
    rate = info.get("gold_rate")
    if rate is not None and not (_number(rate) and 0 <= rate <= 1):
        raise InvalidSetting("gold_rate", "must be a number between 0 and 1")
