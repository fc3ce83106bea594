"""Reviewing answers: an owner marks a task run accepted or rejected, with a note.

A rejected answer no longer counts in its task's aggregated result: when the task is completed,
the result is aggregated again at once (``services/aggregation``). The verdict and the note are
task run columns, so the API and the exports carry them.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pybossa_core.models import Project, Result, Task, TaskRun, User
from pybossa_core.plugin_api import AggregatorSpec
from pybossa_core.services import aggregation

ACCEPTED, REJECTED = "accepted", "rejected"
VERDICTS = (ACCEPTED, REJECTED)


def task_runs_of(session: Session, task: Task) -> list[dict[str, Any]]:
    """The task's answers as the review page shows them, oldest first."""
    rows = session.execute(
        sa.select(TaskRun, User.name).outerjoin(User, User.id == TaskRun.user_id)
        .where(TaskRun.task_id == task.id).order_by(TaskRun.id)
    )
    return [
        {"id": run.id, "created": run.created.isoformat(), "user_id": run.user_id, "user_name": name,
         "external_uid": run.external_uid, "info": run.info, "review": run.review, "review_note": run.review_note}
        for run, name in rows
    ]


def review(session: Session, aggregators: Mapping[str, AggregatorSpec], project: Project, run: TaskRun, verdict: str | None, note: str | None) -> None:
    """Record an owner's ``verdict`` (None clears it) on ``run``; a completed task's result follows it."""
    run.review, run.review_note = verdict, note
    session.flush()
    task = session.get(Task, run.task_id)
    if task.state != "completed":
        return
    result = session.scalar(sa.select(Result).where(Result.task_id == task.id, Result.last_version.is_(True)))
    if result is not None:
        aggregation.fill_result(session, aggregators, project, task.id, result.id, result.info)
