"""The REST API under ``/api``: one generic view per domain resource, plus globalstats."""
from __future__ import annotations

from pyramid.response import Response

from pybossa_core.api.base import ApiCall, ApiResource, ResourceService, api_call, read_body, serialize
from pybossa_core.db import commit_answered
from pybossa_core.errors import MethodNotAllowed
from pybossa_core.schemas.query import parse_bool, parse_list_params


class ResourceViews:
    """The views of one resource: the collection (GET lists, POST creates) and its items."""

    def __init__(self, resource: ApiResource):
        self.resource = resource
        self.service = ResourceService(resource)

    def collection(self, request):
        if request.method == "GET":
            return self.list(request)
        if request.method == "POST":
            return self.write(request)
        raise MethodNotAllowed()

    def item(self, request):
        object_id = int(request.matchdict["id"])
        if request.method == "GET":
            self._allow("GET")
            call = api_call(request)
            related = parse_bool("related", request.GET["related"]) if "related" in request.GET else False
            return self._present(request, call, [self.service.read(call, object_id)], related=related)[0]
        if request.method == "PUT":
            return self.write(request, object_id)
        if request.method == "DELETE":
            self._allow("DELETE")
            self.service.delete(api_call(request), object_id)
            return Response(status=204, content_type="application/json")
        raise MethodNotAllowed()

    def list(self, request):
        self._allow("GET")
        call = api_call(request)
        settings = request.registry.settings
        params = parse_list_params(
            request.GET,
            self.resource.model,
            filterable=self.resource.rules.filterable(call, self.resource.columns),
            resource_keys=self.resource.list_keys,
            dialect=call.session.get_bind().dialect.name,
            default_limit=settings["api.default_limit"],
            max_limit=settings["api.max_limit"],
        )
        if params.search is not None:
            found = self.service.search(call, params)
            return self._present(
                request, call, [obj for obj, _ in found], related=params.related, hits=[hit for _, hit in found]
            )
        return self._present(request, call, self.service.list(call, params), related=params.related)

    def write(self, request, object_id: int | None = None):
        self._allow("POST" if object_id is None else "PUT")
        call = api_call(request)
        body = read_body(request, self.resource)
        if object_id is None:
            obj = self.service.create(call, body)
        else:
            obj = self.service.update(call, object_id, body)
        answer = serialize(call, self.resource, obj, request.application_url)
        commit_answered(request)
        return answer

    def _present(self, request, call: ApiCall, objects: list, *, related: bool, hits: list | None = None) -> list[dict]:
        hits = hits or [None] * len(objects)
        base_url = request.application_url  # built from the request's headers on each access
        items = [serialize(call, self.resource, obj, base_url, hit) for obj, hit in zip(objects, hits)]
        if related and self.resource.related is not None and objects:
            self.resource.related(call, objects, items)
        return items

    def _allow(self, method: str) -> None:
        if method not in self.resource.methods:
            raise MethodNotAllowed()


def add_api_resource(config, resource: ApiResource) -> None:
    """Serve ``resource`` at ``/api/<name>`` and ``/api/<name>/<id>`` (with or without a trailing slash)."""
    views = ResourceViews(resource)
    name = resource.name
    config.add_route(f"api.{name}", f"/api/{name}{{slash:/?}}")
    config.add_route(f"api.{name}.item", rf"/api/{name}/{{id:\d+}}{{slash:/?}}")
    config.add_view(views.collection, route_name=f"api.{name}", renderer="json")
    config.add_view(views.item, route_name=f"api.{name}.item", renderer="json")


def includeme(config) -> None:
    from pybossa_core.api import category, content, project, result, task, taskrun, user

    config.include("pybossa_core.api.cors")
    config.include("pybossa_core.api.jsonp")
    # add_view(..., describe=...): the special endpoints' OpenAPI descriptions.
    config.include("pybossa_core.api.describe")
    # Before the resources: a view deriver applies to the views added after it.
    config.include("pybossa_core.api.ratelimit")
    config.add_directive("add_api_resource", add_api_resource)
    for resource in (
        project.RESOURCE,
        category.RESOURCE,
        task.RESOURCE,
        taskrun.RESOURCE,
        result.RESOURCE,
        user.RESOURCE,
        content.BLOGPOST,
        content.HELPINGMATERIAL,
        content.ANNOUNCEMENT,
        content.PAGE,
    ):
        config.add_api_resource(resource)
    # An answer's checks read beside other writers; SQLite's write lock is taken at its INSERT
    # (the unique answer per caller and task and the capped count keep it right).
    config.mark_writing_route(f"api.{taskrun.RESOURCE.name}", late=True)
    config.include("pybossa_core.api.globalstats")
    config.include("pybossa_core.api.newtask")
    config.include("pybossa_core.api.reliability")
    config.include("pybossa_core.api.auth")
    config.include("pybossa_core.api.favorites")
