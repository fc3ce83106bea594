from __future__ import annotations

import datetime
import uuid
from typing import Any

from sqlalchemy import Boolean, DateTime, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from pybossa_core.models.meta import Base, JSONDocument, utcnow


def new_api_key() -> str:
    return str(uuid.uuid4())


class User(Base):
    """A registered volunteer, owner or admin."""

    __tablename__ = "user"
    # The leaderboard's order: most answers first, then the oldest account.
    __table_args__ = (Index("ix_user_n_answers", text("n_answers DESC"), "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    name: Mapped[str] = mapped_column(String(254), unique=True)
    fullname: Mapped[str] = mapped_column(String(500))
    email_addr: Mapped[str] = mapped_column(String(254), unique=True)
    locale: Mapped[str] = mapped_column(String(254), default="en")
    api_key: Mapped[str] = mapped_column(String(36), unique=True, default=new_api_key)
    passwd_hash: Mapped[str | None] = mapped_column(String(254))
    admin: Mapped[bool] = mapped_column(Boolean, default=False)
    pro: Mapped[bool] = mapped_column(Boolean, default=False)
    privacy_mode: Mapped[bool] = mapped_column(Boolean, default=True)
    restrict: Mapped[bool] = mapped_column(Boolean, default=False)
    category: Mapped[int | None] = mapped_column(Integer)
    flags: Mapped[int | None] = mapped_column(Integer)
    ckan_api: Mapped[str | None] = mapped_column(Text)
    newsletter_prompted: Mapped[bool] = mapped_column(Boolean, default=False)
    valid_email: Mapped[bool] = mapped_column(Boolean, default=False)
    confirmation_email_sent: Mapped[bool] = mapped_column(Boolean, default=False)
    subscribed: Mapped[bool] = mapped_column(Boolean, default=False)
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    info: Mapped[Any] = mapped_column(JSONDocument, default=dict)
    #: Answers given, counted as each is stored: the leaderboard ranks by it without counting task runs.
    n_answers: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    user_pref: Mapped[Any] = mapped_column(JSONDocument, default=dict)
