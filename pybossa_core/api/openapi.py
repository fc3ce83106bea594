"""``/api/openapi.json`` and ``/api/docs``: the REST API described as OpenAPI 3.1.

The description is generated, never written by hand, so it cannot drift from
the code: bodies and objects come from the colander schemas the API validates
with (:func:`pybossa_core.schemas.api.body_schema` over each resource's
model, translated by :mod:`pybossa_core.schemas.jsonschema`), list parameters
from the resource's columns and :data:`pybossa_core.schemas.query.CONTROL_KEYS`,
and paths from the routes the application registers.  Every other view under
``/api`` declares its own description next to its route (``describe=``, see
:mod:`pybossa_core.api.describe`).  It is built once, after every other
configuration action, and registered as the site's :class:`~pybossa_core.interfaces.IOpenAPIDocument`.

``/api/docs`` browses it with Swagger UI, served from our own copy in
``pybossa_core/static/vendor/swagger-ui/`` (see its ``package.json`` for the version).
"""
from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import colander
import sqlalchemy as sa
from pyramid.events import NewResponse
from pyramid.interfaces import PHASE3_CONFIG
from pyramid.response import Response

from pybossa_core.api import ResourceViews
from pybossa_core.api.base import ApiCall, ApiResource
from pybossa_core.api.describe import (
    CONTROL_PARAMETERS,
    RESOURCE_PARAMETERS,
    Description,
    json_answer,
    operation,
    query,
    ref,
    simple_get,
    summary,
)
from pybossa_core.api.user import NEVER_SHOWN
from pybossa_core.errors import MethodNotAllowed
from pybossa_core.interfaces import IOpenAPIDocument
from pybossa_core.schemas import api as api_schemas
from pybossa_core.schemas.jsonschema import JSON_VALUE, NO_NUL, node_schema
from pybossa_core.schemas.query import CONTROL_KEYS, DATE_FILTER_SCHEMA, INFO_FILTER_SCHEMA

log = logging.getLogger(__name__)

OPENAPI_VERSION = "3.1.0"
SWAGGER_UI = "pybossa_core:static/vendor/swagger-ui/"
#: The format :func:`pybossa_core.api.base.format_value` gives timestamps (no zone, microseconds).
TIMESTAMP_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$"
#: Columns an object never shows, whoever asks.
HIDDEN_COLUMNS = {"user": frozenset(NEVER_SHOWN)}
#: What ``related=1`` adds to each object, by resource.
RELATED_KEYS = {
    "task": {"task_runs": "array", "result": "object"},
    "taskrun": {"task": "object", "result": "object"},
    "result": {"task": "object", "task_runs": "array"},
}

# -- the objects and bodies of a resource ----------------------------------------------------------


def _title(resource: ApiResource) -> str:
    return resource.model.__name__


def body_node(resource: ApiResource, *, creating: bool, from_text: bool = False) -> colander.SchemaNode:
    """Return the colander schema the API validates a POST (``creating``) or PUT body of ``resource`` with."""
    # A PUT may echo a set-once key (a task run's task) only unchanged: the body it describes leaves them out.
    fields = resource.writable if creating else [name for name in resource.writable if name not in resource.set_once]
    return api_schemas.body_schema(
        resource.model,
        fields,
        creating=creating,
        from_text=from_text,
        server_set=resource.server_set,
        free_json=resource.free_json,
        validators=resource.validators,
    )


def object_node(resource: ApiResource) -> colander.SchemaNode:
    """Return the colander schema of an object as the API shows it: every column it may show."""
    shown = sorted(resource.columns - HIDDEN_COLUMNS.get(resource.name, frozenset()))
    # A JSON column no client writes (owners_ids, fav_user_ids) holds whatever the server puts there.
    server_json = {c.key for c in resource.model.__table__.columns if isinstance(c.type, sa.JSON)} - set(resource.writable)
    return api_schemas.body_schema(
        resource.model, shown, creating=False, from_text=False,
        free_json=resource.free_json | server_json, validators=resource.validators,
    )


def _timestamp_columns(resource: ApiResource) -> list[str]:
    return [c.key for c in resource.model.__table__.columns if isinstance(c.type, sa.DateTime)]


def object_schema(resource: ApiResource) -> dict[str, Any]:
    """The JSON Schema of an object of ``resource`` (no key is promised: what a caller sees depends on who asks)."""
    schema = node_schema(object_node(resource))
    for name in _timestamp_columns(resource):
        if name in schema["properties"]:
            schema["properties"][name]["pattern"] = TIMESTAMP_PATTERN
    properties = schema["properties"]
    properties["link"] = {"type": "string", "description": "HATEOAS link to this object"}
    if resource.parents:
        properties["links"] = {"type": "array", "items": {"type": "string"}, "description": "links to its parents"}
    for key, kind in RELATED_KEYS.get(resource.name, {}).items():
        related = {"type": "array", "items": {"type": "object"}} if kind == "array" else {"type": ["object", "null"]}
        properties[key] = {**related, "description": "with related=1"}
    if "info" in resource.columns:
        properties["headline"] = {"type": ["string", "null"], "description": "with fulltextsearch=1"}
        properties["rank"] = {"type": "number", "description": "with fulltextsearch=1"}
    return schema


