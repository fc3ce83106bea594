"""``/api/favorites``: the tasks a signed-in user marked as favourites."""
from __future__ import annotations

import colander
import sqlalchemy as sa

from pybossa_core.api import task as task_api
from pybossa_core.api.base import api_call, load, read_body, serialize
from pybossa_core.api.describe import Description, json_answer, operation, ref, summary
from pybossa_core.db import json_array_contains
from pybossa_core.errors import BadRequest, MethodNotAllowed, NotFound
from pybossa_core.models import Task
from pybossa_core.schemas import api as api_schemas
from pybossa_core.schemas.jsonschema import JSON_OBJECT, node_schema
from pybossa_core.security import require_user

#: What a POST reads of its body: the task's id (an integer as the API takes one); other keys are ignored.
FAVORITE_BODY = colander.SchemaNode(
    colander.Mapping(unknown="ignore"),
    colander.SchemaNode(api_schemas.Integer(bounds=api_schemas.integer_bounds(Task.__table__.c.id.type)), name="task_id"),
)


def favorites(request):
    """GET lists the caller's favourite tasks; POST ``{"task_id": N}`` adds one."""
    call = api_call(request)
    user = require_user(call.user)
    if request.method == "GET":
        query = sa.select(Task).where(json_array_contains(call.session, Task.fav_user_ids, user.id)).order_by(Task.id)
        base_url = request.application_url  # built from the request's headers on each access
        return [serialize(call, task_api.RESOURCE, task, base_url) for task in call.session.scalars(query)]
    if request.method != "POST":
        raise MethodNotAllowed()
    try:
        task_id = FAVORITE_BODY.deserialize(read_body(request, task_api.RESOURCE).fields)["task_id"]
    except colander.Invalid:
        raise BadRequest("task_id must be a task's id") from None
    task = load(call.session, Task, task_id)
    if task is None:
        raise NotFound()
    if user.id not in (task.fav_user_ids or []):
        task.fav_user_ids = [*(task.fav_user_ids or []), user.id]
    return serialize(call, task_api.RESOURCE, task, request.application_url)


def favorite(request):
    """DELETE ``/api/favorites/<task_id>`` removes a task from the caller's favourites."""
    if request.method != "DELETE":
        raise MethodNotAllowed()
    call = api_call(request)
    user = require_user(call.user)
    task = load(call.session, Task, int(request.matchdict["task_id"]))
    if task is None or user.id not in (task.fav_user_ids or []):
        raise NotFound()
    task.fav_user_ids = [uid for uid in task.fav_user_ids if uid != user.id]
    return serialize(call, task_api.RESOURCE, task, request.application_url)


def _favorites_path_item(route_name: str, view) -> dict:
    # Any other key is read (and ignored) as any JSON body is: no NUL anywhere.
    body = {**node_schema(FAVORITE_BODY), **JSON_OBJECT}
    tasks = {"type": "array", "items": ref("Task")}
    request_body = {"required": True, "content": {"application/json": {"schema": body}}}
    return {
        "get": operation(
            "list_favorites", "List the caller's favourite tasks", {"200": json_answer(tasks, jsonp_too=True)},
            tag="favorites",
        ),
        "post": operation(
            "add_favorite", "Add a task to the caller's favourites", {"200": json_answer(ref("Task"))},
            tag="favorites", requestBody=request_body,
        ),
    }


def _favorite_path_item(route_name: str, view) -> dict:
    return {"delete": operation("remove_favorite", summary(view), {"200": json_answer(ref("Task"))}, tag="favorites")}


def includeme(config) -> None:
    config.add_route("api.favorites", "/api/favorites{slash:/?}")
    config.add_view(favorites, route_name="api.favorites", renderer="json", describe=Description(_favorites_path_item))
    config.add_route("api.favorites.item", r"/api/favorites/{task_id:\d+}{slash:/?}")
    config.add_view(favorite, route_name="api.favorites.item", renderer="json", describe=Description(_favorite_path_item))
