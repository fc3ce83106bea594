"""Running task imports: at most one per project and ``imports.max_per_user`` per user at once.

An import downloads its source outside the database transaction (the view commits what it
read, fetches, then writes in a new one), so a slow link holds no lock and no connection. Its
claim, a :class:`~pybossa_core.models.RunningImport` row committed before the download, is
what every other server process sees meanwhile; the import's own transaction deletes it. A
claim older than the import's time limit belongs to a process that died and is cleared.
"""
from __future__ import annotations

import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pybossa_core.i18n import _
from pybossa_core.models import RunningImport, User
from pybossa_core.models.meta import utcnow
from pybossa_core.plugin_api import ImportFailed

PROJECT_BUSY = _("An import of this project is already running: wait for it to finish, then try again.")


def claim(session: Session, project_id: int, user_id: int, *, max_per_user: int, lasts: float) -> int:
    """Claim an import of ``project_id`` by ``user_id``; return the claim's id.

    Raises :class:`ImportFailed` when the project has an import running, or the user
    ``max_per_user`` of them. ``lasts`` is the longest an import may take, in seconds.
    """
    session.execute(sa.delete(RunningImport).where(RunningImport.started < utcnow() - datetime.timedelta(seconds=lasts)))
    # The user's row lock makes two imports of one user count each other (PostgreSQL; SQLite
    # writers take the database's lock anyway).
    session.execute(sa.select(User.id).where(User.id == user_id).with_for_update())
    running = session.execute(
        sa.select(RunningImport.project_id).where(
            (RunningImport.project_id == project_id) | (RunningImport.user_id == user_id))
    ).scalars().all()
    if project_id in running:
        raise ImportFailed(PROJECT_BUSY)
    if len(running) >= max_per_user:
        raise ImportFailed(_(
            "You already have ${running} imports running (at most ${limit} at once): wait for one to finish, then try again.",
            mapping={"running": len(running), "limit": max_per_user}))
    row = RunningImport(project_id=project_id, user_id=user_id)
    session.add(row)
    # A racing claim of the same project fails here on the unique project_id; the request is
    # then retried and meets the claim that won.
    session.flush()
    return row.id


def release(session: Session, claim_id: int) -> None:
    """End the import ``claim_id`` (in the transaction that stores its tasks)."""
    session.execute(sa.delete(RunningImport).where(RunningImport.id == claim_id))
