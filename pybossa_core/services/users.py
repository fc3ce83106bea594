"""Accounts: creating and finding users, their passwords, API keys and sign-in providers.

Nothing here sees a request: views hand in the session and the values, and get users back.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pybossa_core.models import User, UserIdentity
from pybossa_core.models.user import new_api_key
from pybossa_core.services.passwords import check_password, hash_password


def find_by_email(session: Session, email: str) -> User | None:
    """Return the user with e-mail ``email`` (any case), or None."""
    return session.scalar(sa.select(User).where(sa.func.lower(User.email_addr) == email.strip().lower()))


def find_by_name(session: Session, name: str) -> User | None:
    return session.scalar(sa.select(User).where(User.name == name))


#: The PostgreSQL advisory lock under which a new site's first account is decided.
FIRST_ADMIN_LOCK = 0x70B055A1


def _is_first_user(session: Session) -> bool:
    """Tell whether the site has no account yet, so the one being created is its admin.

    Racing registrations on a new site must not all see an empty table: on PostgreSQL
    the answer is decided under a transaction-wide advisory lock (each statement of a READ
    COMMITTED transaction then sees the account a previous holder committed); SQLite's
    writers already run one at a time (a writing request begins IMMEDIATE).
    """
    if session.scalar(sa.select(User.id).limit(1)) is not None:
        return False
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(FIRST_ADMIN_LOCK)))
        return session.scalar(sa.select(User.id).limit(1)) is None
    return True


def create_user(session: Session, **fields: Any) -> User:
    """Create a user; the first account of a new site, and only it, is its admin."""
    user = User(admin=_is_first_user(session), **fields)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """Return the user whose e-mail and password these are; None tells nothing of which was wrong."""
    user = find_by_email(session, email)
    matches = check_password(user.passwd_hash if user is not None else None, password)
    return user if matches else None


def set_password(user: User, password: str) -> None:
    user.passwd_hash = hash_password(password)


def reset_api_key(user: User) -> None:
    user.api_key = new_api_key()


def identities_of(session: Session, user: User) -> dict[str, str]:
    """Return ``{provider: external id}`` of the providers ``user`` signs in with."""
    rows = session.execute(
        sa.select(UserIdentity.provider, UserIdentity.external_id).where(UserIdentity.user_id == user.id)
    )
    return dict(rows.all())


def public_info(info: Any) -> dict[str, Any]:
    """Return the parts of a user's ``info`` others may see (never the providers' tokens)."""
    info = info if isinstance(info, dict) else {}
    return {key: info[key] for key in ("avatar", "container", "avatar_url", "extra") if key in info}
