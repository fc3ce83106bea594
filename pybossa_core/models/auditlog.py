from __future__ import annotations

import datetime

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pybossa_core.models.meta import Base, utcnow


class Auditlog(Base):
    """One recorded change of a project's settings.

    It keeps the project's id and name rather than a foreign key so the record
    outlives the project it describes.
    """

    __tablename__ = "auditlog"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)
    project_id: Mapped[int] = mapped_column(Integer, index=True)
    project_short_name: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int | None] = mapped_column(Integer)
    user_name: Mapped[str | None] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    caller: Mapped[str] = mapped_column(String(64))
    attribute: Mapped[str] = mapped_column(String(255))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
