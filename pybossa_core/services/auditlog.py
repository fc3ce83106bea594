"""The audit log: who changed which setting of a project, when, from where, from what to what.

One place records every change, however it is made (the update form, the API, the task
presenter editor, publishing, resetting the secret key, co-owners, a plugin): a
``before_flush`` listener reads the history of each changed :class:`Project`'s audited
attributes and adds one :class:`Auditlog` row per attribute to the same flush, so a
change and its record commit or roll back together.  Each key of ``info`` that changed
(``task_presenter``, ``sched``, ``tutorial``...) is its own row, named by the key, as in
PYBOSSA.  Values are kept as text (JSON for lists and objects); a reset secret key is
recorded without its values.

Who made the change is the signed-in user of the request that made it, and the caller
``api`` or ``web`` by its path; a change made outside any request (a command, a test's
own code) has no user and the caller ``script``.  The user is noted when an attribute
is set, while the request is running (its flush may come later), and read at the flush.

Changes the ORM does not see are not recorded: Core ``UPDATE`` statements (call
:func:`record_change` beside them) and lists or objects changed in place (assign a new
one, as the core does).
"""
from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from pyramid.threadlocal import get_current_request
from sqlalchemy.orm import Session

from pybossa_core.csrf import is_api
from pybossa_core.models import Auditlog, Project

ACTION_UPDATE = "update"
#: The project columns whose changes are recorded (``info`` is recorded key by key).
AUDITED = (
    "name", "short_name", "description", "long_description", "webhook", "allow_anonymous_contributors",
    "published", "featured", "zip_download", "category_id", "owner_id", "owners_ids", "secret_key", "private",
    "invited_ids", "embargo_until",
)
#: Recorded as changed, without their values.
SECRET = frozenset({"secret_key", "passwd_hash"})
#: Where a project's instance state keeps who set its attributes, until its flush.
_ACTOR = "pybossa.audit_actor"


@dataclass(frozen=True)
class Actor:
    """Who changes a project, and through what."""

    user_id: int | None
    user_name: str | None
    caller: str


OUTSIDE_REQUESTS = Actor(None, None, "script")


def as_text(value: Any) -> str | None:
    """Return how a value is kept in the log: text, JSON for lists and objects, None for nothing."""
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return str(value)


def current_actor(session: Session | None) -> Actor:
    """Return who is acting in the request running ``session`` (or this thread's request)."""
    request = (session.info.get("request") if session is not None else None) or get_current_request()
    if request is None:
        return OUTSIDE_REQUESTS
    # Finding the user may query; what is pending must not be flushed before it is recorded.
    with session.no_autoflush if session is not None else contextlib.nullcontext():
        user = request.identity
    return Actor(user.id if user else None, user.name if user else None, "api" if is_api(request) else "web")


def record_change(session: Session, project: Project, attribute: str, old: Any, new: Any, actor: Actor | None = None) -> None:
    """Add the record of one change of ``project`` to ``session``: for changes made without the ORM."""
    actor = actor or current_actor(session)
    session.add(Auditlog(
        project_id=project.id, project_short_name=project.short_name, user_id=actor.user_id,
        user_name=actor.user_name, action=ACTION_UPDATE, caller=actor.caller, attribute=attribute,
        old_value=None if attribute in SECRET else as_text(old),
        new_value=None if attribute in SECRET else as_text(new),
    ))


def project_logs(session: Session, project: Project) -> list[Auditlog]:
    """Return ``project``'s records, newest first."""
    query = sa.select(Auditlog).where(Auditlog.project_id == project.id).order_by(Auditlog.id.desc())
    return list(session.scalars(query))


def log_json(log: Auditlog) -> dict[str, Any]:
    return {
        "id": log.id,
        "created": log.created.isoformat(),
        "project_id": log.project_id,
        "project_short_name": log.project_short_name,
        "user_id": log.user_id,
        "user_name": log.user_name,
        "action": log.action,
        "caller": log.caller,
        "attribute": log.attribute,
        "old_value": log.old_value,
        "new_value": log.new_value,
    }


def _changes(project: Project) -> list[tuple[str, Any, Any]]:
    """Return ``(attribute, old, new)`` for each audited attribute of ``project`` changed since its last flush."""
    state = sa.inspect(project)
    changes = []
    for name in (*AUDITED, "info"):
        history = state.attrs[name].history
        if not history.added:
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0]
        if name != "info":
            changes.append((name, old, new))
            continue
        old, new = old or {}, new or {}
        changes.extend((key, old.get(key), new.get(key)) for key in sorted(set(old) | set(new)) if old.get(key) != new.get(key))
    return changes


def _note_actor(target: Project, value: Any, oldvalue: Any, initiator: Any) -> None:
    state = sa.inspect(target)
    if state.key is not None and _ACTOR not in state.info:
        state.info[_ACTOR] = current_actor(state.session)


def _record_project_changes(session: Session, flush_context: Any, instances: Any) -> None:
    for obj in list(session.dirty):
        if not isinstance(obj, Project):
            continue
        actor = sa.inspect(obj).info.pop(_ACTOR, None)
        changes = _changes(obj)
        if changes and actor is None:
            actor = current_actor(session)
        for attribute, old, new in changes:
            record_change(session, obj, attribute, old, new, actor)


def watch_project_changes() -> None:
    """Start recording project changes, in every session (once, however often it is called)."""
    listeners = [(getattr(Project, name), "set", _note_actor) for name in (*AUDITED, "info")]
    listeners.append((Session, "before_flush", _record_project_changes))
    for target, event, listener in listeners:
        if not sa.event.contains(target, event, listener):
            sa.event.listen(target, event, listener)
