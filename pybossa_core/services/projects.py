"""Projects as their owners manage them: figures, creating, importing tasks, publishing, deleting.

Never given a request: the web views in ``pybossa_core.views.project`` call these with the
session and what they parsed.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pybossa_core import outbound
from pybossa_core.formatting import format_time
from pybossa_core.i18n import _
from pybossa_core.models import Blogpost, Category, Project, Result, Task, TaskRun, User, figure_counts
from pybossa_core.models.meta import INT32
from pybossa_core.models.project import new_secret_key
from pybossa_core.plugin_api import ImporterSpec, ImportFailed
from pybossa_core.services import auditlog, quality
from pybossa_core.services.contribution import Caller, answered_by
from pybossa_core.services.cache import project_data_changed

#: Short names that would shadow the web site's own /project/<word> pages.
RESERVED_SHORT_NAMES = frozenset({"new", "category", "featured", "draft", "search", "page", "export"})
#: The task fields an importer may set besides ``info``.
IMPORTED_TASK_FIELDS = ("n_answers", "priority_0", "quorum", "calibration", "gold_answers")
NO_GOLD_ANSWERS = _("A gold task (calibration = 1) needs its expected answers (gold_answers).")
NOT_PUBLISHABLE = _("You cannot publish a project without a task presenter and at least one task.")


class CannotPublish(Exception):
    """The project lacks what volunteers need: a task presenter, or tasks."""


@dataclass(frozen=True)
class ProjectStats:
    """A project's figures, as PYBOSSA's project pages show them."""

    n_tasks: int
    n_completed_tasks: int
    n_task_runs: int
    n_volunteers: int
    last_activity: str | None

    @property
    def overall_progress(self) -> int:
        """Completed tasks out of all tasks, in percent (0 for a project without tasks)."""
        return self.n_completed_tasks * 100 // self.n_tasks if self.n_tasks else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "n_tasks": self.n_tasks,
            "n_completed_tasks": self.n_completed_tasks,
            "n_task_runs": self.n_task_runs,
            "n_volunteers": self.n_volunteers,
            "overall_progress": self.overall_progress,
            "last_activity": self.last_activity,
        }


def public_project(project: Project) -> dict[str, Any]:
    """The part of a project everyone may see, as PYBOSSA's pages and listings show it."""
    info = project.info or {}
    return {
        "id": project.id,
        "name": project.name,
        "short_name": project.short_name,
        "description": project.description,
        "created": format_time(project.created),
        "updated": format_time(project.updated),
        "info": {"container": info.get("container"), "thumbnail": info.get("thumbnail")},
    }


def project_summaries(session: Session, query: sa.Select) -> list[dict[str, Any]]:
    """Return the project cards (tasks, volunteers, progress) of the projects ``query`` selects."""
    return project_cards(session, session.scalars(query.order_by(Project.id)).all())


def project_cards(session: Session, projects: Iterable[Any]) -> list[dict[str, Any]]:
    """Return the cards of ``projects`` (projects, or rows with their ``id``, ``name``, ``short_name``,
    ``description``, ``info`` and ``owner_id``), in their order: their counters in one query."""
    found = list(projects)
    if not found:
        return []
    counts = figure_counts.counts_by_project(session, [project.id for project in found])
    cards = []
    for project in found:
        figures = counts.get(project.id, figure_counts.Counts())
        n_tasks = figures.n_tasks
        cards.append(
            {
                "id": project.id,
                "name": project.name,
                "short_name": project.short_name,
                "description": project.description,
                "info": project.info or {},
                "owner_id": project.owner_id,
                "n_tasks": n_tasks,
                "n_volunteers": figures.n_volunteers,
                "overall_progress": math.floor(figures.n_completed_tasks * 100 / n_tasks) if n_tasks else 0,
            }
        )
    return cards


def owned_projects_query(user: User, *, published: bool) -> sa.Select:
    return sa.select(Project).where(Project.owner_id == user.id, Project.published.is_(published))


def contributed_projects_query(user: User) -> sa.Select:
    return sa.select(Project).where(
        Project.published.is_(True),
        Project.id.in_(sa.select(TaskRun.project_id).where(TaskRun.user_id == user.id)),
    )


