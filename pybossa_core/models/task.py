from __future__ import annotations

import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from pybossa_core.models.meta import Base, JSONDocument, utcnow


class Task(Base):
    """One thing to answer (an image to tag, a page to transcribe)."""

    __tablename__ = "task"
    __table_args__ = (
        Index("ix_task_project_id_id", "project_id", "id"),
        Index("ix_task_project_id_state", "project_id", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(64), default="ongoing")
    quorum: Mapped[int] = mapped_column(Integer, default=0)
    calibration: Mapped[int] = mapped_column(Integer, default=0)
    priority_0: Mapped[float] = mapped_column(Float, default=0.0)
    info: Mapped[Any] = mapped_column(JSONDocument, default=dict)
    n_answers: Mapped[int] = mapped_column(Integer, default=30)
    fav_user_ids: Mapped[Any] = mapped_column(JSONDocument, default=list)
    #: Answers received, kept in the same transaction as each answer so no request counts task runs.
    n_task_runs: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: A gold task's expected answer; SQL NULL (not JSON null) for other tasks, so gold tasks are ``IS NOT NULL``.
    gold_answers: Mapped[Any] = mapped_column(
        JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql"), nullable=True
    )

    @property
    def is_gold(self) -> bool:
        """A gold task: ``calibration = 1`` with its expected answer."""
        return is_gold(self)


def is_gold(task: Any) -> bool:
    """Tell whether ``task`` (a Task, or a row of its columns) is a gold task: ``calibration = 1``
    with its expected answer."""
    return task.calibration == 1 and task.gold_answers is not None


#: SQL true for gold tasks (see ``Task.is_gold``).
IS_GOLD = sa.and_(Task.calibration == 1, Task.gold_answers.is_not(None))


# The schedulers walk a project's open tasks in their order and stop at the first with room:
# these partial indexes hold exactly that order, so newtask costs the same on any project size.
OPEN = text("state != 'completed'")
Index("ix_task_depth_first", Task.project_id, Task.priority_0.desc(), Task.n_task_runs.desc(), Task.id,
      postgresql_where=OPEN, sqlite_where=OPEN)
Index("ix_task_breadth_first", Task.project_id, Task.priority_0.desc(), Task.n_task_runs, Task.id,
      postgresql_where=OPEN, sqlite_where=OPEN)
Index("ix_task_priority", Task.project_id, Task.priority_0.desc(), Task.id, postgresql_where=OPEN, sqlite_where=OPEN)
