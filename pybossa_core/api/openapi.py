"""``/api/openapi.json`` and ``/api/docs``: the REST API described as OpenAPI 3.1.

The description is generated, never written by hand, so it cannot drift from
the code: bodies and objects come from the colander schemas the API validates
with (:func:`pybossa_core.schemas.api.body_schema` over each resource's
model), list parameters from the resource's columns and
:data:`pybossa_core.schemas.query.CONTROL_KEYS`, and paths from the routes the
application registers.  It is built once, after every other configuration
action, and kept in the registry as ``registry["openapi"]``.

``/api/docs`` browses it with Swagger UI, served from our own copy in
``pybossa_core/static/vendor/swagger-ui/`` (see its ``package.json`` for the version).
"""
from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Callable, Iterable
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import colander
import sqlalchemy as sa
from pyramid.interfaces import PHASE3_CONFIG
from pyramid.response import Response

from pybossa_core.api import ResourceViews
from pybossa_core.api import jsonp, newtask
from pybossa_core.api.base import ApiCall, ApiResource
from pybossa_core.api.user import NEVER_SHOWN
from pybossa_core.errors import MethodNotAllowed
from pybossa_core.models import Task
from pybossa_core.schemas import api as api_schemas
from pybossa_core.schemas.query import CONTROL_KEYS

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

# -- colander to JSON Schema ----------------------------------------------------------------------

#: Validators written as functions, with the JSON Schema that says the same.
FUNCTION_VALIDATORS: dict[Callable, dict[str, Any]] = {
    api_schemas.short_name: {"pattern": api_schemas.SHORT_NAME.pattern},
    api_schemas.http_url: {"pattern": "^[Hh][Tt][Tt][Pp][Ss]?://[^\\s/?#]+[^\\s]*$"},
}

NO_NUL = "^[^\\u0000]*$"

#: Any JSON the API takes: read_body refuses NUL characters anywhere in a body.
JSON_OBJECT = {
    "type": "object",
    "propertyNames": {"pattern": NO_NUL},
    "additionalProperties": {"$ref": "#/components/schemas/JSONValue"},
}
JSON_VALUE = {
    "anyOf": [
        {"type": ["null", "boolean", "number"]},
        {"type": "string", "pattern": NO_NUL},
        {"type": "array", "items": {"$ref": "#/components/schemas/JSONValue"}},
        JSON_OBJECT,
    ],
    "description": "any JSON value without NUL characters",
}

_SIMPLE_TYPES: list[tuple[type, dict[str, Any]]] = [
    (api_schemas.Integer, {"type": "integer"}),
    (api_schemas.Number, {"type": "number"}),
    (api_schemas.Boolean, {"type": "boolean"}),
    # The API refuses NUL characters in text (PostgreSQL cannot store them).
    (api_schemas.Text, {"type": "string", "pattern": NO_NUL}),
    (api_schemas.DateTime, {"type": "string", "description": "a UTC time: YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS"}),
    (colander.Integer, {"type": "integer"}),
    (colander.Float, {"type": "number"}),
    (colander.Decimal, {"type": "number"}),
    (colander.Boolean, {"type": "boolean"}),
    (colander.String, {"type": "string"}),
    (colander.DateTime, {"type": "string", "format": "date-time"}),
    (colander.Date, {"type": "string", "format": "date"}),
    (colander.Time, {"type": "string", "format": "time"}),
]


class UntranslatableNode(TypeError):
    """A colander type this translator does not know: teach it here."""


def _type_schema(node: colander.SchemaNode) -> dict[str, Any]:
    node_type = node.typ
    if isinstance(node_type, colander.Mapping):
        return _mapping_schema(node)
    if isinstance(node_type, colander.Sequence):
        return {"type": "array", "items": node_schema(node.children[0])}
    if isinstance(node_type, colander.Tuple):
        items = [node_schema(child) for child in node.children]
        return {"type": "array", "prefixItems": items, "minItems": len(items), "maxItems": len(items)}
    if isinstance(node_type, api_schemas.JSONValue):
        schema: dict[str, Any] = dict(JSON_OBJECT) if node_type.objects_only else _ref("JSONValue")
    else:
        schema = next((dict(s) for kind, s in _SIMPLE_TYPES if isinstance(node_type, kind)), None)
        if schema is None:
            raise UntranslatableNode(f"{node.name}: no JSON Schema for colander type {type(node_type).__name__}")
    if isinstance(node_type, api_schemas.Integer):
        schema.update(minimum=node_type.minimum, maximum=node_type.maximum)
    if getattr(node_type, "nullable", False):
        if "type" in schema:
            schema = {**schema, "type": [schema["type"], "null"]}
        else:
            schema = {"anyOf": [schema, {"type": "null"}]}
    return schema


