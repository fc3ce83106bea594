from __future__ import annotations

import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pybossa_core.models.meta import Base, utcnow


class TaskHandout(Base):
    """A task handed to a caller by newtask (or the task page), until it answers or the time runs out.

    ``caller`` names whoever asked: ``user:<id>``, ``external:<project>:<uid>`` or
    ``anon:<anonymised ip>``.  An answer is accepted only against a live
    handout, whose ``created`` becomes the task run's ``created``; handouts
    not yet answered are the answers "in flight" the schedulers count.
    """

    __tablename__ = "task_handout"
    __table_args__ = (
        UniqueConstraint("task_id", "caller", name="uq_task_handout_task_id_caller"),
        Index("ix_task_handout_task_id_expires", "task_id", "expires"),
        Index("ix_task_handout_project_id_caller", "project_id", "caller"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"))
    caller: Mapped[str] = mapped_column(String(300))
    created: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)
    expires: Mapped[datetime.datetime] = mapped_column(DateTime)
