from __future__ import annotations

import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from pybossa_core.models.meta import Base, JSONDocument, utcnow


class Result(Base):
    """The outcome of a completed task: its task runs, and what the owner made of them."""

    __tablename__ = "result"
    __table_args__ = (
        Index("ix_result_project_id_id", "project_id", "id"),
        Index("ix_result_task_id", "task_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"))
    task_run_ids: Mapped[Any] = mapped_column(JSONDocument, default=list)
    last_version: Mapped[bool] = mapped_column(Boolean, default=True)
    info: Mapped[Any] = mapped_column(JSONDocument, nullable=True)
