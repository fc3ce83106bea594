"""How an endpoint of the API describes itself for ``/api/openapi.json``.

The generic resources are described from their schemas (:mod:`pybossa_core.api.openapi`);
every other view under ``/api`` declares its own description next to its route::

    config.add_view(globalstats, route_name="api.globalstats", renderer="json",
                    describe=simple_get(ref("GlobalStats"), "stats", schemas={"GlobalStats": GLOBAL_STATS}))

``describe`` is a :class:`Description`: how to build the path item of the route (its
operations) and the component schemas that path item refers to.  This module holds the
pieces those descriptions share, so none of them imports the document's builder.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pybossa_core.api import jsonp
from pybossa_core.models.meta import INT32, INT64
from pybossa_core.schemas.jsonschema import ref

__all__ = [
    "CONTROL_PARAMETERS",
    "EXTERNAL_UID",
    "RESOURCE_PARAMETERS",
    "Description",
    "json_answer",
    "operation",
    "query",
    "ref",
    "simple_get",
    "summary",
]

PathItem = dict[str, Any]


@dataclass(frozen=True)
class Description:
    """What a special endpoint says of itself: ``path_item(route_name, view)`` returns its
    operations (the route's path parameters are added to them), ``schemas`` the components they use."""

    path_item: Callable[[str, Callable], PathItem]
    schemas: Mapping[str, Any] = field(default_factory=dict)


def json_answer(schema: dict[str, Any], description: str = "OK", *, jsonp_too: bool = False) -> dict[str, Any]:
    """A response holding JSON of ``schema`` (and, with ``jsonp_too``, its JSONP form)."""
    content = {"application/json": {"schema": schema}}
    if jsonp_too:
        content["application/javascript"] = {"schema": {"type": "string"}}
    return {"description": description, "content": content}


def operation(operation_id: str, summary: str, ok: dict[str, dict[str, Any]], *, tag: str, **extra: Any) -> dict[str, Any]:
    """One operation: its answers ``ok``, and PYBOSSA's error object for every 4XX."""
    return {
        "operationId": operation_id,
        "summary": summary,
        "tags": [tag],
        **extra,
        "responses": {**ok, "4XX": {"$ref": "#/components/responses/Error"}},
    }


def query(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    """An optional query parameter (text unless ``spec`` gives its schema)."""
    return {"name": name, "in": "query", "required": False, "schema": {"type": "string"}, **spec}


def summary(view: Callable) -> str:
    """The first line of ``view``'s docstring."""
    return (view.__doc__ or "").strip().splitlines()[0] if view.__doc__ else ""


def simple_get(
    schema: dict[str, Any], tag: str, parameters: Iterable[dict] = (), *, schemas: Mapping[str, Any] | None = None
) -> Description:
    """The description of a GET answering JSON (or JSONP) of ``schema``."""

    def path_item(route_name: str, view: Callable) -> PathItem:
        extra = {"parameters": list(parameters)} if parameters else {}
        ok = {"200": json_answer(schema, jsonp_too=True)}
        return {"get": operation(route_name.replace(".", "_"), summary(view), ok, tag=tag, **extra)}

    return Description(path_item, schemas or {})


#: The query keys that steer a listing (schemas.query.CONTROL_KEYS); each needs its description here.
CONTROL_PARAMETERS: dict[str, dict[str, Any]] = {
    "limit": {
        "schema": {"type": "integer", "minimum": 0, "maximum": INT64[1]},
        "description": "how many objects (default api.default_limit, at most api.max_limit)",
    },
    "offset": {"schema": {"type": "integer", "minimum": 0, "maximum": INT64[1]}, "description": "how many objects to skip"},
    "last_id": {
        "schema": {"type": "integer", "minimum": 0, "maximum": INT32[1]},
        "description": "keyset paging: objects after this id",
    },
    "orderby": {"description": "the column to order by (default id)"},
    "desc": {"schema": {"type": "boolean"}, "description": "descending order"},
    "all": {"schema": {"type": "boolean"}, "description": "signed in: every object, not only those of your projects"},
    "related": {"schema": {"type": "boolean"}, "description": "add related objects (task runs, result, task)"},
    "fulltextsearch": {"schema": {"type": "boolean"}, "description": "rank by the words of info=key::words"},
    # Any value is taken: only a plain name is echoed, anything else answers plain JSON.
    "callback": {
        "schema": {"type": "string"},
        "description": f"JSONP: wrap the answer in callback(...) when callback is a plain name "
                       f"({jsonp.CALLBACK.pattern}, at most {jsonp.MAX_CALLBACK} characters); else plain JSON",
    },
    # The API key is a security scheme, not a parameter.
    "api_key": {},
}

#: A resource's own query keys (ApiResource.list_keys).
RESOURCE_PARAMETERS: dict[str, dict[str, Any]] = {
    "participated": {"schema": {"type": "boolean"}, "description": "leave out the tasks the caller answered"},
    "external_uid": {"schema": {"type": "string"}, "description": "the app's user (with the project's Bearer JWT)"},
}

EXTERNAL_UID = query("external_uid", RESOURCE_PARAMETERS["external_uid"])


def accept_describe(view, info):
    """View deriver that lets ``add_view`` take ``describe=`` (read back from the introspector)."""
    return view


accept_describe.options = ("describe",)


def includeme(config) -> None:
    config.add_view_deriver(accept_describe)
