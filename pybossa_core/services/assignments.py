"""Tasks assigned to named volunteers: while a task has assignees, newtask hands it only to them.

The assignees are rows of ``task_assignment``; ``project.assigns_tasks`` says whether any task of
the project has some, so the schedulers test assignments only for such a project
(``services/scheduling``) and a project that assigns nothing keeps its statements as they were.
"""
from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pybossa_core.i18n import ShownError, _
from pybossa_core.models import Project, Task, TaskAssignment, User
from pybossa_core.services import auditlog
from pybossa_core.services.projects import find_user

#: The most volunteers one task may be assigned to.
MAX_ASSIGNEES = 100
SEPARATORS = re.compile(r"[\s,;]+")


class UnknownUsers(ShownError, ValueError):
    """Some names or addresses match no user: nothing is assigned."""


def assignees(session: Session, task_id: int) -> list[User]:
    """The users task ``task_id`` is assigned to, by name."""
    query = sa.select(User).join(TaskAssignment, TaskAssignment.user_id == User.id).where(TaskAssignment.task_id == task_id)
    return list(session.scalars(query.order_by(User.name)))


def is_assigned_elsewhere(session: Session, project: Project, task_id: int, user_id: int | None) -> bool:
    """Tell whether task ``task_id`` has assignees and ``user_id`` (None: an anonymous or external caller) is none of them."""
    if not project.assigns_tasks:
        return False
    names = sa.select(TaskAssignment.user_id).where(TaskAssignment.task_id == task_id)
    ids = set(session.scalars(names))
    return bool(ids) and user_id not in ids


def users_named(session: Session, text: str) -> list[User]:
    """The users named in ``text`` (names or e-mail addresses, separated by commas, spaces or new
    lines), each once; raise :class:`UnknownUsers` naming those that match nobody."""
    words = [word for word in SEPARATORS.split(text.strip()) if word]
    found: dict[int, User] = {}
    unknown = []
    for word in dict.fromkeys(words):
        user = find_user(session, word)
        if user is None:
            unknown.append(word)
        else:
            found.setdefault(user.id, user)
    if unknown:
        raise UnknownUsers(_("We didn't find these users: ${users}", mapping={"users": ", ".join(unknown)}))
    if len(found) > MAX_ASSIGNEES:
        raise UnknownUsers(_("A task may be assigned to at most ${count} volunteers", mapping={"count": MAX_ASSIGNEES}))
    return list(found.values())


def assign(session: Session, project: Project, task: Task, users: list[User]) -> None:
    """Make ``users`` the task's assignees (none: every volunteer may get it again), in the audit log."""
    before = [user.id for user in assignees(session, task.id)]
    after = sorted(user.id for user in users)
    if sorted(before) == after:
        return
    session.execute(sa.delete(TaskAssignment).where(TaskAssignment.task_id == task.id))
    if after:
        session.execute(sa.insert(TaskAssignment), [{"task_id": task.id, "user_id": user_id} for user_id in after])
    has_assignments = sa.exists().where(TaskAssignment.task_id == Task.id, Task.project_id == project.id)
    project.assigns_tasks = bool(after) or bool(session.scalar(sa.select(has_assignments)))
    auditlog.record_change(session, project, f"task.{task.id}.assigned_to", sorted(before), after)