def project_stats(session: Session, project: Project) -> ProjectStats:
    """Return ``project``'s figures from its counters (``figure_counts``): no task or task run is counted."""
    counts = figure_counts.counts_of(session, project.id)
    return ProjectStats(counts.n_tasks, counts.n_completed_tasks, counts.n_task_runs, counts.n_volunteers,
                        format_time(counts.last_activity))


#: The environments a presenter can run in (views.presenter_frame): PYBOSSA's old theme, or the site's own.
PRESENTER_ENVIRONMENTS = ("classic", "modern")
#: How a presenter written for the site's own environment says so.
MODERN_DECLARATION = re.compile(r"""<meta\s+name=["']pybossa-environment["']\s+content=["']modern["']""", re.IGNORECASE)


def chosen_environment(project: Project) -> str:
    """The environment the owner chose for the project's presenter, or "" when the presenter decides."""
    chosen = (project.info or {}).get("presenter_environment")
    return chosen if chosen in PRESENTER_ENVIRONMENTS else ""


def presenter_environment(chosen: str, presenter: str) -> str:
    """The owner's choice (see :func:`chosen_environment`), else what the presenter declares, else classic."""
    if chosen in PRESENTER_ENVIRONMENTS:
        return chosen
    return "modern" if MODERN_DECLARATION.search(presenter or "") else "classic"


def has_presenter(project: Project) -> bool:
    presenter = (project.info or {}).get("task_presenter")
    return isinstance(presenter, str) and bool(presenter.strip())


def contrib_button(session: Session, project: Project, stats: ProjectStats, caller: Caller) -> str:
    """Return PYBOSSA's contribution state: draft, publish, completed, can_contribute or cannot_contribute."""
    if not project.published:
        return "publish" if has_presenter(project) and stats.n_tasks else "draft"
    if stats.n_tasks and stats.overall_progress >= 100:
        return "completed"
    open_task = session.scalar(
        sa.select(Task.id)
        .where(Task.project_id == project.id, Task.state != "completed", ~answered_by(caller))
        .limit(1)
    )
    return "can_contribute" if open_task is not None else "cannot_contribute"


def count_blogposts(session: Session, project: Project) -> int:
    return session.scalar(sa.select(sa.func.count(Blogpost.id)).where(Blogpost.project_id == project.id)) or 0


def count_results(session: Session, project: Project) -> int:
    return session.scalar(sa.select(sa.func.count(Result.id)).where(Result.project_id == project.id)) or 0


PROJECT_BY_SHORT_NAME = sa.select(Project).where(Project.short_name == sa.bindparam("short_name"))


def find_by_short_name(session: Session, short_name: str) -> Project | None:
    return session.scalar(PROJECT_BY_SHORT_NAME, {"short_name": short_name})


def short_name_taken(session: Session, short_name: str, *, besides: Project | None = None) -> bool:
    """Tell whether another project has ``short_name`` (case-insensitively)."""
    return _taken(session, Project.short_name, short_name, besides)


def name_taken(session: Session, name: str, *, besides: Project | None = None) -> bool:
    """Tell whether another project has ``name`` (case-insensitively)."""
    return _taken(session, Project.name, name, besides)


def _taken(session: Session, column, value: str, besides: Project | None) -> bool:
    query = sa.select(Project.id).where(sa.func.lower(column) == value.lower())
    if besides is not None:
        query = query.where(Project.id != besides.id)
    return session.scalar(query.limit(1)) is not None


#: The categories a new site starts with, as PYBOSSA's (name, short name, description).
DEFAULT_CATEGORIES = (
    ("Thinking", "thinking", "Projects that ask volunteers to look, read and judge: tag, classify, transcribe."),
    ("Volunteer Sensing", "sensing", "Projects that ask volunteers to gather data where they are."),
)


def add_default_categories(session: Session) -> None:
    """Give a new site PYBOSSA's two categories, so its first projects have one."""
    session.add_all(
        Category(name=name, short_name=short_name, description=description)
        for name, short_name, description in DEFAULT_CATEGORIES
    )
    session.flush()


def create_project(session: Session, owner: User, fields: Mapping[str, Any]) -> Project:
    """Create a draft project of ``owner``, in the first category as PYBOSSA does."""
    project = Project(
        owner_id=owner.id,
        owners_ids=[owner.id],
        category_id=session.scalar(sa.select(Category.id).order_by(Category.id).limit(1)),
        info={},
        **fields,
    )
    session.add(project)
    session.flush()
    return project


