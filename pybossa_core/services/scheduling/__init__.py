"""Task schedulers: which tasks newtask hands to a caller.

A scheduler is a :class:`~pybossa_core.plugin_api.SchedulerSpec` whose ``pick``
receives a :class:`TaskRequest` and returns tasks; the core then records the
handouts.  The bundled schedulers (``builtin``) are registered through the
``register_schedulers`` hook like any plugin's.
"""
from __future__ import annotations

import dataclasses
import datetime
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pybossa_core import db
from pybossa_core.models import Project, Task, TaskAssignment, TaskHandout, TaskRun
from pybossa_core.models.task import IS_GOLD
from pybossa_core.services import quality, quiz
from pybossa_core.services.contribution import Caller

#: The scheduler of a project that names none, or one the site no longer has.
DEFAULT_SCHEDULER = "default"

# The statements are built once per shape, with the request's values as bound parameters
# (``TaskRequest.params``): building them on every newtask cost more than running them.
TASK_RUN, HANDOUT = TaskRun.__table__, TaskHandout.__table__

#: Live handouts of a task to callers other than the one asking.
IN_FLIGHT = (
    sa.select(sa.func.count(HANDOUT.c.id))
    .where(HANDOUT.c.task_id == Task.id, HANDOUT.c.expires > sa.bindparam("now"),
           HANDOUT.c.caller != sa.bindparam("caller"))
    .scalar_subquery()
)


ASSIGNMENT = TaskAssignment.__table__
#: Tasks assigned to nobody (anyone may get them).
UNASSIGNED = ~sa.exists().where(ASSIGNMENT.c.task_id == Task.id)
#: Tasks assigned to nobody or to the asking user (``who``: their id).
FOR_THE_USER = sa.or_(UNASSIGNED, sa.exists().where(ASSIGNMENT.c.task_id == Task.id, ASSIGNMENT.c.user_id == sa.bindparam("who")))


@functools.cache
def _open_tasks(caller_column: str, include_completed: bool, ordinary_only: bool = False, assigns: bool = False) -> sa.Select:
    """``assigns``: the project assigns some tasks to named volunteers, so each candidate is checked
    (two primary-key probes); a project that assigns nothing never pays for it."""
    answered = sa.exists().where(TASK_RUN.c.task_id == Task.id, TASK_RUN.c[caller_column] == sa.bindparam("who"))
    query = sa.select(Task).where(Task.project_id == sa.bindparam("project"), ~answered)
    if ordinary_only:
        query = query.where(~IS_GOLD)
    if assigns:
        # Only users are named: anonymous and external callers get the tasks assigned to nobody.
        query = query.where(FOR_THE_USER if caller_column == "user_id" else UNASSIGNED)
    return query if include_completed else query.where(Task.state != "completed")


@functools.cache
def _gold_tasks(caller_column: str, assigns: bool = False) -> sa.Select:
    """The project's gold tasks the caller has not answered, the least answered first (completed ones too)."""
    return _open_tasks(caller_column, True, assigns=assigns).where(IS_GOLD).order_by(Task.n_task_runs, Task.id)


@functools.cache
def _answers_so_far(caller_column: str) -> sa.Select:
    """How many of the project's tasks the caller answered, and how many of them were gold."""
    return (
        sa.select(sa.func.count(TASK_RUN.c.id), sa.func.count(TASK_RUN.c.id).filter(IS_GOLD))
        .select_from(TASK_RUN.join(Task.__table__, Task.id == TASK_RUN.c.task_id))
        .where(TASK_RUN.c.project_id == sa.bindparam("project"), TASK_RUN.c[caller_column] == sa.bindparam("who"))
    )


#: Under adaptive retirement, the answers a task can still need: ``min_answers`` at first, then
#: one at a time (a task with that many answers is not sure yet, or it would have completed),
#: never more than its ``n_answers``; gold tasks never retire early, so they need them all.
_SOON = sa.case((Task.n_task_runs < sa.bindparam("min_answers"), sa.bindparam("min_answers")), else_=Task.n_task_runs + 1)
STILL_NEEDED = sa.case((IS_GOLD, Task.n_answers), (_SOON < Task.n_answers, _SOON), else_=Task.n_answers)


@functools.lru_cache(maxsize=256)
def _with_room(query: sa.Select, adaptive: bool) -> sa.Select:
    # Handing out more than the answers still needed would only get the extra answers refused
    # once the task retires early.
    return query.where(Task.n_task_runs + IN_FLIGHT < (STILL_NEEDED if adaptive else Task.n_answers))


@functools.lru_cache(maxsize=256)
def _ordered(query: sa.Select, orderby: str | None, desc: bool, default_order: tuple) -> sa.Select:
    if orderby is not None:
        column = Task.__table__.c[orderby]
        query = query.order_by(column.desc() if desc else column.asc())
    return query.order_by(*default_order, Task.id)


def scheduler_for(schedulers: Mapping[str, Any], project: Project) -> Any:
    """Return the scheduler named in the project's ``info.sched``, the default one when unknown
    (its plugin removed: ``pybossa serve`` and the admin plugins page name such projects)."""
    return schedulers.get((project.info or {}).get("sched") or DEFAULT_SCHEDULER) or schedulers[DEFAULT_SCHEDULER]


