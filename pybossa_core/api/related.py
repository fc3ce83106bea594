"""``related=True``: a page of tasks, task runs or results with their related objects, in three queries."""
from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from pybossa_core.api.base import ApiCall, to_dict
from pybossa_core.models import Result, Task, TaskRun
from pybossa_core.security import embargoed_projects, owns


def hide_gold_answers(call: ApiCall, task: Task, data: dict[str, Any]) -> dict[str, Any]:
    """Blank a gold task's expected answer for anyone but its project's owners and admins.

    Wherever a task is shown (the task API, newtask, related objects, exports): a volunteer who
    could read it would answer gold tasks right and nothing else.
    """
    if task.gold_answers is not None and not owns(call.user, call.parent("project", task.project_id)):
        data["gold_answers"] = None
    return data


def _not_embargoed(call: ApiCall, model: type) -> list[sa.ColumnElement[bool]]:
    """The condition leaving out answers and results the caller may not see yet (``security.under_embargo``)."""
    embargoed = embargoed_projects(call.session, call.user)
    return [] if embargoed is None else [model.project_id.not_in(embargoed)]


def _task_runs_by_task(call: ApiCall, task_ids: set[int]) -> dict[int, list[dict]]:
    grouped: dict[int, list[dict]] = defaultdict(list)
    query = sa.select(TaskRun).where(TaskRun.task_id.in_(task_ids), *_not_embargoed(call, TaskRun)).order_by(TaskRun.id)
    for task_run in call.session.scalars(query):
        grouped[task_run.task_id].append(to_dict(task_run))
    return grouped


def _results_by_task(call: ApiCall, task_ids: set[int]) -> dict[int, dict]:
    query = sa.select(Result).where(
        Result.task_id.in_(task_ids), Result.last_version.is_(True), *_not_embargoed(call, Result)
    )
    return {result.task_id: to_dict(result) for result in call.session.scalars(query)}


def _tasks_by_id(call: ApiCall, task_ids: set[int]) -> dict[int, dict]:
    tasks = call.session.scalars(sa.select(Task).where(Task.id.in_(task_ids)))
    return {task.id: hide_gold_answers(call, task, to_dict(task)) for task in tasks}


def task_related(call: ApiCall, tasks: list[Any], items: list[dict]) -> None:
    """Add each task's ``task_runs`` and ``result``."""
    ids = {task.id for task in tasks}
    task_runs, results = _task_runs_by_task(call, ids), _results_by_task(call, ids)
    for task, item in zip(tasks, items):
        item["task_runs"] = task_runs.get(task.id, [])
        item["result"] = results.get(task.id)


def task_run_related(call: ApiCall, task_runs: list[Any], items: list[dict]) -> None:
    """Add each task run's ``task`` and ``result``."""
    ids = {task_run.task_id for task_run in task_runs}
    tasks, results = _tasks_by_id(call, ids), _results_by_task(call, ids)
    for task_run, item in zip(task_runs, items):
        item["task"] = tasks.get(task_run.task_id)
        item["result"] = results.get(task_run.task_id)


def result_related(call: ApiCall, results: list[Any], items: list[dict]) -> None:
    """Add each result's ``task`` and ``task_runs``."""
    ids = {result.task_id for result in results}
    tasks, task_runs = _tasks_by_id(call, ids), _task_runs_by_task(call, ids)
    for result, item in zip(results, items):
        item["task"] = tasks.get(result.task_id)
        item["task_runs"] = task_runs.get(result.task_id, [])
