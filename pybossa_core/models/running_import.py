from __future__ import annotations

import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from pybossa_core.models.meta import Base, utcnow


class RunningImport(Base):
    """A task import under way: its project (one at a time), who started it and when.

    Kept in the database so every server process sees it; a row older than the import's
    time limit is one whose process died, and no longer counts.
    """

    __tablename__ = "running_import"
    __table_args__ = (Index("ix_running_import_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    started: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)
