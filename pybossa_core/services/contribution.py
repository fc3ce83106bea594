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
import functools
from dataclasses import dataclass
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from pybossa_core.errors import Forbidden, Unauthorized
from pybossa_core.models import Project, Result, Task, TaskHandout, TaskRun

#: How long a handed-out task waits for its answer, unless the project's ``info.timeout`` says otherwise.
DEFAULT_TIMEOUT = 3600
ANONYMOUS_REFUSED = "This project does not allow anonymous contributors"


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

    @property
    def identity(self) -> tuple[str, Any]:
        """The task run column that names this caller, and its value there."""
        if self.user_id is not None:
            return "user_id", self.user_id
        if self.external_uid is not None:
            return "external_uid", self.external_uid
        return "user_ip", self.anon_ip

    def answers(self) -> sa.ColumnElement[bool]:
        """SQL matching this caller's task runs."""
        column, who = self.identity
        return TaskRun.__table__.c[column] == who

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


TASK, HANDOUT, TASK_RUN, RESULT = Task.__table__, TaskHandout.__table__, TaskRun.__table__, Result.__table__

# The statements of the hot path are built once, with bound parameters: building and
# compiling them again on every newtask and answer cost more than running them.


@functools.cache
def _handout_upsert(dialect_name: str) -> sa.Insert:
    insert = (postgresql if dialect_name == "postgresql" else sqlite).insert(HANDOUT)
    # A live handout keeps the time it was first given (it becomes the answer's "created").
    still_live = HANDOUT.c.expires > insert.excluded.created
    return insert.on_conflict_do_update(
        index_elements=["task_id", "caller"],
        set_={"expires": insert.excluded.expires,
              "created": sa.case((still_live, HANDOUT.c.created), else_=insert.excluded.created)},
    )


@functools.cache
def _answer_check(column: str) -> sa.Select:
    """Whether the caller (named by ``column``) answered the task, and when its handout began and ends."""
    answered = sa.exists().where(TASK_RUN.c.task_id == sa.bindparam("task"), TASK_RUN.c[column] == sa.bindparam("who"))
    handout = sa.select(HANDOUT.c.created, HANDOUT.c.expires).where(
        HANDOUT.c.task_id == sa.bindparam("task"), HANDOUT.c.caller == sa.bindparam("caller"))
    return sa.select(
        answered.label("answered"),
        handout.with_only_columns(HANDOUT.c.created).scalar_subquery().label("created"),
        handout.with_only_columns(HANDOUT.c.expires).scalar_subquery().label("expires"),
    )


@functools.cache
def _count_answer(capped: bool) -> sa.Update:
    grows = TASK.c.n_task_runs + 1
    statement = (
        sa.update(TASK)
        .where(TASK.c.id == sa.bindparam("task"))
        .values(n_task_runs=grows, state=sa.case((grows >= TASK.c.n_answers, "completed"), else_=TASK.c.state))
        .returning(TASK.c.n_task_runs, TASK.c.n_answers)
    )
    return statement.where(TASK.c.n_task_runs < TASK.c.n_answers) if capped else statement


DROP_HANDOUT = sa.delete(HANDOUT).where(HANDOUT.c.task_id == sa.bindparam("task"), HANDOUT.c.caller == sa.bindparam("caller"))
RETIRE_RESULTS = (
    sa.update(RESULT).where(RESULT.c.task_id == sa.bindparam("task"), RESULT.c.last_version.is_(True)).values(last_version=False)
)
NEW_RESULT = sa.insert(RESULT).returning(RESULT.c.id)


def welcomes(project: Project, caller: Caller) -> bool:
    """Who may be handed ``project``'s tasks and answer them: anyone, unless the project refuses
    anonymous contributors (the API, the contribution page and the task page ask this)."""
    return project.allow_anonymous_contributors or not caller.is_anonymous


def hand_out_tasks(session: Session, project: Project, caller: Caller, now: datetime.datetime,
                   choose: Callable[[], list[Task]]) -> list[Task] | None:
    """How tasks reach a volunteer, by either door (the API's newtask, the task page): None when
    ``project`` does not welcome ``caller``, before anything is chosen; else the tasks ``choose``
    picks (a scheduler; the page's own task, after its checks), their hand-out recorded, so that
    the answers to them are accepted (:func:`submit_answer`)."""
    if not welcomes(project, caller):
        return None
    tasks = choose()
    _record_hand_out(session, project, tasks, caller, now)
    return tasks


