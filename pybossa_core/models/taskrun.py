from __future__ import annotations

import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pybossa_core.models.meta import Base, JSONDocument, utcnow


class TaskRun(Base):
    """One volunteer's answer to one task."""

    __tablename__ = "task_run"
    __table_args__ = (
        Index("ix_task_run_project_id_id", "project_id", "id"),
        Index("ix_task_run_task_id", "task_id"),
        Index("ix_task_run_user_id", "user_id"),
        # One answer per caller per task, whoever the caller is: the database keeps the rule.
        UniqueConstraint("task_id", "user_id", name="uq_task_run_task_id_user_id"),
        UniqueConstraint("task_id", "user_ip", name="uq_task_run_task_id_user_ip"),
        UniqueConstraint("task_id", "external_uid", name="uq_task_run_task_id_external_uid"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    user_ip: Mapped[str | None] = mapped_column(String(64))
    external_uid: Mapped[str | None] = mapped_column(String(255))
    finish_time: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)
    timeout: Mapped[int | None] = mapped_column(Integer)
    calibration: Mapped[int | None] = mapped_column(Integer)
    media_url: Mapped[str | None] = mapped_column(Text)
    info: Mapped[Any] = mapped_column(JSONDocument, nullable=True)
    #: An owner's verdict (``accepted``, ``rejected``; None until reviewed) and note.
    review: Mapped[str | None] = mapped_column(String(16))
    review_note: Mapped[str | None] = mapped_column(Text)
