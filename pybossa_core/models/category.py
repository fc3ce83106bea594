from __future__ import annotations

import datetime
from typing import Any

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pybossa_core.models.meta import Base, JSONDocument, utcnow


class Category(Base):
    """A group of projects (Science, History, ...), managed by admins."""

    __tablename__ = "category"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    short_name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    info: Mapped[Any] = mapped_column(JSONDocument, default=dict)
