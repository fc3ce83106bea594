"""Schemas for API bodies, derived from the model's columns so they never drift from it.

A column's SQL type gives the node's type (strict: ``"yes"`` is a boolean and
``"1.5"`` a number only from a multipart form, where every value is text; an
integer also takes a string of digits, see :class:`Integer`), its length the
maximum length, its nullability whether ``null`` is accepted, and a column with
neither a default nor a server-side value is required on create.
"""
from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable, Iterable, Mapping

import colander
import sqlalchemy as sa

from pybossa_core.models.meta import INT32, integer_bounds

SHORT_NAME = re.compile(r"^[\w-]+$")


class _Scalar(colander.SchemaType):
    """Base of the strict scalar types: ``None`` passes only where the column is nullable."""

    def __init__(self, nullable: bool = False, from_text: bool = False):
        self.nullable = nullable
        self.from_text = from_text

    def deserialize(self, node, cstruct):
        if cstruct is colander.null:
            return colander.null
        if cstruct is None:
            if self.nullable:
                return None
            raise colander.Invalid(node, "may not be null")
        return self.convert(node, cstruct)

    def convert(self, node, value):  # pragma: no cover - every subclass defines it
        raise NotImplementedError


class Integer(_Scalar):
    """An integer, or a string of digits even in JSON: PYBOSSA's PostgreSQL casts ``"7"`` to 7,
    and pbs sends ``update-task-redundancy``'s ``n_answers`` so."""

    def __init__(self, nullable: bool = False, from_text: bool = False, bounds: tuple[int, int] = INT32):
        super().__init__(nullable, from_text)
        #: The column's SQL range: a larger value would fail in the database, not here.
        self.minimum, self.maximum = bounds

    def convert(self, node, value):
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            value = int(value)
        # JSON Schema's integers: 588.0 is one (and a client's float arithmetic may send it so).
        if isinstance(value, float) and value.is_integer() and not self.from_text:
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise colander.Invalid(node, f"{value!r} is not an integer")
        if not self.minimum <= value <= self.maximum:
            raise colander.Invalid(node, f"{value} is out of range ({self.minimum} to {self.maximum})")
        return value


class Number(_Scalar):
    def convert(self, node, value):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if self.from_text and isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
        raise colander.Invalid(node, f"{value!r} is not a number")


class Boolean(_Scalar):
    TEXT = {"true": True, "1": True, "false": False, "0": False}

    def convert(self, node, value):
        if isinstance(value, bool):
            return value
        if self.from_text and isinstance(value, str) and value.lower() in self.TEXT:
            return self.TEXT[value.lower()]
        raise colander.Invalid(node, f"{value!r} is not true or false")


class Text(_Scalar):
    def convert(self, node, value):
        if isinstance(value, str):
            if "\x00" in value:
                raise colander.Invalid(node, "may not contain NUL characters")
            return value
        raise colander.Invalid(node, f"{value!r} is not a string")


class DateTime(_Scalar):
    """A moment in UTC, as the API writes one (``2027-01-31T12:00:00``) or a day (``2027-01-31``: its
    midnight); a zone given is turned into UTC."""

    def convert(self, node, value):
        try:
            moment = datetime.datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            moment = None
        if moment is None:
            raise colander.Invalid(node, f"{value!r} is not a date (YYYY-MM-DD) or a time (YYYY-MM-DDTHH:MM:SS)")
        if moment.tzinfo is not None:
            moment = moment.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return moment


class JSONValue(_Scalar):
    """Any JSON document, or only an object where ``objects_only``; forms send it as text."""

    def __init__(self, nullable: bool = False, from_text: bool = False, objects_only: bool = True):
        super().__init__(nullable, from_text)
        self.objects_only = objects_only

    def convert(self, node, value):
        if self.from_text and isinstance(value, str):
            try:
                value = json.loads(value)
            except (ValueError, RecursionError):
                raise colander.Invalid(node, "is not valid JSON") from None
        if self.objects_only and not isinstance(value, dict):
            raise colander.Invalid(node, "must be a JSON object")
        return value


def http_url(node, value) -> None:
    """Accept only absolute http and https URLs (webhooks, importer sources)."""
    if value is None:
        return
    if not re.fullmatch(r"https?://[^\s/?#]+[^\s]*", value, flags=re.IGNORECASE):
        raise colander.Invalid(node, "must be an http or https URL")


def short_name(node, value) -> None:
    if not SHORT_NAME.fullmatch(value):
        raise colander.Invalid(node, "may contain only letters, digits, '-' and '_'")


def _node_type(column: sa.Column, from_text: bool, free_json: bool) -> colander.SchemaType:
    nullable = bool(column.nullable)
    python_type = column.type.python_type if not isinstance(column.type, sa.JSON) else dict
    if isinstance(column.type, sa.JSON):
        return JSONValue(nullable, from_text, objects_only=not free_json)
    if python_type is bool:
        return Boolean(nullable, from_text)
    if python_type is int:
        return Integer(nullable, from_text, integer_bounds(column.type))
    if python_type is float:
        return Number(nullable, from_text)
    if python_type is datetime.datetime:
        return DateTime(nullable, from_text)
    return Text(nullable, from_text)


class UnlessNull:
    """Run ``validator`` on a nullable column's values, never on its ``null`` (colander's validators take no None)."""

    def __init__(self, validator: Callable):
        self.validator = validator

    def __call__(self, node, value) -> None:
        if value is not None:
            self.validator(node, value)


def is_required(column: sa.Column) -> bool:
    """Tell whether a create must name ``column``: not null and no default of its own."""
    return not column.nullable and column.default is None and not column.primary_key


def body_schema(
    model: type,
    fields: Iterable[str],
    *,
    creating: bool,
    from_text: bool,
    server_set: Iterable[str] = (),
    free_json: Iterable[str] = (),
    validators: Mapping[str, Callable] = {},
) -> colander.SchemaNode:
    """Return the schema of a POST (``creating``) or PUT body setting ``fields`` of ``model``."""
    schema = colander.SchemaNode(colander.Mapping(unknown="raise"))
    table = model.__table__
    server_set, free_json = set(server_set), set(free_json)
    for name in fields:
        column = table.c[name]
        required = creating and name not in server_set and is_required(column)
        validator = validators.get(name)
        if isinstance(column.type, sa.String) and column.type.length:
            length = colander.Length(max=column.type.length)
            validator = colander.All(length, validator) if validator else length
        if validator is not None and column.nullable:
            validator = UnlessNull(validator)
        schema.add(
            colander.SchemaNode(
                _node_type(column, from_text, name in free_json),
                name=name,
                missing=colander.required if required else colander.drop,
                validator=validator,
            )
        )
    return schema


def first_error(error: colander.Invalid) -> str:
    """Return the first message of a colander error as ``"field: message"``."""
    field, message = next(iter(error.asdict().items()))
    return f"{field}: {message}"

