"""The bundled schedulers, registered as a built-in default plugin (installed plugins come first).

Handing out counts the answers in flight: a task is offered only while its
answers plus the live handouts to others leave room.  On PostgreSQL two
newtask calls run side by side and cannot see each other's uncommitted
handouts, so candidate rows are locked (``FOR UPDATE SKIP LOCKED``: racing
callers spread over tasks) and the room is counted again under the lock.  On
SQLite ``pick_tasks`` takes the database's write lock before the scheduler
runs (``db.writing``), so the count is exact already.
"""
from __future__ import annotations

import dataclasses
import functools

import sqlalchemy as sa
from sqlalchemy.engine.result import result_tuple

from pybossa_core.models import Task, TaskHandout, TaskRun
from pybossa_core.plugin_api import SchedulerSpec
from pybossa_core.plugins import hookimpl
from pybossa_core.services.scheduling import TaskRequest, task_rows

PRIORITY_FIRST = (Task.priority_0.desc(),)
DEPTH_FIRST = (*PRIORITY_FIRST, Task.n_task_runs.desc())
BREADTH_FIRST = (*PRIORITY_FIRST, Task.n_task_runs.asc())
#: How many batches of locked candidates a pass looks at before giving up.
LOCK_ROUNDS = 4


ROOM_CHECK = sa.select(Task.id).where(Task.id == sa.bindparam("task"))


def _has_room(request: TaskRequest, task) -> bool:
    room = request.with_room(ROOM_CHECK)
    return request.session.connection().scalar(room, {**request.params, "task": task.id}) is not None


@functools.lru_cache(maxsize=256)
def _locking(query: sa.Select, skip_locked: bool) -> sa.Select:
    """The next ``batch`` of ``query``'s tasks not ``examined`` yet, locked: built once per query,
    as building it and its cache key on every newtask cost more CPU than its round trip."""
    return (
        query.where(Task.id.not_in(sa.bindparam("examined", expanding=True)))
        .with_for_update(of=Task, skip_locked=skip_locked)
        .limit(sa.bindparam("batch", type_=sa.BigInteger))  # offset + limit: past 32 bits for the largest offset
    )


def _with_room(request: TaskRequest, *order, wait: bool = False) -> list:
    """The tasks with room, in ``order``; on PostgreSQL locked and counted again (``wait``: wait for held rows)."""
    query = request.ordered(request.with_room(request.open_tasks()), *order)
    if request.session.get_bind().dialect.name != "postgresql":
        return request.fetch(query)
    wanted = request.offset + request.limit
    tasks: list = []
    examined: list[int] = []
    # Lock only as many rows as still wanted: rows locked and not used would keep others off them.
    for _ in range(LOCK_ROUNDS):
        batch = task_rows(request.session, _locking(query, not wait),
                          {**request.params, "examined": examined, "batch": wanted - len(tasks)})
        examined += [task.id for task in batch]
        tasks += [task for task in batch if _has_room(request, task)]
        if not batch or len(tasks) >= wanted:
            break
    return tasks[request.offset:wanted]


def _with_room_or_any(request: TaskRequest, *order) -> list:
    # When every open task is fully in flight the caller still gets one (its answer is
    # refused only if the others complete the task first): nobody is turned away while work remains.
    return _with_room(request, *order) or request.fetch(request.ordered(request.open_tasks(), *order))


def depth_first(request: TaskRequest) -> list:
    """Tasks nearest completion first."""
    return _with_room_or_any(request, *DEPTH_FIRST)


def breadth_first(request: TaskRequest) -> list:
    """Tasks with the fewest answers first."""
    return _with_room_or_any(request, *BREADTH_FIRST)


def depth_first_all(request: TaskRequest) -> list:
    """Like depth first, but completed tasks stay on offer for more answers."""
    return request.fetch(request.ordered(request.open_tasks(include_completed=True), *DEPTH_FIRST))


#: A task's row made anew (``incremental``'s copy with the previous answer).
TASK_ROW = result_tuple([column.key for column in Task.__table__.columns])
LAST_ANSWER = (
    sa.select(TaskRun.__table__.c.info).where(TaskRun.__table__.c.task_id == sa.bindparam("task"))
    .order_by(TaskRun.__table__.c.finish_time.desc()).limit(1)
)


def incremental(request: TaskRequest) -> list:
    """Depth first, each task carrying the previous answer in ``info.last_answer``."""
    tasks = []
    for task in depth_first(request):
        last = request.session.scalar(LAST_ANSWER, {"task": task.id})
        if last is not None:
            # A copy of the row: the answer is shown to the caller, never saved into the task.
            values = task._asdict()
            values["info"] = {**(task.info or {}), "last_answer": last}
            task = TASK_ROW(tuple(values.values()))
        tasks.append(task)
    return tasks


def locked(request: TaskRequest) -> list[Task]:
    """One task at a time, reserved: never more callers on a task than answers it still needs.

    A caller with a live reservation gets the same task again.  If every
    candidate row was held by racing callers, a second pass waits for them, so
    nobody is turned away while a place remains.
    """
    if request.offset > 0:
        return []
    current = task_rows(request.session, _current_reservation(request.open_tasks()), request.params)
    if current:
        return current
    single = dataclasses.replace(request, limit=1)
    return _with_room(single, *PRIORITY_FIRST) or _with_room(single, *PRIORITY_FIRST, wait=True)


@functools.lru_cache(maxsize=8)
def _current_reservation(open_tasks: sa.Select) -> sa.Select:
    """A task the caller holds a live reservation of."""
    return (
        open_tasks.join(TaskHandout, TaskHandout.task_id == Task.id)
        .where(TaskHandout.caller == sa.bindparam("caller"), TaskHandout.expires > sa.bindparam("now"))
        .order_by(Task.id)
        .limit(1)
    )


SCHEDULERS = (
    SchedulerSpec("default", "Depth first (default)", depth_first),
    SchedulerSpec("depth_first", "Depth first", depth_first),
    SchedulerSpec("breadth_first", "Breadth first", breadth_first),
    SchedulerSpec("depth_first_all", "Depth first, completed tasks included", depth_first_all, allows_overfill=True),
    SchedulerSpec("incremental", "Incremental", incremental),
    SchedulerSpec("locked", "Locked", locked),
)


@hookimpl(trylast=True)
def register_schedulers() -> list[SchedulerSpec]:
    return list(SCHEDULERS)