def _mapping_schema(node: colander.SchemaNode) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {child.name: node_schema(child) for child in node.children},
        "additionalProperties": node.typ.unknown != "raise",
    }
    required = [child.name for child in node.children if child.missing is colander.required]
    if required:
        schema["required"] = required
    return schema


_LOWER_BOUNDS = ("minimum", "minLength", "minItems")
_UPPER_BOUNDS = ("maximum", "maxLength", "maxItems")


def _restrict(schema: dict[str, Any], restrictions: dict[str, Any]) -> None:
    """Add ``restrictions`` to ``schema``, keeping the tighter bound and every pattern."""
    for key, value in restrictions.items():
        if key in schema and key in _LOWER_BOUNDS:
            schema[key] = max(schema[key], value)
        elif key in schema and key in _UPPER_BOUNDS:
            schema[key] = min(schema[key], value)
        elif key == "allOf":
            schema["allOf"] = [*schema.get("allOf", []), *value]
        elif key == "pattern" and "pattern" in schema:
            schema["allOf"] = [*schema.get("allOf", []), {"pattern": schema.pop("pattern")}, {"pattern": value}]
        else:
            schema[key] = value


def validator_schema(validator: Any, json_type: Any) -> dict[str, Any] | None:
    """Return the JSON Schema keywords saying what ``validator`` allows; None if it is unknown."""
    if validator is None:
        return {}
    if isinstance(validator, api_schemas.UnlessNull):
        return validator_schema(validator.validator, json_type)
    if isinstance(validator, colander.All):
        merged: dict[str, Any] = {}
        for part in validator.validators:
            described = validator_schema(part, json_type)
            if described is None:
                return None
            _restrict(merged, described)
        return merged
    if isinstance(validator, colander.Length):
        low, high = ("minItems", "maxItems") if json_type == "array" else ("minLength", "maxLength")
        bounds = {low: validator.min, high: validator.max}
        return {key: value for key, value in bounds.items() if value is not None}
    if isinstance(validator, colander.Range):
        bounds = {"minimum": validator.min, "maximum": validator.max}
        return {key: value for key, value in bounds.items() if value is not None}
    if isinstance(validator, colander.Regex):
        return {"pattern": validator.match_object.pattern}
    if isinstance(validator, colander.OneOf):
        return {"enum": list(validator.choices)}
    if isinstance(validator, colander.Email):
        return {"format": "email"}
    try:
        described = FUNCTION_VALIDATORS.get(validator)
    except TypeError:  # an unhashable validator object
        return None
    return dict(described) if described is not None else None


def node_schema(node: colander.SchemaNode) -> dict[str, Any]:
    """Return the JSON Schema of colander ``node``: its type, then what its validator allows.

    A validator the translator does not know adds nothing (the site must start
    whatever a resource declares); ``tests/api/test_openapi.py`` makes sure
    every validator in use is known.
    """
    schema = _type_schema(node)
    json_type = schema.get("type")
    json_type = json_type[0] if isinstance(json_type, list) else json_type
    _restrict(schema, validator_schema(node.validator, json_type) or {})
    if node.description:
        schema["description"] = node.description
    if node.default is not colander.null and node.default is not colander.drop:
        schema["default"] = node.default
    return schema


# -- the objects and bodies of a resource ----------------------------------------------------------


def _title(resource: ApiResource) -> str:
    return resource.model.__name__


