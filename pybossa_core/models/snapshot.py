from __future__ import annotations

import datetime
from typing import Any

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from pybossa_core.models.meta import Base, JSONDocument


class SiteSnapshot(Base):
    """Figures a background job computed (the admin dashboard's), kept until the next run.

    In the database rather than the cache so that every server process reads what the
    worker wrote, and a restart does not lose a day's computation.
    """

    __tablename__ = "site_snapshot"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[Any] = mapped_column(JSONDocument)
    computed: Mapped[datetime.datetime] = mapped_column(DateTime)