def form_schema(resource: ApiResource, *, creating: bool) -> dict[str, Any]:
    """A multipart body: the same fields as text, JSON fields as JSON text, and the uploaded ``file``."""
    schema = node_schema(body_node(resource, creating=creating, from_text=True))
    for name, field in schema["properties"].items():
        schema["properties"][name] = _never_null(field)  # a form has no null: every value is text
    schema["properties"]["file"] = {"type": "string", "contentMediaType": "application/octet-stream"}
    return schema


def _never_null(schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:  # any JSON value, as JSON text: not empty
        return {"allOf": [schema, {"not": {"type": "null"}}]}
    kind = schema.get("type")
    if isinstance(kind, list) and "null" in kind:
        rest = [name for name in kind if name != "null"]
        return {**schema, "type": rest[0] if len(rest) == 1 else rest}
    if "anyOf" in schema:
        return {**schema, "anyOf": [part for part in schema["anyOf"] if part != {"type": "null"}]}
    return schema


# -- parameters --------------------------------------------------------------------------------------

def _filter_schema(column_schema: dict[str, Any], column: sa.Column) -> dict[str, Any]:
    if isinstance(column.type, sa.DateTime):
        return DATE_FILTER_SCHEMA
    json_type = column_schema.get("type")
    json_type = json_type[0] if isinstance(json_type, list) else json_type
    schema = {key: column_schema[key] for key in ("minimum", "maximum") if key in column_schema}
    if json_type in ("integer", "number"):
        schema["description"] = "a value, or a JSON list of values"
    if json_type == "string":
        schema["pattern"] = NO_NUL  # refused with 400, as in bodies (schemas.query)
    return {"type": json_type, **schema}


def list_parameters(resource: ApiResource) -> list[dict[str, Any]]:
    """The query of ``GET /api/<resource>``: the filters an anonymous caller may use, then the controls."""
    # The rules decide from the caller alone; an anonymous call needs no session or registry.
    anonymous = ApiCall(session=None, user=None, client_ip="", request=None)  # type: ignore[arg-type]
    filterable = resource.rules.filterable(anonymous, resource.columns)
    table = resource.model.__table__
    orderable = sorted(name for name in filterable if not isinstance(table.c[name].type, sa.JSON))
    filters = node_schema(api_schemas.body_schema(resource.model, orderable, creating=False, from_text=True))["properties"]
    parameters = [
        query(name, {"schema": _filter_schema(filters[name], table.c[name]), "description": f"objects with this {name}"})
        for name in orderable
    ]
    if "info" in filterable:
        info = "key::value|key2::value2 filters, or key::words with fulltextsearch=1"
        parameters.append(query("info", {"schema": INFO_FILTER_SCHEMA, "description": info}))
    for name in sorted(resource.list_keys):
        parameters.append(query(name, RESOURCE_PARAMETERS.get(name, {})))
    for name in sorted(CONTROL_KEYS):
        spec = CONTROL_PARAMETERS[name]
        if not spec:
            continue
        if name == "orderby":
            spec = {**spec, "schema": {"type": "string", "enum": orderable}}
        parameters.append(query(name, spec))
    return parameters


def _path_parameter(name: str, regex: str | None) -> dict[str, Any]:
    schema = {"type": "integer", "minimum": 0} if regex == r"\d+" else {"type": "string", "pattern": "^[^/]+$"}
    return {"name": name, "in": "path", "required": True, "schema": schema}


PLACEHOLDER = re.compile(r"\{(\w+)(?::([^{}]*))?\}")


def openapi_path(pattern: str) -> tuple[str, list[dict[str, Any]]]:
    """Return the OpenAPI path of a route pattern and its path parameters (the optional trailing slash dropped)."""
    parameters = [_path_parameter(name, regex) for name, regex in PLACEHOLDER.findall(pattern) if name != "slash"]
    path = PLACEHOLDER.sub(lambda match: "" if match.group(1) == "slash" else "{%s}" % match.group(1), pattern)
    return path, parameters


# -- operations ------------------------------------------------------------------------------------


def _bodies(resource: ApiResource, *, creating: bool) -> dict[str, Any]:
    suffix = "New" if creating else "Change"
    content: dict[str, Any] = {"application/json": {"schema": ref(f"{_title(resource)}{suffix}")}}
    if resource.uploads:
        json_fields = [c.key for c in resource.model.__table__.columns if isinstance(c.type, sa.JSON) and c.key in resource.writable]
        content["multipart/form-data"] = {
            "schema": ref(f"{_title(resource)}{suffix}Form"),
            "encoding": {name: {"contentType": "application/json"} for name in json_fields},
        }
    return {"required": True, "content": content}


def resource_paths(resource: ApiResource, collection: str, item: str, item_parameters: list) -> dict[str, Any]:
    """The operations of one generic resource, as its ``methods`` allow them."""
    name, title = resource.name, _title(resource)
    one, many = ref(title), {"type": "array", "items": ref(title)}
    collection_ops: dict[str, Any] = {}
    item_ops: dict[str, Any] = {"parameters": item_parameters}
    if "GET" in resource.methods:
        collection_ops["get"] = operation(
            f"list_{name}", f"List {name} objects", {"200": json_answer(many, jsonp_too=True)},
            tag=name, parameters=list_parameters(resource),
        )
        item_ops["get"] = operation(f"get_{name}", f"Read one {name}", {"200": json_answer(one, jsonp_too=True)}, tag=name)
    if "POST" in resource.methods:
        collection_ops["post"] = operation(
            f"create_{name}", f"Create a {name}", {"200": json_answer(one, "the new object")},
            tag=name, requestBody=_bodies(resource, creating=True),
        )
    if "PUT" in resource.methods:
        item_ops["put"] = operation(
            f"update_{name}", f"Change a {name}", {"200": json_answer(one, "the changed object")},
            tag=name, requestBody=_bodies(resource, creating=False),
        )
    if "DELETE" in resource.methods:
        item_ops["delete"] = operation(f"delete_{name}", f"Delete a {name}", {"204": {"description": "deleted"}}, tag=name)
    return {collection: collection_ops, item: item_ops}


def _resource_schemas(resource: ApiResource) -> dict[str, Any]:
    title = _title(resource)
    bodies = {
        f"{title}New": node_schema(body_node(resource, creating=True)),
        f"{title}Change": node_schema(body_node(resource, creating=False)),
    }
    if resource.uploads:
        bodies[f"{title}NewForm"] = form_schema(resource, creating=True)
        bodies[f"{title}ChangeForm"] = form_schema(resource, creating=False)
    for body in bodies.values():
        if resource.body_rules:
            body["allOf"] = [*body.get("allOf", []), *resource.body_rules]
    return {title: object_schema(resource), **bodies}


def _docs_page_path_item(route_name: str, view: Callable) -> dict[str, Any]:
    page = {"description": "Swagger UI", "content": {"text/html": {"schema": {"type": "string"}}}}
    return {"get": operation("api_docs", summary(view), {"200": page}, tag="meta")}


SHARED_SCHEMAS: dict[str, Any] = {
    "JSONValue": JSON_VALUE,
    "Error": {
        "type": "object",
        "description": "PYBOSSA's error object (pybossa_core/errors.py)",
        "properties": {
            "status": {"const": "failed"},
            "action": {"type": "string", "description": "the HTTP method"},
            "target": {"type": "string", "description": "the resource"},
            "exception_msg": {"type": "string"},
            "status_code": {"type": "integer"},
            "exception_cls": {"type": "string", "description": "PYBOSSA's class: NotFound, AttributeError, ..."},
        },
        "required": ["status", "action", "target", "exception_msg", "status_code", "exception_cls"],
        "additionalProperties": False,
    },
}

SECURITY_SCHEMES = {
    "apiKeyQuery": {"type": "apiKey", "in": "query", "name": "api_key", "description": "a user's API key"},
    "apiKeyHeader": {
        "type": "apiKey", "in": "header", "name": "Authorization", "description": "a user's API key as the whole header",
    },
    "projectToken": {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": "a project's JWT, for its app's users (external_uid) on the contribution endpoints",
    },
    "projectSecretKey": {
        "type": "apiKey", "in": "header", "name": "Authorization", "description": "a project's secret key",
    },
}


def _api_routes(introspector) -> list[tuple[str, str, Callable, Description | None]]:
    """Return (route name, pattern, view, its ``describe=``) for every route under /api, in registration order."""
    views = {}
    for entry in introspector.get_category("views") or []:
        view = entry["introspectable"]
        if view["route_name"] and view["route_name"] not in views:
            views[view["route_name"]] = (view["callable"], view.get("describe"))
    routes = []
    for entry in introspector.get_category("routes") or []:
        route = entry["introspectable"]
        pattern = route["pattern"]
        if (pattern == "/api" or pattern.startswith("/api/")) and route["name"] in views:
            routes.append((route["name"], pattern, *views[route["name"]]))
    return routes


def _package_version() -> str:
    try:
        return version("pybossa-core")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0"


def build_document(introspector) -> dict[str, Any]:
    """Return the OpenAPI 3.1 description of every described route under /api."""
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = dict(SHARED_SCHEMAS)
    routes = _api_routes(introspector)
    patterns = {route_name: pattern for route_name, pattern, _, _ in routes}
    for route_name, pattern, view, description in routes:
        path, parameters = openapi_path(pattern)
        owner = getattr(view, "__self__", None)
        if isinstance(owner, ResourceViews):
            if route_name.endswith(".item"):
                continue  # described with its collection
            item_path, item_parameters = openapi_path(patterns[f"{route_name}.item"])
            paths.update(resource_paths(owner.resource, path, item_path, item_parameters))
            schemas.update(_resource_schemas(owner.resource))
        elif description is not None:
            item = description.path_item(route_name, view)
            if parameters:
                item["parameters"] = parameters
            paths[path] = item
            schemas.update(description.schemas)
        else:
            log.warning("route %s (%s) has no OpenAPI description", route_name, pattern)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "PYBOSSA API",
            "version": _package_version(),
            "description": (
                "PYBOSSA's REST API as pybossa-core serves it. Every path also answers with a trailing slash. "
                "Sign in with an API key (api_key query parameter or the Authorization header); "
                "errors are PYBOSSA's error object."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": {
                "Error": json_answer(ref("Error"), "PYBOSSA's error object", jsonp_too=True),
            },
            "securitySchemes": SECURITY_SCHEMES,
        },
        # Anonymous callers are welcome; a key signs the request in.
        "security": [{}, {"apiKeyQuery": []}, {"apiKeyHeader": []}, {"projectToken": []}],
    }


