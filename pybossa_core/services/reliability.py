"""Volunteer reliability: each volunteer's gold answers in a project, scored as they arrive.

A gold answer is scored by the project's aggregator (``AggregatorSpec.matches``, exact by
default) against the task's ``gold_answers`` and counted with one upsert in the answer's
transaction; nothing is ever recounted. Answers to ordinary tasks never come here.
"""
from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from pybossa_core.models import Project, Task, VolunteerReliability
from pybossa_core.plugin_api import AggregatorSpec

logger = logging.getLogger("pybossa_core.reliability")

RELIABILITY = VolunteerReliability.__table__
#: The histogram's buckets: the share of gold answers right, by tenths.
BUCKETS = 10


def smoothed(n_gold: int, n_correct: int) -> float:
    """The reliability an aggregator weighs by: the share right with one right and one wrong
    answer added, so a volunteer without gold answers is 0.5 and one lucky answer is not 1."""
    return (n_correct + 1) / (n_gold + 2)


def expected_answer(gold_answers: Any, key: str | None) -> Any:
    """What a gold answer is scored against: ``gold_answers[key]`` when the project has an answer
    key the gold answers hold, else the gold answers whole."""
    if key is not None and isinstance(gold_answers, dict) and key in gold_answers:
        return gold_answers[key]
    return gold_answers


@functools.cache
def _count_gold(dialect_name: str) -> sa.Insert:
    insert = (postgresql if dialect_name == "postgresql" else sqlite).insert(RELIABILITY)
    return insert.on_conflict_do_update(
        index_elements=["project_id", "volunteer"],
        set_={"n_gold": RELIABILITY.c.n_gold + 1, "n_correct": RELIABILITY.c.n_correct + insert.excluded.n_correct},
    )


def score_gold(session: Session, aggregator: AggregatorSpec, task: Task, volunteer: str, answer: Any,
               key: str | None) -> bool | None:
    """Score ``volunteer``'s ``answer`` to gold ``task`` and count it; None (logged, not counted)
    when the aggregator's ``matches`` raises."""
    try:
        right = bool(aggregator.matches(answer, expected_answer(task.gold_answers, key)))
    except Exception:
        logger.exception("aggregator %s failed to score a gold answer to task %s", aggregator.name, task.id)
        return None
    session.execute(_count_gold(session.get_bind().dialect.name),
                    {"project_id": task.project_id, "volunteer": volunteer, "n_gold": 1, "n_correct": int(right)})
    return right


def of_volunteers(session: Session, project_id: int, volunteers: Iterable[str]) -> dict[str, tuple[int, int]]:
    """``{volunteer: (n_gold, n_correct)}`` for those of ``volunteers`` with gold answers."""
    query = sa.select(RELIABILITY.c.volunteer, RELIABILITY.c.n_gold, RELIABILITY.c.n_correct).where(
        RELIABILITY.c.project_id == project_id, RELIABILITY.c.volunteer.in_(set(volunteers))
    )
    return {row.volunteer: (row.n_gold, row.n_correct) for row in session.execute(query)}


def describe(volunteer: str, n_gold: int, n_correct: int) -> dict[str, Any]:
    """One volunteer's reliability as the API, the stats and the export show it."""
    kind, _, name = volunteer.partition(":")
    return {
        "volunteer": volunteer,
        "user_id": int(name) if kind == "user" else None,
        "external_uid": name if kind == "external" else None,
        "n_gold": n_gold,
        "n_correct": n_correct,
        "accuracy": n_correct / n_gold if n_gold else None,
        "reliability": smoothed(n_gold, n_correct),
    }


def project_reliability(session: Session, project: Project) -> list[dict[str, Any]]:
    """Every volunteer of ``project`` with gold answers, least accurate first."""
    query = (
        sa.select(RELIABILITY.c.volunteer, RELIABILITY.c.n_gold, RELIABILITY.c.n_correct)
        .where(RELIABILITY.c.project_id == project.id)
        .order_by((RELIABILITY.c.n_correct * 1.0 / RELIABILITY.c.n_gold), RELIABILITY.c.volunteer)
    )
    return [describe(row.volunteer, row.n_gold, row.n_correct) for row in session.execute(query)]


def histogram(volunteers: list[dict[str, Any]]) -> dict[str, Any]:
    """Volunteers by their share of gold answers right, in tenths, as a chart's ``data``."""
    counts = [0] * BUCKETS
    for volunteer in volunteers:
        counts[min(int(volunteer["accuracy"] * BUCKETS), BUCKETS - 1)] += 1
    labels = [f"{10 * bucket}-{10 * bucket + 10}%" for bucket in range(BUCKETS)]
    return {"labels": labels, "datasets": [{"label": "Volunteers", "data": counts}]}


def below(reliabilities: dict[str, tuple[int, int]], threshold: float) -> set[str]:
    """The volunteers whose share of gold answers right is under ``threshold``."""
    return {volunteer for volunteer, (n_gold, n_correct) in reliabilities.items() if n_correct / n_gold < threshold}