def _record_hand_out(session: Session, project: Project, tasks: list[Task], caller: Caller, now: datetime.datetime) -> None:
    """Record that ``caller`` was handed ``tasks``: one upsert per task, racing callers included."""
    if not tasks:
        return
    expires = now + datetime.timedelta(seconds=project_timeout(project))
    rows = [{"project_id": project.id, "task_id": task.id, "caller": caller.key, "created": now, "expires": expires}
            for task in tasks]
    session.execute(_handout_upsert(session.get_bind().dialect.name), rows)


def _check_handout(session: Session, task_id: int, caller: Caller, now: datetime.datetime) -> datetime.datetime:
    """Return when ``task_id`` was handed to ``caller``, or refuse the answer it is about to give."""
    column, who = caller.identity
    state = session.execute(_answer_check(column), {"task": task_id, "who": who, "caller": caller.key}).one()
    if state.answered:
        raise Forbidden("You have already answered this task")
    if state.expires is None or state.expires <= now:
        raise Forbidden("You must request a task first!")
    return state.created


def submit_answer(session: Session, project: Project, task_run: TaskRun, caller: Caller,
                  now: datetime.datetime) -> None:
    """Take ``caller``'s answer to one of ``project``'s tasks: refuse it unless ``caller`` is welcome and
    holds a live handout of the task, then set the fields that are the server's to say (who answered,
    when the task was handed out and when it was answered)."""
    if not welcomes(project, caller):
        raise Unauthorized(ANONYMOUS_REFUSED)
    handed_out = _check_handout(session, task_run.task_id, caller, now)
    for name, value in caller.task_run_fields().items():
        setattr(task_run, name, value)
    task_run.created = handed_out
    task_run.finish_time = now


def record_answer(session: Session, task_run: TaskRun, *, allow_overfill: bool) -> bool:
    """Count a new answer on its task; return whether it completed the task (whose result the
    caller makes: ``aggregation.complete_task``).

    Raises Forbidden when the task already has all its answers, so the answer
    is rolled back with the request, unless ``allow_overfill``.
    """
    row = session.execute(_count_answer(not allow_overfill), {"task": task_run.task_id}).first()
    if row is None:
        raise Forbidden("This task already has all the answers it needs")
    session.execute(DROP_HANDOUT, {"task": task_run.task_id, "caller": caller_of_task_run(task_run).key})
    _expire_task(session, task_run.task_id)
    return row.n_task_runs == row.n_answers


def forget_answer(session: Session, task_id: int) -> None:
    """Count one answer fewer on a task whose task run was deleted, re-opening it if it was complete."""
    session.execute(
        sa.update(TASK)
        .where(TASK.c.id == task_id)
        .values(n_task_runs=TASK.c.n_task_runs - 1,
                state=sa.case((TASK.c.n_task_runs - 1 < TASK.c.n_answers, "ongoing"), else_=TASK.c.state))
    )
    _expire_task(session, task_id)


def caller_of_task_run(task_run: TaskRun) -> Caller:
    return Caller(task_run.user_id, task_run.external_uid, task_run.user_ip)


def create_result(session: Session, project_id: int, task_id: int, run_ids: list[int], info: Any) -> int:
    """Make the result of a task just completed, of its task runs ``run_ids``, with ``info``, and
    return its id; an earlier result stops being the last."""
    session.execute(RETIRE_RESULTS, {"task": task_id})
    return session.scalar(NEW_RESULT, {"project_id": project_id, "task_id": task_id, "task_run_ids": run_ids,
                                       "info": info, "last_version": True})


def sync_completion(session: Session, task: Task) -> bool:
    """Bring a task's state in line with its ``n_answers`` after an owner changed it.

    Raising ``n_answers`` above the answers received re-opens a completed task; lowering it to or
    below them completes an open one, and then returns True (its result is the caller's to make).
    """
    if task.state == "completed" and task.n_task_runs < task.n_answers:
        task.state = "ongoing"
    elif task.state != "completed" and task.n_task_runs >= task.n_answers:
        task.state = "completed"
        session.flush()
        return True
    return False


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