def owners_of(session: Session, project: Project) -> list[User]:
    """Return the project's owner and co-owners, the owner first."""
    ids = [project.owner_id, *(user_id for user_id in project.owners_ids or [] if user_id != project.owner_id)]
    users = {user.id: user for user in session.scalars(sa.select(User).where(User.id.in_(ids)))}
    return [users[user_id] for user_id in ids if user_id in users]


def find_user(session: Session, text: str) -> User | None:
    """Return the user whose name or e-mail address is ``text`` (case-insensitively)."""
    text = text.lower()
    query = sa.select(User).where(sa.or_(sa.func.lower(User.name) == text, sa.func.lower(User.email_addr) == text))
    return session.scalar(query.order_by(User.id).limit(1))


def add_coowner(project: Project, user: User) -> tuple[str, str]:
    """Make ``user`` a co-owner; return the flash message and its status."""
    if user.id in (project.owners_ids or []) or user.id == project.owner_id:
        return _("User is already an owner"), "warning"
    project.owners_ids = [*(project.owners_ids or []), user.id]
    return _("User was added to list of owners"), "success"


def remove_coowner(project: Project, user: User) -> tuple[str, str]:
    """Take ``user`` off the co-owners (never the owner); return the flash message and its status."""
    if user.id == project.owner_id:
        return _("Cannot remove project creator"), "error"
    if user.id not in (project.owners_ids or []):
        return _("User is not a project owner"), "error"
    project.owners_ids = [owner_id for owner_id in project.owners_ids if owner_id != user.id]
    return _("User was deleted from the list of owners"), "success"


def invite(project: Project, user: User) -> tuple[str, str]:
    """Let ``user`` see the private ``project``; return the flash message and its status."""
    if user.id == project.owner_id or user.id in (project.owners_ids or []):
        return _("This user already owns the project"), "warning"
    if user.id in (project.invited_ids or []):
        return _("This user is already invited"), "warning"
    project.invited_ids = [*(project.invited_ids or []), user.id]
    return _("${name} may now see the project", mapping={"name": user.name}), "success"


def uninvite(project: Project, user: User) -> tuple[str, str]:
    if user.id not in (project.invited_ids or []):
        return _("This user is not invited"), "error"
    project.invited_ids = [user_id for user_id in project.invited_ids if user_id != user.id]
    return _("${name} may no longer see the project", mapping={"name": user.name}), "success"


def invited_users(session: Session, project: Project) -> list[User]:
    ids = project.invited_ids or []
    return list(session.scalars(sa.select(User).where(User.id.in_(ids)).order_by(User.name))) if ids else []


def invitation_key(project: Project, secret: str) -> str:
    """The key of the project's invitation link; resetting the project's secret key revokes it."""
    message = f"invitation:{project.id}:{project.secret_key}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def transfer_ownership(project: Project, new_owner: User) -> None:
    """Make ``new_owner`` the project's owner; the old owner and the co-owners stay co-owners."""
    project.owner_id = new_owner.id
    project.owners_ids = [new_owner.id, *(owner_id for owner_id in project.owners_ids or [] if owner_id != new_owner.id)]


def reset_secret_key(project: Project) -> None:
    project.secret_key = new_secret_key()


def delete_project(session: Session, project: Project) -> None:
    """Delete ``project``; the database deletes its tasks, task runs, results and the rest."""
    session.execute(sa.delete(Project).where(Project.id == project.id))
    session.expunge(project)


def set_task_presenter(project: Project, html: str, environment: str) -> None:
    """Save the presenter and the environment chosen for it ("" leaves it to the presenter)."""
    info = {key: value for key, value in (project.info or {}).items() if key != "presenter_environment"}
    project.info = {**info, "task_presenter": html, **({"presenter_environment": environment} if environment else {})}


def publish(session: Session, project: Project) -> None:
    """Publish ``project``, or raise :class:`CannotPublish` when it has no presenter or no tasks."""
    has_tasks = session.scalar(sa.select(Task.id).where(Task.project_id == project.id).limit(1)) is not None
    if not (has_presenter(project) and has_tasks):
        raise CannotPublish(NOT_PUBLISHABLE)
    project.published = True


def _info_key(info: Any) -> str:
    return json.dumps(info, sort_keys=True, separators=(",", ":"))