@dataclass(frozen=True)
class TaskRequest:
    """What a newtask call asks for: the scheduler's whole input.

    Its statements carry the request's values as bound parameters: run them with
    :meth:`fetch`, or pass :attr:`params` when executing them yourself.
    """

    session: Session
    project: Project
    caller: Caller
    now: datetime.datetime
    limit: int = 1
    offset: int = 0
    #: A task column to order by first (the query's ``orderby``), or None for the scheduler's own order.
    orderby: str | None = None
    desc: bool = False
    #: Leave gold tasks out of :meth:`open_tasks`: the core hands them out itself (``info.gold_rate``).
    ordinary_only: bool = False

    @property
    def params(self) -> dict[str, Any]:
        """The values of the bound parameters of this request's statements."""
        params = {"project": self.project.id, "who": self.caller.identity[1], "caller": self.caller.key, "now": self.now}
        if (rule := quality.retirement(self.project)) is not None:
            params["min_answers"] = rule.min_answers
        return params

    def open_tasks(self, *, include_completed: bool = False) -> sa.Select:
        """Tasks of the project the caller has not answered (and, by default, not completed), and
        that are assigned to nobody or to the caller."""
        return _open_tasks(self.caller.identity[0], include_completed, self.ordinary_only, bool(self.project.assigns_tasks))

    def gold_tasks(self) -> sa.Select:
        """The gold tasks the caller may still answer, the least answered first (completed ones too)."""
        return _gold_tasks(self.caller.identity[0], bool(self.project.assigns_tasks))

    def with_room(self, query: sa.Select) -> sa.Select:
        """Keep tasks whose answers plus others' live handouts still leave room for one more answer:
        below ``n_answers``, or, under adaptive retirement, below the answers the task can still
        need (``info.min_answers`` at first, then one at a time)."""
        return _with_room(query, quality.retirement(self.project) is not None)

    def ordered(self, query: sa.Select, *default_order: Any) -> sa.Select:
        """Order by the caller's ``orderby`` if given, else ``default_order``; ``id`` breaks ties.

        Pass ``default_order`` elements built once (module constants): they key a cache.
        """
        return _ordered(query, self.orderby, self.desc, default_order)

    def fetch(self, query: sa.Select) -> list[Any]:
        """Run the caller's page of ``query``; return its tasks as read-only rows (every column, by attribute)."""
        params = {**self.params, "offset": self.offset, "limit": self.limit}
        return task_rows(self.session, _paged(query), params)


def task_rows(session: Session, query: sa.Select, params: dict[str, Any]) -> list[Any]:
    """The tasks ``query`` (a ``select(Task)``) finds, as read-only rows.

    Run on the session's connection: the rows of the task's columns, without the ORM's loading
    of objects (a third of a newtask), which nothing handed out needs.
    """
    return session.connection().execute(query, params).all()


def pick_tasks(schedulers: Mapping[str, Any], request: TaskRequest) -> list[Any]:
    """Return the tasks newtask hands out (rows, or Task objects from a plugin's own query): the
    project's scheduler's, with gold tasks mixed in.

    A project whose ``info.gold_rate`` is 0 (the default) gets its scheduler's choice, gold
    tasks being ordinary ones there. Otherwise the caller is given a gold task it has not
    answered whenever its gold answers fall short of ``gold_rate`` of its answers (counting
    this one), and also when no ordinary task is left for it; the scheduler never sees gold tasks.
    A project's qualification quiz (``services/quiz.py``) comes before all this: raises
    :class:`~pybossa_core.services.quiz.QuizFailed` for a volunteer who failed it.
    """
    scheduler = scheduler_for(schedulers, request.project)
    # A project's quiz comes first: only gold tasks until it is passed, nothing once it is failed.
    standing = quiz.volunteer_status(request.session, request.project, request.caller.key)
    if standing == quiz.FAILED:
        raise quiz.QuizFailed(quiz.REFUSAL)
    # What follows counts answers and handouts, which must be the latest: on SQLite, under the write lock.
    db.writing(request.session)
    if standing == quiz.IN_PROGRESS:
        return request.fetch(request.gold_tasks())
    rate = quality.gold_rate(request.project)
    if rate == 0:
        return scheduler.pick(request)
    answered, answered_gold = request.session.execute(_answers_so_far(request.caller.identity[0]), request.params).one()
    gold = request.gold_tasks()
    if answered_gold < rate * (answered + 1) and (tasks := request.fetch(gold)):
        return tasks
    ordinary = dataclasses.replace(request, ordinary_only=True)
    return scheduler.pick(ordinary) or request.fetch(gold)


@functools.lru_cache(maxsize=256)
def _paged(query: sa.Select) -> sa.Select:
    # Built once per scheduler query (they are module constants or cached): building the page
    # and its cache key on every newtask cost a tenth of the call.
    return query.offset(sa.bindparam("offset", type_=sa.Integer)).limit(sa.bindparam("limit", type_=sa.Integer))
