"""Leaving the site: a user's data as a download, and the erasure of the account.

Erasure keeps the science and drops the person: the user's task runs stay (results and figures
do not change) but lose every link to the user, their ``user_id`` and ``user_ip`` replaced by one
random pseudonym per erased account, so each still counts as one volunteer's answer.  The
user's projects go to a co-owner or are deleted, as the user chooses; the audit log keeps its
records of the user's changes under the same pseudonym, without name or id.  Sessions and
sign-in identities go with the account (the database cascades them).
"""
from __future__ import annotations

import csv
import io
import json
import secrets
import zipfile
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pybossa_core.db import json_array_contains
from pybossa_core.i18n import ShownError, _
from pybossa_core.models import Auditlog, Project, Task, TaskHandout, TaskRun, User
from pybossa_core.services import projects
from pybossa_core.services.cache import project_data_changed

#: What happens to the projects a leaving user owns.
TRANSFER, DELETE = "transfer", "delete"
TASK_RUN_COLUMNS = ("id", "created", "finish_time", "project_id", "task_id", "info", "calibration", "media_url")
PROFILE_COLUMNS = ("id", "name", "fullname", "email_addr", "locale", "created", "admin", "pro", "privacy_mode",
                   "subscribed", "valid_email", "n_answers", "info")


class CannotErase(ShownError, ValueError):
    """Why an account cannot be erased as asked (nothing was changed)."""


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def owned_projects(session: Session, user: User) -> list[Project]:
    return list(session.scalars(sa.select(Project).where(Project.owner_id == user.id).order_by(Project.id)))


def export_user_data(session: Session, user: User) -> bytes:
    """Return a zip of everything the site keeps about ``user``: profile, task runs and projects, in JSON (and CSV)."""
    profile = {column: _plain(getattr(user, column)) for column in PROFILE_COLUMNS}
    runs = [
        {column: _plain(getattr(run, column)) for column in TASK_RUN_COLUMNS}
        for run in session.scalars(sa.select(TaskRun).where(TaskRun.user_id == user.id).order_by(TaskRun.id))
    ]
    member_of = session.scalars(
        sa.select(Project).where(sa.or_(Project.owner_id == user.id, json_array_contains(session, Project.owners_ids, user.id)))
        .order_by(Project.id)
    )
    owned = [
        {"id": project.id, "short_name": project.short_name, "name": project.name, "description": project.description,
         "created": _plain(project.created), "owner": project.owner_id == user.id}
        for project in member_of
    ]
    table = io.StringIO()
    writer = csv.DictWriter(table, fieldnames=TASK_RUN_COLUMNS)
    writer.writeheader()
    writer.writerows({**run, "info": json.dumps(run["info"])} for run in runs)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("profile.json", json.dumps(profile, indent=2))
        bundle.writestr("task_runs.json", json.dumps(runs, indent=2))
        bundle.writestr("task_runs.csv", table.getvalue())
        bundle.writestr("projects.json", json.dumps(owned, indent=2))
    return archive.getvalue()


def _heir(project: Project, user: User) -> int | None:
    return next((owner_id for owner_id in project.owners_ids or [] if owner_id != user.id), None)


def erase_user(session: Session, user: User, choice: str) -> str:
    """Erase ``user``; their projects are transferred to a co-owner or deleted (``choice``). Return the pseudonym.

    Raises :class:`CannotErase`, changing nothing, for the site's last admin, or when a project
    to transfer has no co-owner.
    """
    if choice not in (TRANSFER, DELETE):
        raise CannotErase(_("Choose what happens to your projects"))
    if user.admin and session.scalar(sa.select(sa.func.count(User.id)).where(User.admin.is_(True))) == 1:
        raise CannotErase(_("The site's last admin cannot be deleted: make another user admin first"))
    owned = owned_projects(session, user)
    orphans = [project.short_name for project in owned if _heir(project, user) is None]
    if choice == TRANSFER and orphans:
        raise CannotErase(_("These projects have no co-owner to take them: ${projects}", mapping={"projects": ", ".join(orphans)}))
    pseudonym = "erased-" + secrets.token_hex(8)
    for project in owned:
        if choice == TRANSFER:
            projects.transfer_ownership(project, session.get(User, _heir(project, user)))
        else:
            projects.delete_project(session, project)
    coowned = session.scalars(sa.select(Project).where(json_array_contains(session, Project.owners_ids, user.id)))
    for project in coowned:
        project.owners_ids = [owner_id for owner_id in project.owners_ids if owner_id != user.id]
    for task in session.scalars(sa.select(Task).where(json_array_contains(session, Task.fav_user_ids, user.id))):
        task.fav_user_ids = [user_id for user_id in task.fav_user_ids if user_id != user.id]
    # Flushed first, so that the audit records of the changes above are renamed too.
    session.flush()
    for project_id in session.scalars(sa.select(TaskRun.project_id).where(TaskRun.user_id == user.id).distinct()):
        project_data_changed(session, project_id)
    session.execute(sa.update(TaskRun).where(TaskRun.user_id == user.id).values(user_id=None, user_ip=pseudonym))
    session.execute(sa.delete(TaskHandout).where(TaskHandout.caller == f"user:{user.id}"))
    session.execute(sa.update(Auditlog).where(Auditlog.user_id == user.id).values(user_id=None, user_name=pseudonym))
    # Through the ORM, so that the site's cached figures see a user go.
    session.delete(user)
    session.flush()
    return pseudonym
