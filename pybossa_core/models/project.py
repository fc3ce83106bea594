from __future__ import annotations

import datetime
import uuid
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from pybossa_core.models.meta import Base, JSONDocument, utcnow


def new_secret_key() -> str:
    return str(uuid.uuid4())


class Project(Base):
    """A crowdsourcing project: its tasks are answered by volunteers."""

    __tablename__ = "project"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    updated: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    short_name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str] = mapped_column(String(255), default="")
    long_description: Mapped[str] = mapped_column(Text, default="")
    webhook: Mapped[str | None] = mapped_column(Text)
    allow_anonymous_contributors: Mapped[bool] = mapped_column(Boolean, default=True)
    published: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    featured: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    secret_key: Mapped[str] = mapped_column(String(255), default=new_secret_key)
    zip_download: Mapped[bool] = mapped_column(Boolean, default=True)
    contacted: Mapped[bool] = mapped_column(Boolean, default=False)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    owners_ids: Mapped[Any] = mapped_column(JSONDocument, default=list)
    #: A private project is seen only by its owners, admins and the users in ``invited_ids``.
    private: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    invited_ids: Mapped[Any] = mapped_column(JSONDocument, default=list, server_default="[]")
    #: Until then (UTC) the project's answers, results and exports are for its owners and admins only.
    embargo_until: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    #: Some task of the project is assigned to named volunteers (``task_assignment``): the schedulers
    #: add their assignment test only for such a project.
    assigns_tasks: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id", ondelete="SET NULL"), index=True)
    info: Mapped[Any] = mapped_column(JSONDocument, default=dict)
