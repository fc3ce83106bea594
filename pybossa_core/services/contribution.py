"""The contribution loop: handing tasks out, taking answers, completing tasks with results.

Integrity lives in the database: an answer is inserted under a unique
constraint per caller and task, the task's answer count is raised by one
conditional UPDATE in the same transaction (never above ``n_answers``, unless
the project's scheduler asks for answers to completed tasks), and handouts are
upserted in one statement.  So two racing requests can never both take the
last answer of a task, on SQLite or on PostgreSQL.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from pybossa_core.errors import Forbidden
from pybossa_core.models import Project, Result, Task, TaskHandout, TaskRun

#: How long a handed-out task waits for its answer, unless the project's ``info.timeout`` says otherwise.
DEFAULT_TIMEOUT = 3600


@dataclass(frozen=True)
class Caller:
    """Who asks for a task or answers it: a user, an app's external user, or an anonymous visitor."""

    user_id: int | None = None
    external_uid: str | None = None
    anon_ip: str | None = None

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None and self.external_uid is None

    @property
    def key(self) -> str:
        """The name of this caller in handouts."""
        if self.user_id is not None:
            return f"user:{self.user_id}"
        if self.external_uid is not None:
            return f"external:{self.external_uid}"
        return f"anon:{self.anon_ip}"

    def answers(self) -> sa.ColumnElement[bool]:
        """SQL matching this caller's task runs."""
        if self.user_id is not None:
            return TaskRun.user_id == self.user_id
        if self.external_uid is not None:
            return TaskRun.external_uid == self.external_uid
        return TaskRun.user_ip == self.anon_ip

    def task_run_fields(self) -> dict[str, Any]:
        """The task run columns that say who answered."""
        return {"user_id": self.user_id, "external_uid": self.external_uid,
                "user_ip": self.anon_ip if self.is_anonymous else None}


def project_timeout(project: Project) -> int:
    """Return how many seconds a handout of ``project`` lasts."""
    timeout = (project.info or {}).get("timeout")
    return timeout if isinstance(timeout, int) and not isinstance(timeout, bool) and timeout > 0 else DEFAULT_TIMEOUT


def answered_by(caller: Caller) -> sa.ColumnElement[bool]:
    """SQL true for tasks ``caller`` has answered."""
    return sa.exists(sa.select(1).where(TaskRun.task_id == Task.id, caller.answers()))


def in_flight(caller: Caller, now: datetime.datetime) -> sa.ScalarSelect:
    """SQL counting the live handouts of a task to callers other than ``caller``."""
    return (
        sa.select(sa.func.count(TaskHandout.id))
        .where(TaskHandout.task_id == Task.id, TaskHandout.expires > now, TaskHandout.caller != caller.key)
        .scalar_subquery()
    )


def hand_out(session: Session, project: Project, tasks: list[Task], caller: Caller, now: datetime.datetime) -> None:
    """Record that ``caller`` was handed ``tasks``: one upsert per task, racing callers included."""
    if not tasks:
        return
    expires = now + datetime.timedelta(seconds=project_timeout(project))
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    rows = [{"project_id": project.id, "task_id": task.id, "caller": caller.key, "created": now, "expires": expires}
            for task in tasks]
    statement = dialect.insert(TaskHandout).values(rows)
    # A live handout keeps the time it was first given (it becomes the answer's "created").
    still_live = TaskHandout.expires > now
    statement = statement.on_conflict_do_update(
        index_elements=["task_id", "caller"],
        set_={
            "expires": statement.excluded.expires,
            "created": sa.case((still_live, TaskHandout.created), else_=statement.excluded.created),
        },
    )
    session.execute(statement)


def live_handout(session: Session, task_id: int, caller: Caller, now: datetime.datetime) -> TaskHandout | None:
    handout = session.scalar(
        sa.select(TaskHandout).where(TaskHandout.task_id == task_id, TaskHandout.caller == caller.key)
    )
    return handout if handout is not None and handout.expires > now else None