# -- views -----------------------------------------------------------------------------------------


#: The keys of a path item that are operations.
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def allowed_methods(document: dict[str, Any], pattern: str) -> list[str]:
    """The methods the document declares for the route ``pattern``, as an ``Allow`` header lists them."""
    path, _ = openapi_path(pattern)
    return [method.upper() for method in document["paths"].get(path, {}) if method in HTTP_METHODS]


def allow_header(event: NewResponse) -> None:
    """A 405 under /api names the methods its route takes (RFC 9110), as the document declares them."""
    request, response = event.request, event.response
    if response.status_code == 405 and request.matched_route is not None:
        allowed = allowed_methods(request.find_service(IOpenAPIDocument), request.matched_route.pattern)
        if allowed:
            response.headers["Allow"] = ", ".join(allowed)


def openapi_document(request):
    """The OpenAPI 3.1 description of the API."""
    if request.method != "GET":
        raise MethodNotAllowed()
    return request.find_service(IOpenAPIDocument)


DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>PYBOSSA API</title>
<link rel="stylesheet" href="{css}">
<link rel="icon" type="image/png" href="{icon}">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{js}"></script>
<script nonce="{nonce}">
SwaggerUIBundle({{url: {spec}, dom_id: "#swagger-ui", deepLinking: true, validatorUrl: null}});
</script>
</body>
</html>
"""


def api_docs(request):
    """Browse the API's description (Swagger UI, served from this site)."""
    if request.method != "GET":
        raise MethodNotAllowed()
    page = DOCS_PAGE.format(
        css=html.escape(request.static_url(SWAGGER_UI + "swagger-ui.css")),
        js=html.escape(request.static_url(SWAGGER_UI + "swagger-ui-bundle.js")),
        icon=html.escape(request.static_url(SWAGGER_UI + "favicon-32x32.png")),
        nonce=request.csp_nonce,
        # Inside <script>: JSON, with "<" escaped so the URL cannot close the element.
        spec=json.dumps(request.route_path("api.openapi", slash="")).replace("<", "\\u003c"),
    )
    return Response(page, content_type="text/html", charset="utf-8")


def includeme(config) -> None:
    config.add_route("api.openapi", "/api/openapi.json{slash:/?}")
    config.add_view(openapi_document, route_name="api.openapi", renderer="json",
                    describe=simple_get({"type": "object", "required": ["openapi", "paths"]}, "meta"))
    config.add_route("api.docs", "/api/docs{slash:/?}")
    config.add_view(api_docs, route_name="api.docs", describe=Description(_docs_page_path_item))
    config.add_subscriber(allow_header, NewResponse)
    # Swagger UI is served by the site's static view (renderers.py), "pybossa_core:static/".
    # Filled after every other action: the document describes the routes and views they register.
    document: dict = {}
    config.register_service(document, IOpenAPIDocument)
    config.action(("pybossa_core.api.openapi", "document"),
                  lambda: document.update(build_document(config.registry.introspector)), order=PHASE3_CONFIG + 1)
