"""Web sessions kept on the server, and the external accounts (Twitter, Facebook, Google) users sign in with."""
from __future__ import annotations

import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pybossa_core.models.meta import Base, utcnow


class WebSession(Base):
    """A signed-in browser session; deleting the row signs that browser out.

    The cookie carries a random key; the row is found by the key's SHA-256
    (``id``), so the table alone cannot be replayed as cookies.
    """

    __tablename__ = "web_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)
    expires: Mapped[datetime.datetime] = mapped_column(DateTime, index=True)


class UserIdentity(Base):
    """An account at a sign-in provider linked to a user (PYBOSSA's ``twitter_user_id`` and kin)."""

    __tablename__ = "user_identity"
    __table_args__ = (
        UniqueConstraint("provider", "external_id", name="uq_user_identity_provider_external_id"),
        UniqueConstraint("user_id", "provider", name="uq_user_identity_user_id_provider"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(255))
    created: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)
