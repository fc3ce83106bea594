"""Projects protected by a password (PYBOSSA's ``protect`` and ``password``).

The password is kept hashed, as an account's, in the project's ``info.passwd_hash``.  A visitor
who gives it gets a signed cookie naming the projects they unlocked; each entry is bound to who
the visitor is (their user id, or their anonymised address), to the password it was given for
(a new password locks everyone out again) and to an expiry time.  Owners, co-owners and admins
are never asked.
"""
from __future__ import annotations

import hashlib
import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from webob.cookies import SignedSerializer

from pybossa_core.models import Project
from pybossa_core.security import PASSWORD_KEY, needs_password
from pybossa_core.services.passwords import check_password, hash_password

#: The cookie that lists the protected projects a visitor unlocked.
COOKIE = "pybossa_unlocked"


def visitor_key(user_id: int | None, anon_ip: str) -> str:
    """Who an unlocking was given to: the signed-in user, or the anonymised address."""
    return f"user:{user_id}" if user_id is not None else f"ip:{anon_ip}"


def set_password(project: Project, password: str | None) -> None:
    """Protect ``project`` with ``password``, or lift the protection with None."""
    info = dict(project.info or {})
    if password:
        info[PASSWORD_KEY] = hash_password(password)
    else:
        info.pop(PASSWORD_KEY, None)
    project.info = info


def is_password(project: Project, password: str) -> bool:
    return needs_password(project) and check_password(project.info[PASSWORD_KEY], password)


def _fingerprint(project: Project) -> str:
    """Stands for the project's current password in the cookie, without revealing its hash."""
    return hashlib.sha256(project.info[PASSWORD_KEY].encode()).hexdigest()[:16]


class Unlocks:
    """Reads and writes the cookie of unlocked projects."""

    def __init__(self, secret: str, max_age: int):
        self.serializer = SignedSerializer(secret, "pybossa.project-password", hashalg="sha512")
        self.max_age = max_age

    def _entries(self, cookies: dict[str, str], visitor: str) -> dict[str, Any]:
        try:
            payload = self.serializer.loads(cookies[COOKIE].encode())
        except (KeyError, ValueError, TypeError):
            return {}
        if not isinstance(payload, dict) or payload.get("visitor") != visitor:
            return {}
        entries = payload.get("projects")
        return entries if isinstance(entries, dict) else {}

    def unlocked_ids(self, cookies: dict[str, str], visitor: str) -> set[int]:
        """The projects the cookie claims unlocked, before :meth:`unlocked` checks each one's password."""
        return {int(key) for key in self._entries(cookies, visitor) if key.isdigit()}

    def unlocked(self, cookies: dict[str, str], visitor: str, project: Project) -> bool:
        entry = self._entries(cookies, visitor).get(str(project.id))
        return (
            isinstance(entry, list) and len(entry) == 2
            and entry[0] == _fingerprint(project) and isinstance(entry[1], (int, float)) and entry[1] > time.time()
        )

    def unlock(self, cookies: dict[str, str], visitor: str, project: Project, response) -> None:
        """Add ``project`` to the visitor's cookie on ``response``, dropping expired entries."""
        now = time.time()
        entries = {
            key: entry for key, entry in self._entries(cookies, visitor).items()
            if isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], (int, float)) and entry[1] > now
        }
        entries[str(project.id)] = [_fingerprint(project), int(now + self.max_age)]
        value = self.serializer.dumps({"visitor": visitor, "projects": entries}).decode()
        response.set_cookie(COOKIE, value, max_age=self.max_age, httponly=True, samesite="Lax", path="/")

    def closed_projects(self, session: Session, cookies: dict[str, str], visitor: str, opened: sa.Select | None = None) -> sa.Select:
        """A query of the ids of the protected projects this visitor has not unlocked, besides ``opened``."""
        query = sa.select(Project.id).where(Project.info[PASSWORD_KEY].as_string().is_not(None))
        claimed = self.unlocked_ids(cookies, visitor)
        if claimed:
            unlocked = [
                project.id for project in session.scalars(sa.select(Project).where(Project.id.in_(claimed)))
                if self.unlocked(cookies, visitor, project)
            ]
            query = query.where(Project.id.not_in(unlocked))
        return query if opened is None else query.where(Project.id.not_in(opened))
