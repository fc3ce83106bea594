"""Colander schemas as JSON Schema (2020-12, as OpenAPI 3.1 embeds it): what a body may hold.

:func:`node_schema` translates the colander schemas the API validates with
(:mod:`pybossa_core.schemas.api`), so ``/api/openapi.json`` says what the API accepts and
cannot drift from it: a node's type, then what its validator allows.  Any JSON value is
the component ``JSONValue`` (:data:`JSON_VALUE`), which the document must hold.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import colander

from pybossa_core.schemas import api as api_schemas


def ref(name: str) -> dict[str, str]:
    """A reference to the component schema ``name`` of the document."""
    return {"$ref": f"#/components/schemas/{name}"}


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
        schema: dict[str, Any] = dict(JSON_OBJECT) if node_type.objects_only else ref("JSONValue")
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
