"""The bundled schedulers, registered as a built-in default plugin (installed plugins come first)."""
from __future__ import annotations

import sqlalchemy as sa

from pybossa_core.models import Task, TaskHandout, TaskRun
from pybossa_core.plugin_api import SchedulerSpec
from pybossa_core.plugins import hookimpl
from pybossa_core.services.scheduling import TaskRequest

PRIORITY_FIRST = Task.priority_0.desc()


def depth_first(request: TaskRequest) -> list[Task]:
    """Tasks nearest completion first, skipping those whose missing answers are all in flight.

    When every open task is fully in flight the caller still gets one (an answer
    is refused only if the others complete it first), so nobody is turned away
    while work remains.
    """
    order = (PRIORITY_FIRST, Task.n_task_runs.desc())
    tasks = request.fetch(request.ordered(request.with_room(request.open_tasks()), *order))
    return tasks or request.fetch(request.ordered(request.open_tasks(), *order))


def breadth_first(request: TaskRequest) -> list[Task]:
    """Tasks with the fewest answers first."""
    order = (PRIORITY_FIRST, Task.n_task_runs.asc())
    tasks = request.fetch(request.ordered(request.with_room(request.open_tasks()), *order))
    return tasks or request.fetch(request.ordered(request.open_tasks(), *order))


def depth_first_all(request: TaskRequest) -> list[Task]:
    """Like depth first, but completed tasks stay on offer for more answers."""
    return request.fetch(request.ordered(request.open_tasks(include_completed=True), PRIORITY_FIRST, Task.n_task_runs.desc()))


def incremental(request: TaskRequest) -> list[Task]:
    """Depth first, each task carrying the previous answer in ``info.last_answer``."""
    tasks = depth_first(request)
    for task in tasks:
        last = request.session.scalar(
            sa.select(TaskRun.info).where(TaskRun.task_id == task.id).order_by(TaskRun.finish_time.desc()).limit(1)
        )
        if last is not None:
            # Detached copy: the answer is shown to the caller, never saved into the task.
            request.session.expunge(task)
            task.info = {**(task.info or {}), "last_answer": last}
    return tasks


def locked(request: TaskRequest) -> list[Task]:
    """One task at a time, reserved: never more callers on a task than answers it still needs.

    A caller with a live reservation gets the same task again.  The room left
    on a task is counted again once its row is locked, so two racing callers
    cannot both take its last place.  On PostgreSQL the first pass skips rows
    other callers hold (racing callers spread over tasks); if every candidate
    was held, a second pass waits for them, so nobody is turned away while a
    place remains.  On SQLite the write transaction is already exclusive.
    """
    if request.offset > 0:
        return []
    current = request.session.scalar(
        request.open_tasks()
        .join(TaskHandout, TaskHandout.task_id == Task.id)
        .where(TaskHandout.caller == request.caller.key, TaskHandout.expires > request.now)
        .order_by(Task.id)
        .limit(1)
    )
    if current is not None:
        return [current]
    query = request.ordered(request.with_room(request.open_tasks()), PRIORITY_FIRST).limit(20)
    if request.session.get_bind().dialect.name != "postgresql":
        return _first_with_room(request, query)
    return _first_with_room(request, query.with_for_update(skip_locked=True, of=Task)) or _first_with_room(
        request, query.with_for_update(of=Task)
    )


def _first_with_room(request: TaskRequest, candidates: sa.Select) -> list[Task]:
    for task in request.session.scalars(candidates):
        if request.session.scalar(request.with_room(sa.select(Task.id).where(Task.id == task.id))) is not None:
            return [task]
    return []


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
