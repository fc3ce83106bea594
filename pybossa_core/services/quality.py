"""Answers you can trust: a project's quality settings (gold tasks, aggregation, retirement).

The settings live in the project's ``info`` so the API and the settings page share them;
each has a default under which a project behaves as it did before it had the setting.
"""
from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass
from typing import Any

from pybossa_core.models import Project


#: The aggregator of a project that names none, or one the site no longer has.
DEFAULT_AGGREGATOR = "majority"
#: The most answers a task may need, as the redundancy page allows.
MAX_ANSWERS = 1000


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


def min_reliability(project: Project) -> float | None:
    """The share of gold answers right below which a volunteer's answers are left out of results
    (``info.min_reliability``); None: nobody is left out."""
    threshold = (project.info or {}).get("min_reliability")
    return float(threshold) if _number(threshold) else None


@dataclass(frozen=True)
class Retirement:
    """Adaptive retirement: a task completes once its aggregate is ``confidence`` sure, after at
    least ``min_answers`` answers; ``max_answers`` (when set) is every open task's limit."""

    confidence: float
    min_answers: int
    max_answers: int | None


def retirement(project: Project) -> Retirement | None:
    """The project's adaptive retirement (``info.retire_confidence`` sets it on), or None."""
    info = project.info or {}
    confidence = info.get("retire_confidence")
    if not _number(confidence):
        return None
    minimum, maximum = info.get("min_answers"), info.get("max_answers")
    return Retirement(float(confidence), minimum if _whole(minimum) else 1, maximum if _whole(maximum) else None)


def task_limit(project: Project, n_answers: int) -> int:
    """The answers a new task of ``project`` may take: ``n_answers``, capped by ``info.max_answers``
    under adaptive retirement."""
    rule = retirement(project)
    return min(n_answers, rule.max_answers) if rule is not None and rule.max_answers is not None else n_answers


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def aggregator_name(project: Project) -> str:
    """The name of the project's aggregator (``info.aggregator``, default ``majority``)."""
    name = (project.info or {}).get("aggregator")
    return name if isinstance(name, str) and name else DEFAULT_AGGREGATOR


def answer_key(project: Project) -> str | None:
    """The key of an answer that is aggregated (``info.answer_key``); None: the whole answer."""
    key = (project.info or {}).get("answer_key")
    return key if isinstance(key, str) and key else None


def check_settings(info: Mapping[str, Any], aggregators: Container[str], previous: Mapping[str, Any]) -> None:
    """Raise :class:`InvalidSetting` for the first quality setting of ``info`` that is wrong.

    ``previous`` is the project's ``info`` before the change: an aggregator that was removed
    from the site stays accepted on a project that already named it (it runs ``majority``).
    """
    rate = info.get("gold_rate")
    if rate is not None and not (_number(rate) and 0 <= rate <= 1):
        raise InvalidSetting("gold_rate", "must be a number between 0 and 1")
    confidence = info.get("retire_confidence")
    if confidence is not None and not (_number(confidence) and 0 <= confidence <= 1):
        raise InvalidSetting("retire_confidence", "must be a number between 0 and 1")
    for name in ("min_answers", "max_answers"):
        value = info.get(name)
        if value is not None and not (_whole(value) and 1 <= value <= MAX_ANSWERS):
            raise InvalidSetting(name, f"must be a whole number between 1 and {MAX_ANSWERS}")
    if _whole(info.get("min_answers")) and _whole(info.get("max_answers")) and info["min_answers"] > info["max_answers"]:
        raise InvalidSetting("min_answers", "must not be more than max_answers")
    threshold = info.get("min_reliability")
    if threshold is not None and not (_number(threshold) and 0 <= threshold <= 1):
        raise InvalidSetting("min_reliability", "must be a number between 0 and 1")
    name = info.get("aggregator")
    if name is not None and name != previous.get("aggregator") and (not isinstance(name, str) or name not in aggregators):
        raise InvalidSetting("aggregator", f"{name!r} is not an aggregator of this site")
    key = info.get("answer_key")
    if key is not None and not isinstance(key, str):
        raise InvalidSetting("answer_key", "must be the name of a key of the answers")


def missing_aggregator(aggregators: Container[str], project: Project) -> str | None:
    """The aggregator the project names that the site does not have (it runs ``majority``), if any."""
    name = aggregator_name(project)
    return None if name in aggregators else name


def update_settings(project: Project, values: Mapping[str, Any], aggregators: Container[str]) -> None:
    """Set the project's quality settings to ``values`` (``None``: back to the default), or raise
    :class:`InvalidSetting` and change nothing."""
    info = {key: value for key, value in (project.info or {}).items() if key not in values}
    info.update((key, value) for key, value in values.items() if value is not None)
    check_settings(info, aggregators, project.info or {})
    project.info = info
