from __future__ import annotations

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from pybossa_core.models.meta import Base


class TaskAssignment(Base):
    """A task assigned to a named volunteer: while a task has any, only its assignees get it from newtask."""

    __tablename__ = "task_assignment"

    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True)