def check_answer(session: Session, task_id: int, caller: Caller, now: datetime.datetime) -> TaskHandout:
    """Return the handout an answer of ``caller`` to ``task_id`` follows, or refuse the answer."""
    if session.scalar(sa.select(TaskRun.id).where(TaskRun.task_id == task_id, caller.answers())) is not None:
        raise Forbidden("You have already answered this task")
    handout = live_handout(session, task_id, caller, now)
    if handout is None:
        raise Forbidden("You must request a task first!")
    return handout


def record_answer(session: Session, task_run: TaskRun, *, allow_overfill: bool) -> Result | None:
    """Count a new answer on its task, completing it (with a result) when it has enough.

    Raises Forbidden when the task already has all its answers, so the answer
    is rolled back with the request, unless ``allow_overfill``.
    """
    grows = Task.n_task_runs + 1
    statement = (
        sa.update(Task)
        .where(Task.id == task_run.task_id)
        .values(n_task_runs=grows, state=sa.case((grows >= Task.n_answers, "completed"), else_=Task.state))
        .returning(Task.n_task_runs, Task.n_answers)
        .execution_options(synchronize_session=False)
    )
    if not allow_overfill:
        statement = statement.where(Task.n_task_runs < Task.n_answers)
    row = session.execute(statement).first()
    if row is None:
        raise Forbidden("This task already has all the answers it needs")
    session.execute(
        sa.delete(TaskHandout)
        .where(TaskHandout.task_id == task_run.task_id, TaskHandout.caller == caller_of_task_run(task_run).key)
        .execution_options(synchronize_session=False)
    )
    _expire_task(session, task_run.task_id)
    if row.n_task_runs == row.n_answers:
        return create_result(session, task_run.project_id, task_run.task_id)
    return None


def caller_of_task_run(task_run: TaskRun) -> Caller:
    return Caller(task_run.user_id, task_run.external_uid, task_run.user_ip)


def create_result(session: Session, project_id: int, task_id: int) -> Result:
    """Make the result of a task just completed; an earlier result stops being the last version."""
    session.execute(
        sa.update(Result)
        .where(Result.task_id == task_id, Result.last_version.is_(True))
        .values(last_version=False)
        .execution_options(synchronize_session=False)
    )
    run_ids = list(session.scalars(sa.select(TaskRun.id).where(TaskRun.task_id == task_id).order_by(TaskRun.id)))
    result = Result(project_id=project_id, task_id=task_id, task_run_ids=run_ids, last_version=True)
    session.add(result)
    session.flush()
    return result


def sync_completion(session: Session, task: Task) -> Result | None:
    """Bring a task's state in line with its ``n_answers`` after an owner changed it.

    Raising ``n_answers`` above the answers received re-opens a completed task;
    lowering it to or below them completes an open one and makes its result.
    """
    if task.state == "completed" and task.n_task_runs < task.n_answers:
        task.state = "ongoing"
    elif task.state != "completed" and task.n_task_runs >= task.n_answers:
        task.state = "completed"
        session.flush()
        return create_result(session, task.project_id, task.id)
    return None


def user_progress(session: Session, project: Project, caller: Caller) -> dict[str, int]:
    """Return how many of ``project``'s tasks ``caller`` answered, out of all of them."""
    done = session.scalar(sa.select(sa.func.count(TaskRun.id)).where(TaskRun.project_id == project.id, caller.answers()))
    total = session.scalar(sa.select(sa.func.count(Task.id)).where(Task.project_id == project.id))
    return {"done": done, "total": total}


def _expire_task(session: Session, task_id: int) -> None:
    """Make a loaded task re-read the count and state the UPDATE just changed."""
    task = session.identity_map.get(identity_key(Task, task_id))
    if task is not None:
        session.expire(task, ["n_task_runs", "state"])
