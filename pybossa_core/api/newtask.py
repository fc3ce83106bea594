"""``/api/<project_id>/newtask`` and ``/api/project/<project>/userprogress``: the volunteer's side of a project."""
from __future__ import annotations

import datetime

import sqlalchemy as sa

from pybossa_core.api import task as task_api
from pybossa_core.api.base import ApiCall, api_call, load, serialize
from pybossa_core.api.callers import caller_for, require_unlocked
from pybossa_core.api.describe import (
    CONTROL_PARAMETERS,
    EXTERNAL_UID,
    Description,
    json_answer,
    operation,
    query,
    ref,
    simple_get,
    summary,
)
from pybossa_core.db import commit_answered
from pybossa_core.errors import BadRequest, MethodNotAllowed, NotFound
from pybossa_core.interfaces import ICache, ISchedulers
from pybossa_core.models import Project, Task
from pybossa_core.models.meta import utcnow
from pybossa_core.models.meta import INT32
from pybossa_core.schemas.query import parse_bool, parse_int
from pybossa_core.security import may_see_project
from pybossa_core.services import contribution
from pybossa_core.services.cache import PROJECTS
from pybossa_core.services.quiz import QuizFailed
from pybossa_core.services.scheduling import TaskRequest, pick_tasks

MAX_TASKS = 100


PROJECT_BY_SHORT_NAME = sa.select(*Project.__table__.columns).where(Project.short_name == sa.bindparam("short_name"))


def _project(call: ApiCall, reference: str) -> Project:
    """Find a project by id or short name (drafts too: testers contribute before publication), as a
    read-only row: the volunteer's side only reads it. Every volunteer's request reads it, so it is
    kept in the cache until any project is written (``projects`` namespace)."""
    project = call.find_service(ICache).kept_row(PROJECTS, reference, lambda: _project_row(call, reference))
    if project is None or not may_see_project(call.user, project):
        raise NotFound()
    return project


def _project_row(call: ApiCall, reference: str) -> Project | None:
    if reference.isdigit():
        return load(call.session, Project, int(reference), row=True)
    return call.session.execute(PROJECT_BY_SHORT_NAME, {"short_name": reference}).one_or_none()


def _task_request(call: ApiCall, project: Project, caller: contribution.Caller, now: datetime.datetime) -> TaskRequest:
    params = call.params
    orderby = params.get("orderby") or None
    if orderby is not None and (orderby not in Task.__table__.c or isinstance(Task.__table__.c[orderby].type, sa.JSON)):
        raise BadRequest(f"cannot order by {orderby!r}")
    return TaskRequest(
        session=call.session,
        project=project,
        caller=caller,
        now=now,
        limit=min(parse_int("limit", params.get("limit", "1"), minimum=1), MAX_TASKS),
        # The schedulers bind it as an SQL integer.
        offset=parse_int("offset", params.get("offset", "0"), maximum=INT32[1]),
        orderby=orderby,
        desc=parse_bool("desc", params.get("desc", "false")),
    )


def _contributing(request, project_key: str) -> tuple[ApiCall, Project, contribution.Caller]:
    """Return the call, the project named in the route, and who contributes to it."""
    if request.method != "GET":
        raise MethodNotAllowed()
    call = api_call(request)
    project = _project(call, request.matchdict[project_key])
    require_unlocked(call, project)
    return call, project, caller_for(call, project, call.params.get("external_uid"))


def _refusal(message: str) -> dict:
    """PYBOSSA's way of refusing a task: a task-shaped object whose ``info`` carries the error."""
    return {**{column.key: None for column in Task.__table__.columns}, "info": {"error": message}}


def newtask(request):
    """Hand the caller its next task(s): one object, a list when ``limit`` > 1, ``{}`` when none is left."""
    call, project, caller = _contributing(request, "project_id")
    now = utcnow()
    try:
        tasks = contribution.hand_out_tasks(call.session, project, caller, now, lambda: pick_tasks(
            request.find_service(ISchedulers), _task_request(call, project, caller, now)))
    except QuizFailed as failed:
        return _refusal(str(failed))
    if tasks is None:
        return _refusal(contribution.ANONYMOUS_REFUSED)
    base_url = request.application_url  # built from the request's headers on each access
    items = [serialize(call, task_api.RESOURCE, task, base_url) for task in tasks]
    commit_answered(request)
    if not items:
        return {}
    return items[0] if len(items) == 1 else items


def userprogress(request):
    """Return ``{"done": n, "total": m}``: the caller's answers in a project, out of its tasks."""
    call, project, caller = _contributing(request, "project")
    return contribution.user_progress(call.session, project, caller)


NEW_TASK_REFUSED = {
    "type": "object",
    "description": "a task-shaped object whose info says why no task is handed out",
    "properties": {
        "info": {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]},
    },
    "required": ["info"],
}
USER_PROGRESS = {
    "type": "object",
    "properties": {"done": {"type": "integer"}, "total": {"type": "integer"}},
    "required": ["done", "total"],
    "additionalProperties": False,
}


def _newtask_path_item(route_name: str, view) -> dict:
    task_columns = sorted(column.key for column in Task.__table__.columns if not isinstance(column.type, sa.JSON))
    answer = {
        "anyOf": [
            ref("Task"),
            {"type": "array", "items": ref("Task")},
            {"type": "object", "maxProperties": 0, "description": "no task left for the caller"},
            ref("NewTaskRefused"),
        ]
    }
    parameters = [
        query("limit", {"schema": {"type": "integer", "minimum": 1}, "description": f"how many tasks (at most {MAX_TASKS})"}),
        query("offset", {**CONTROL_PARAMETERS["offset"], "schema": {"type": "integer", "minimum": 0, "maximum": INT32[1]}}),
        query("orderby", {"schema": {"type": "string", "enum": task_columns}}),
        query("desc", CONTROL_PARAMETERS["desc"]),
        EXTERNAL_UID,
    ]
    ok = {"200": json_answer(answer, jsonp_too=True)}
    return {"get": operation(route_name.replace(".", "_"), summary(view), ok, tag="contribution", parameters=parameters)}


NEWTASK = Description(_newtask_path_item, {"NewTaskRefused": NEW_TASK_REFUSED})
USERPROGRESS = simple_get(ref("UserProgress"), "contribution", [EXTERNAL_UID], schemas={"UserProgress": USER_PROGRESS})


def includeme(config) -> None:
    for name, pattern in (
        ("api.newtask", r"/api/{project_id:\d+}/newtask{slash:/?}"),
        ("api.project.newtask", r"/api/project/{project_id:\d+}/newtask{slash:/?}"),
    ):
        config.add_route(name, pattern)
        config.add_view(newtask, route_name=name, renderer="json", describe=NEWTASK)
        # newtask writes the handouts: on SQLite it takes the write lock in pick_tasks, after the
        # caller, the project and the quiz were read beside other writers.
        config.mark_writing_route(name, late=True)
    for name, pattern in (
        ("api.project.userprogress", "/api/project/{project}/userprogress{slash:/?}"),
        ("api.userprogress", r"/api/{project:\d+}/userprogress{slash:/?}"),
    ):
        config.add_route(name, pattern)
        config.add_view(userprogress, route_name=name, renderer="json", describe=USERPROGRESS)