def body_node(resource: ApiResource, *, creating: bool, from_text: bool = False) -> colander.SchemaNode:
    """Return the colander schema the API validates a POST (``creating``) or PUT body of ``resource`` with."""
    return api_schemas.body_schema(
        resource.model,
        resource.writable,
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
    schema["properties"]["file"] = {"type": "string", "contentMediaType": "application/octet-stream"}
    return schema


# -- parameters --------------------------------------------------------------------------------------

#: The query keys that steer a listing (schemas.query.CONTROL_KEYS); each needs its description here.
CONTROL_PARAMETERS: dict[str, dict[str, Any]] = {
    "limit": {
        "schema": {"type": "integer", "minimum": 0},
        "description": "how many objects (default api.default_limit, at most api.max_limit)",
    },
    "offset": {"schema": {"type": "integer", "minimum": 0}, "description": "how many objects to skip"},
    "last_id": {"schema": {"type": "integer", "minimum": 0}, "description": "keyset paging: objects after this id"},
    "orderby": {"description": "the column to order by (default id)"},
    "desc": {"schema": {"type": "boolean"}, "description": "descending order"},
    "all": {"schema": {"type": "boolean"}, "description": "signed in: every object, not only those of your projects"},
    "related": {"schema": {"type": "boolean"}, "description": "add related objects (task runs, result, task)"},
    "fulltextsearch": {"schema": {"type": "boolean"}, "description": "rank by the words of info=key::words"},
    "callback": {
        "schema": {"type": "string", "pattern": jsonp.CALLBACK.pattern, "maxLength": 100},
        "description": "JSONP: wrap the answer in callback(...)",
    },
    # The API key is a security scheme, not a parameter.
    "api_key": {},
}

#: A resource's own query keys (ApiResource.list_keys).
RESOURCE_PARAMETERS: dict[str, dict[str, Any]] = {
    "participated": {"schema": {"type": "boolean"}, "description": "leave out the tasks the caller answered"},
    "external_uid": {"schema": {"type": "string"}, "description": "the app's user (with the project's Bearer JWT)"},
}


def _query(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": {"type": "string"}, **spec}


def _filter_schema(column_schema: dict[str, Any], column: sa.Column) -> dict[str, Any]:
    if isinstance(column.type, sa.DateTime):
        return {"type": "string", "description": "YYYY, YYYY-MM, YYYY-MM-DD or ISO 8601"}
    json_type = column_schema.get("type")
    json_type = json_type[0] if isinstance(json_type, list) else json_type
    schema = {key: column_schema[key] for key in ("minimum", "maximum") if key in column_schema}
    if json_type in ("integer", "number"):
        schema["description"] = "a value, or a JSON list of values"
    return {"type": json_type, **schema}


def list_parameters(resource: ApiResource) -> list[dict[str, Any]]:
    """The query of ``GET /api/<resource>``: the filters an anonymous caller may use, then the controls."""
    # The rules decide from the caller alone; an anonymous call needs no session or registry.
    anonymous = ApiCall(session=None, user=None, client_ip="", registry=None, transaction_manager=None)  # type: ignore[arg-type]
    filterable = resource.rules.filterable(anonymous, resource.columns)
    table = resource.model.__table__
    orderable = sorted(name for name in filterable if not isinstance(table.c[name].type, sa.JSON))
    filters = node_schema(api_schemas.body_schema(resource.model, orderable, creating=False, from_text=True))["properties"]
    parameters = [
        _query(name, {"schema": _filter_schema(filters[name], table.c[name]), "description": f"objects with this {name}"})
        for name in orderable
    ]
    if "info" in filterable:
        info = "key::value|key2::value2 filters, or key::words with fulltextsearch=1"
        parameters.append(_query("info", {"description": info}))
    for name in sorted(resource.list_keys):
        parameters.append(_query(name, RESOURCE_PARAMETERS.get(name, {})))
    for name in sorted(CONTROL_KEYS):
        spec = CONTROL_PARAMETERS[name]
        if not spec:
            continue
        if name == "orderby":
            spec = {**spec, "schema": {"type": "string", "enum": orderable}}
        parameters.append(_query(name, spec))
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


def _json(schema: dict[str, Any], description: str = "OK", *, jsonp_too: bool = False) -> dict[str, Any]:
    content = {"application/json": {"schema": schema}}
    if jsonp_too:
        content["application/javascript"] = {"schema": {"type": "string"}}
    return {"description": description, "content": content}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _operation(operation_id: str, summary: str, ok: dict[str, dict[str, Any]], *, tag: str, **extra: Any) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "summary": summary,
        "tags": [tag],
        **extra,
        "responses": {**ok, "4XX": {"$ref": "#/components/responses/Error"}},
    }


def _bodies(resource: ApiResource, *, creating: bool) -> dict[str, Any]:
    suffix = "New" if creating else "Change"
    content: dict[str, Any] = {"application/json": {"schema": _ref(f"{_title(resource)}{suffix}")}}
    if resource.uploads:
        json_fields = [c.key for c in resource.model.__table__.columns if isinstance(c.type, sa.JSON) and c.key in resource.writable]
        content["multipart/form-data"] = {
            "schema": _ref(f"{_title(resource)}{suffix}Form"),
            "encoding": {name: {"contentType": "application/json"} for name in json_fields},
        }
    return {"required": True, "content": content}


def resource_paths(resource: ApiResource, collection: str, item: str, item_parameters: list) -> dict[str, Any]:
    """The operations of one generic resource, as its ``methods`` allow them."""
    name, title = resource.name, _title(resource)
    one, many = _ref(title), {"type": "array", "items": _ref(title)}
    collection_ops: dict[str, Any] = {}
    item_ops: dict[str, Any] = {"parameters": item_parameters}
    if "GET" in resource.methods:
        collection_ops["get"] = _operation(
            f"list_{name}", f"List {name} objects", {"200": _json(many, jsonp_too=True)},
            tag=name, parameters=list_parameters(resource),
        )
        item_ops["get"] = _operation(f"get_{name}", f"Read one {name}", {"200": _json(one, jsonp_too=True)}, tag=name)
    if "POST" in resource.methods:
        collection_ops["post"] = _operation(
            f"create_{name}", f"Create a {name}", {"200": _json(one, "the new object")},
            tag=name, requestBody=_bodies(resource, creating=True),
        )
    if "PUT" in resource.methods:
        item_ops["put"] = _operation(
            f"update_{name}", f"Change a {name}", {"200": _json(one, "the changed object")},
            tag=name, requestBody=_bodies(resource, creating=False),
        )
    if "DELETE" in resource.methods:
        item_ops["delete"] = _operation(f"delete_{name}", f"Delete a {name}", {"204": {"description": "deleted"}}, tag=name)
    return {collection: collection_ops, item: item_ops}


def _resource_schemas(resource: ApiResource) -> dict[str, Any]:
    title = _title(resource)
    schemas = {
        title: object_schema(resource),
        f"{title}New": node_schema(body_node(resource, creating=True)),
        f"{title}Change": node_schema(body_node(resource, creating=False)),
    }
    if resource.uploads:
        schemas[f"{title}NewForm"] = form_schema(resource, creating=True)
        schemas[f"{title}ChangeForm"] = form_schema(resource, creating=False)
    return schemas


def _summary(view: Callable) -> str:
    return (view.__doc__ or "").strip().splitlines()[0] if view.__doc__ else ""


EXTERNAL_UID = _query("external_uid", RESOURCE_PARAMETERS["external_uid"])


def _newtask(route_name: str, view: Callable) -> dict[str, Any]:
    task_columns = sorted(column.key for column in Task.__table__.columns if not isinstance(column.type, sa.JSON))
    answer = {
        "anyOf": [
            _ref("Task"),
            {"type": "array", "items": _ref("Task")},
            {"type": "object", "maxProperties": 0, "description": "no task left for the caller"},
            _ref("NewTaskRefused"),
        ]
    }
    parameters = [
        _query("limit", {
            "schema": {"type": "integer", "minimum": 1}, "description": f"how many tasks (at most {newtask.MAX_TASKS})",
        }),
        _query("offset", CONTROL_PARAMETERS["offset"]),
        _query("orderby", {"schema": {"type": "string", "enum": task_columns}}),
        _query("desc", CONTROL_PARAMETERS["desc"]),
        EXTERNAL_UID,
    ]
    ok = {"200": _json(answer, jsonp_too=True)}
    return {"get": _operation(route_name.replace(".", "_"), _summary(view), ok, tag="contribution", parameters=parameters)}


def _simple_get(schema: dict[str, Any], tag: str, parameters: Iterable[dict] = ()) -> Callable:
    def describe(route_name: str, view: Callable) -> dict[str, Any]:
        extra = {"parameters": list(parameters)} if parameters else {}
        ok = {"200": _json(schema, jsonp_too=True)}
        return {"get": _operation(route_name.replace(".", "_"), _summary(view), ok, tag=tag, **extra)}

    return describe


def _favorites(route_name: str, view: Callable) -> dict[str, Any]:
    body = {
        "type": "object",
        "properties": {"task_id": {"type": "integer", "minimum": 1}},
        "required": ["task_id"],
    }
    tasks = {"type": "array", "items": _ref("Task")}
    request_body = {"required": True, "content": {"application/json": {"schema": body}}}
    return {
        "get": _operation(
            "list_favorites", "List the caller's favourite tasks", {"200": _json(tasks, jsonp_too=True)}, tag="favorites"
        ),
        "post": _operation(
            "add_favorite", "Add a task to the caller's favourites", {"200": _json(_ref("Task"))},
            tag="favorites", requestBody=request_body,
        ),
    }


def _favorite(route_name: str, view: Callable) -> dict[str, Any]:
    return {"delete": _operation("remove_favorite", _summary(view), {"200": _json(_ref("Task"))}, tag="favorites")}


def _aggregate(route_name: str, view: Callable) -> dict[str, Any]:
    queued = {
        "type": "object",
        "properties": {"status": {"const": "queued"}, "aggregator": {"type": "string"}},
        "required": ["status", "aggregator"],
        "additionalProperties": False,
    }
    return {"post": _operation("aggregate_project", _summary(view), {"200": _json(queued)}, tag="quality")}


def _project_token(route_name: str, view: Callable) -> dict[str, Any]:
    answer = {"description": "the JWT", "content": {"text/plain": {"schema": {"type": "string"}}}}
    return {"get": _operation("project_token", _summary(view), {"200": answer}, tag="auth",
                              security=[{"projectSecretKey": []}])}


def _vmcp(route_name: str, view: Callable) -> dict[str, Any]:
    signed = {"type": "object", "additionalProperties": {"type": "string"}, "required": ["signature"]}
    salt = _query("cvm_salt", {
        "required": True,
        "schema": {"type": "string", "minLength": 1},
        "description": "the CernVM salt; every other parameter is signed too",
    })
    return {"get": _operation("vmcp", "Sign a CernVM request with the site's key", {
        "200": _json(signed, jsonp_too=True),
        "501": {"$ref": "#/components/responses/Error"},
    }, tag="vmcp", parameters=[salt])}


def _docs_page(route_name: str, view: Callable) -> dict[str, Any]:
    page = {"description": "Swagger UI", "content": {"text/html": {"schema": {"type": "string"}}}}
    return {"get": _operation("api_docs", _summary(view), {"200": page}, tag="meta")}


TOKENS = {
    "type": "object",
    "additionalProperties": {
        "type": "object",
        "properties": {"oauth_token": {"type": "string"}, "oauth_token_secret": {"type": "string"}},
        "required": ["oauth_token"],
        "additionalProperties": False,
    },
}

#: The endpoints that are not generic resources, by route name: each gives its path item.
SPECIAL_ROUTES: dict[str, Callable[[str, Callable], dict[str, Any]]] = {
    "api.globalstats": _simple_get(_ref("GlobalStats"), "stats"),
    "api.newtask": _newtask,
    "api.project.newtask": _newtask,
    "api.userprogress": _simple_get(_ref("UserProgress"), "contribution", [EXTERNAL_UID]),
    "api.project.userprogress": _simple_get(_ref("UserProgress"), "contribution", [EXTERNAL_UID]),
    "api.project.reliability": _simple_get({"type": "array", "items": _ref("Reliability")}, "quality"),
    "api.project.quiz": _simple_get({"type": "array", "items": _ref("QuizResult")}, "quality"),
    "api.project.aggregate": _aggregate,
    "api.auth.project_token": _project_token,
    "api.favorites": _favorites,
    "api.favorites.item": _favorite,
    "api.token": _simple_get(TOKENS, "auth"),
    "api.token.provider": _simple_get(TOKENS, "auth"),
    "api.disqus.sso": _simple_get(_ref("DisqusSSO"), "auth"),
    "api.vmcp": _vmcp,
    "api.openapi": _simple_get({"type": "object", "required": ["openapi", "paths"]}, "meta"),
    "api.docs": _docs_page,
}

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
    "GlobalStats": {
        "type": "object",
        "properties": {
            "n_projects": {"type": "integer"},
            "n_users": {"type": "integer"},
            "n_task_runs": {"type": "integer"},
            "categories": {"type": "array", "items": {"type": "object", "additionalProperties": {"type": "integer"}}},
        },
        "required": ["n_projects", "n_users", "n_task_runs", "categories"],
        "additionalProperties": False,
    },
    "QuizResult": {
        "type": "object",
        "properties": {
            "volunteer": {"type": "string"},
            "answered": {"type": "integer", "minimum": 0},
            "correct": {"type": "integer", "minimum": 0},
            "status": {"type": "string", "enum": ["in_progress", "passed", "failed"]},
        },
        "required": ["volunteer", "answered", "correct", "status"],
        "additionalProperties": False,
    },
    "Reliability": {
        "type": "object",
        "properties": {
            "volunteer": {"type": "string"},
            "user_id": {"type": ["integer", "null"]},
            "external_uid": {"type": ["string", "null"]},
            "n_gold": {"type": "integer", "minimum": 1},
            "n_correct": {"type": "integer", "minimum": 0},
            "accuracy": {"type": "number", "minimum": 0, "maximum": 1},
            "reliability": {"type": "number", "minimum": 0, "maximum": 1},
        },
        "required": ["volunteer", "user_id", "external_uid", "n_gold", "n_correct", "accuracy", "reliability"],
        "additionalProperties": False,
    },
    "UserProgress": {
        "type": "object",
        "properties": {"done": {"type": "integer"}, "total": {"type": "integer"}},
        "required": ["done", "total"],
        "additionalProperties": False,
    },
    "DisqusSSO": {
        "type": "object",
        "properties": {"api_key": {"type": "string"}, "remote_auth_s3": {"type": "string"}},
        "required": ["api_key", "remote_auth_s3"],
        "additionalProperties": False,
    },
    "NewTaskRefused": {
        "type": "object",
        "description": "a task-shaped object whose info says why no task is handed out",
        "properties": {
            "info": {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]},
        },
        "required": ["info"],
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


def _api_routes(introspector) -> list[tuple[str, str, Callable]]:
    """Return (route name, pattern, view) for every route under /api, in registration order."""
    views = {}
    for entry in introspector.get_category("views") or []:
        view = entry["introspectable"]
        if view["route_name"] and view["route_name"] not in views:
            views[view["route_name"]] = view["callable"]
    routes = []
    for entry in introspector.get_category("routes") or []:
        route = entry["introspectable"]
        pattern = route["pattern"]
        if (pattern == "/api" or pattern.startswith("/api/")) and route["name"] in views:
            routes.append((route["name"], pattern, views[route["name"]]))
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
    patterns = {route_name: pattern for route_name, pattern, _ in routes}
    for route_name, pattern, view in routes:
        path, parameters = openapi_path(pattern)
        owner = getattr(view, "__self__", None)
        if isinstance(owner, ResourceViews):
            if route_name.endswith(".item"):
                continue  # described with its collection
            item_path, item_parameters = openapi_path(patterns[f"{route_name}.item"])
            paths.update(resource_paths(owner.resource, path, item_path, item_parameters))
            schemas.update(_resource_schemas(owner.resource))
        elif route_name in SPECIAL_ROUTES:
            item = SPECIAL_ROUTES[route_name](route_name, view)
            if parameters:
                item["parameters"] = parameters
            paths[path] = item
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
                "Error": _json(_ref("Error"), "PYBOSSA's error object", jsonp_too=True),
            },
            "securitySchemes": SECURITY_SCHEMES,
        },
        # Anonymous callers are welcome; a key signs the request in.
        "security": [{}, {"apiKeyQuery": []}, {"apiKeyHeader": []}, {"projectToken": []}],
    }


# -- views -----------------------------------------------------------------------------------------


def openapi_document(request):
    """The OpenAPI 3.1 description of the API."""
    if request.method != "GET":
        raise MethodNotAllowed()
    return request.registry["openapi"]


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


def _store_document(config) -> None:
    config.registry["openapi"] = build_document(config.registry.introspector)


def includeme(config) -> None:
    config.add_route("api.openapi", "/api/openapi.json{slash:/?}")
    config.add_view(openapi_document, route_name="api.openapi", renderer="json")
    config.add_route("api.docs", "/api/docs{slash:/?}")
    config.add_view(api_docs, route_name="api.docs")
    # Swagger UI is served by the site's static view (renderers.py), "pybossa_core:static/".
    # After every other action: the document describes the routes and views they register.
    config.action(("pybossa_core.api.openapi", "document"), _store_document, args=(config,), order=PHASE3_CONFIG + 1)
