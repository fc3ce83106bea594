"""``/api/task``: anyone reads (as PYBOSSA, also a draft project's); project owners write."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import colander
import sqlalchemy as sa

from pybossa_core.api.base import ApiCall, ApiResource, Rules
from pybossa_core.api.callers import caller_for, closed_projects, require_unlocked
from pybossa_core.api.related import hide_gold_answers, task_related
from pybossa_core.errors import InvalidValue, Unauthorized
from pybossa_core.events import emit_after_commit
from pybossa_core.interfaces import IAggregators
from pybossa_core.models import Project, Task
from pybossa_core.schemas.query import parse_bool, parse_int
from pybossa_core.security import require_owner
from pybossa_core.services import aggregation, contribution, quality
from pybossa_core.services.tokens import token_project_id


class ProjectOwnersWrite(Rules):
    """Anyone reads; the owners of the object's project write (tasks, helping materials, pages)."""

    def check_create(self, call: ApiCall, obj) -> None:
        require_owner(call.user, call.parent("project", obj.project_id))

    def check_update(self, call: ApiCall, obj) -> None:
        require_owner(call.user, call.parent("project", obj.project_id))


class TaskRules(ProjectOwnersWrite):
    def readable(self, call: ApiCall, query: sa.Select) -> sa.Select:
        closed = closed_projects(call)
        return query if closed is None else query.where(Task.project_id.not_in(closed))

    def can_read(self, call: ApiCall, task: Task) -> bool:
        require_unlocked(call, call.parent("project", task.project_id))
        return True

    def list_conditions(self, call: ApiCall, params: Mapping[str, str]) -> list[Any]:
        """``participated=1`` leaves out the tasks the caller answered (``external_uid`` names an app's user)."""
        if not parse_bool("participated", params.get("participated", "0")):
            return []
        external_uid = params.get("external_uid")
        project = None
        if external_uid and call.user is None:
            # The project's Bearer token names the project when the query does not.
            if "project_id" in params:
                project_id = parse_int("project_id", params["project_id"])
            else:
                project_id = token_project_id(call.authorization)
            if project_id is None:
                raise Unauthorized("external_uid needs a Bearer token of its project")
            project = call.session.get(Project, project_id)
            if project is None:
                return [Task.id.is_(None)]
        caller = caller_for(call, project, external_uid)
        return [~contribution.answered_by(caller)]

    def prepare(self, call: ApiCall, task: Task) -> None:
        if task.n_answers is None:
            task.n_answers = Task.__table__.c.n_answers.default.arg
        task.n_answers = quality.task_limit(call.parent("project", task.project_id), task.n_answers)

    def present(self, call: ApiCall, task: Task, data: dict) -> dict:
        return hide_gold_answers(call, task, data)

    def validate(self, call: ApiCall, task: Task) -> None:
        if task.calibration == 1 and task.gold_answers is None:
            raise InvalidValue("gold_answers: a gold task (calibration = 1) needs its expected answers")

    def updated(self, call: ApiCall, task: Task) -> None:
        if contribution.sync_completion(call.session, task):
            project = call.parent("project", task.project_id)
            emit_after_commit(call.request, aggregation.complete_task(
                call.session, call.find_service(IAggregators), project, task.id, task
            ))


RESOURCE = ApiResource(
    name="task",
    model=Task,
    rules=TaskRules(),
    reserved=frozenset({"id", "created", "state", "fav_user_ids", "n_task_runs"}),
    parents=("project",),
    owned_by="project_id",
    list_keys=frozenset({"participated", "external_uid"}),
    validators={
        "n_answers": colander.Range(min=1),
        "quorum": colander.Range(min=0),
        "calibration": colander.Range(min=0),
    },
    related=task_related,
    free_json=frozenset({"gold_answers"}),
    # TaskRules.validate (a PUT may leave out the answers the task already has).
    body_rules=({
        "if": {"properties": {"calibration": {"const": 1}}, "required": ["calibration"]},
        "then": {"properties": {"gold_answers": {"not": {"type": "null"}}}, "required": ["gold_answers"]},
    },),
)