def read_import(importer: ImporterSpec, form: Mapping[str, Any], policy: outbound.Policy) -> list[dict[str, Any]]:
    """Return every task ``importer`` makes from ``form``, its downloads fetched under ``policy``.

    It is all read before any task is created, so an :class:`ImportFailed` raised half-way
    imports nothing.
    """
    with outbound.using(policy):
        return list(importer.tasks(form))


def store_imported(session: Session, project: Project, imported: Iterable[dict[str, Any]]) -> int:
    """Create the ``imported`` tasks (from :func:`read_import`) in ``project``; return how many were new.

    A task whose ``info`` equals an existing task's of the project (or an earlier one of the same
    import) is left out.
    """
    seen = {_info_key(info) for info in session.scalars(sa.select(Task.info).where(Task.project_id == project.id))}
    rows = []
    for task in imported:
        info = task.get("info")
        if not isinstance(info, dict):
            raise ImportFailed(_("The importer gave a task without info."))
        key = _info_key(info)
        if "\\u0000" in key:
            # PostgreSQL refuses NUL in JSON; refuse it on every back end alike, as the API does.
            raise ImportFailed(_("The tasks must not hold NUL characters."))
        if key in seen:
            continue
        seen.add(key)
        row = {"project_id": project.id, "info": info}
        row.update({field: task[field] for field in IMPORTED_TASK_FIELDS if field in task})
        for field in ("n_answers", "quorum", "calibration"):
            if field in row and not INT32[0] <= row[field] <= INT32[1]:
                raise ImportFailed(f"{field} {row[field]} is out of range.")
        if "n_answers" in row or quality.retirement(project) is not None:
            row["n_answers"] = quality.task_limit(project, row.get("n_answers", Task.__table__.c.n_answers.default.arg))
        if row.get("calibration") == 1 and row.get("gold_answers") is None:
            raise ImportFailed(NO_GOLD_ANSWERS)
        rows.append(row)
    session.add_all(Task(**row) for row in rows)
    session.flush()
    return len(rows)


def set_redundancy(session: Session, project: Project, n_answers: int) -> list[int]:
    """Make every task of ``project`` need ``n_answers`` answers, in a few statements whatever its size.

    Tasks that now have enough answers are completed; completed tasks that now lack answers are
    open again. The change is recorded in the audit log, as PYBOSSA records it (``task.n_answers``,
    old value ``N/A``). Returns the ids of the tasks it completed, whose results the caller makes
    (``aggregation.complete_task``).
    """
    of_project = Task.project_id == project.id
    completing = session.scalars(
        sa.select(Task.id).where(of_project, Task.state != "completed", Task.n_task_runs >= n_answers)
    ).all()
    session.execute(
        sa.update(Task).where(of_project).values(
            n_answers=n_answers,
            state=sa.case((Task.n_task_runs >= n_answers, "completed"), else_="ongoing"),
        ).execution_options(synchronize_session=False)
    )
    project_data_changed(session, project.id)
    auditlog.record_change(session, project, "task.n_answers", "N/A", n_answers)
    session.expire_all()
    return list(completing)


def tasks_page(session: Session, project: Project, page: int, per_page: int, *,
               show_gold: bool = False) -> list[dict[str, Any]]:
    """Return one page of ``project``'s tasks with their answer counts (from ``task.n_task_runs``);
    ``show_gold`` (for owners and admins only) also says which are gold tasks."""
    tasks: Iterable[Task] = session.scalars(
        sa.select(Task).where(Task.project_id == project.id).order_by(Task.id).offset((page - 1) * per_page).limit(per_page)
    )
    return [
        {
            "id": task.id,
            "n_answers": task.n_answers,
            "n_task_runs": task.n_task_runs,
            "pct_status": task.n_task_runs / task.n_answers if task.n_answers else 0.0,
            **({"gold": task.is_gold} if show_gold else {}),
        }
        for task in tasks
    ]


def set_gold(task: Task, gold_answers: Any) -> None:
    """Make ``task`` a gold task whose expected answer is ``gold_answers``; None: an ordinary task again
    (``calibration`` 0, no gold answers), as the API's ``PUT /api/task`` would."""
    task.calibration, task.gold_answers = (0, None) if gold_answers is None else (1, gold_answers)
