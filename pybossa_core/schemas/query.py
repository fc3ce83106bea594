"""Parsing of the API's list query string into SQL conditions.

Every value is checked before it reaches SQL: a filter value that does not
parse is a 400, never a dropped filter; an unknown key is PYBOSSA's
AttributeError; values are always bound parameters.
"""
from __future__ import annotations

import datetime
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from pybossa_core.errors import BadRequest, UnknownAttribute
from pybossa_core.models.meta import INT64, integer_bounds
from pybossa_core.services.search import MAX_KEYS, MAX_TEXT_LENGTH, FullTextQuery, parse_query

#: Query keys that steer the listing rather than filter by a column.
CONTROL_KEYS = frozenset(
    {"limit", "offset", "last_id", "all", "desc", "orderby", "related", "api_key", "fulltextsearch", "callback"}
)

TRUE_WORDS = {"1", "true", "t", "yes", "y", "on"}
FALSE_WORDS = {"0", "false", "f", "no", "n", "off", ""}
PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
#: What a timestamp filter takes, as JSON Schema says it (``/api/openapi.json``): a year, a month,
#: a day, or an RFC 3339 date-time (ISO 8601 without a zone is taken too).
DATE_FILTER_SCHEMA = {
    "anyOf": [
        {"type": "string", "pattern": r"^[1-9]\d{3}(-(0[1-9]|1[0-2]))?$"},
        {"type": "string", "format": "date"},
        {"type": "string", "format": "date-time"},
    ],
    "description": "YYYY, YYYY-MM, YYYY-MM-DD or ISO 8601",
}


def parse_bool(key: str, value: str) -> bool:
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise BadRequest(f"{key}={value!r} is not true or false")


def parse_int(key: str, value: str, minimum: int = 0, maximum: int = INT64[1]) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise BadRequest(f"{key}={value!r} is not an integer") from None
    if number < minimum:
        raise BadRequest(f"{key} must be at least {minimum}")
    if number > maximum:
        raise BadRequest(f"{key} must be at most {maximum}")
    return number


@dataclass
class ListParams:
    """What a list request asks for, checked and ready to apply."""

    limit: int
    offset: int = 0
    last_id: int | None = None
    orderby: str = "id"
    desc: bool = False
    all: bool = False
    related: bool = False
    conditions: list[Any] = field(default_factory=list)
    #: ``info=key::words&fulltextsearch=1``: rank the objects whose ``info`` keys have these words.
    search: FullTextQuery | None = None


def info_value(session_dialect: str, column, key: str):
    """Return SQL for the text of first-level key ``key`` of JSON ``column``."""
    if session_dialect == "postgresql":
        return sa.type_coerce(column, JSONB)[key].astext
    return sa.cast(sa.func.json_extract(column, "$." + json.dumps(key)), sa.Text)


def _column_condition(column: sa.Column, key: str, value: str):
    if "\x00" in value:
        raise BadRequest(f"{key} may not contain NUL characters")
    python_type = column.type.python_type
    if python_type is datetime.datetime:
        return _date_condition(column, key, value)
    if python_type is bool:
        return column == parse_bool(key, value)
    if python_type in (int, float):
        convert = int if python_type is int else float
        text = value.strip()
        try:
            if text.startswith("["):
                values = json.loads(text)
                if not isinstance(values, list):
                    raise ValueError
                return column.in_([_in_range(column, key, convert(item)) for item in values if not isinstance(item, bool)])
            return column == _in_range(column, key, convert(text))
        except (TypeError, ValueError, RecursionError):
            raise BadRequest(f"{key}={value!r} is not a valid {python_type.__name__}") from None
    return column == value


def _in_range(column: sa.Column, key: str, number: int | float) -> int | float:
    if isinstance(number, int):
        low, high = integer_bounds(column.type)
        if not low <= number <= high:
            raise BadRequest(f"{key}={number} is out of range")
    return number


def _date_condition(column: sa.Column, key: str, value: str):
    match = PARTIAL_DATE.match(value.strip())
    try:
        if not match:
            moment = datetime.datetime.fromisoformat(value.strip())
            if moment.tzinfo is not None:  # timestamps are stored in UTC, without a zone
                moment = moment.astimezone(datetime.timezone.utc).replace(tzinfo=None)
            return column == moment
        year, month, day = (int(part) if part else None for part in match.groups())
        start = datetime.datetime(year, month or 1, day or 1)
    except (ValueError, OverflowError):
        raise BadRequest(f"{key}={value!r} is not a date (YYYY, YYYY-MM, YYYY-MM-DD or ISO 8601)") from None
    try:
        if day:
            end = start + datetime.timedelta(days=1)
        elif month:
            end = datetime.datetime(year + month // 12, month % 12 + 1, 1)
        else:
            end = datetime.datetime(year + 1, 1, 1)
    except (ValueError, OverflowError):  # the last day, month or year there is
        return column >= start
    return sa.and_(column >= start, column < end)


#: ``info=k1::v1|k2::v2`` filters: at most this many keys, this many characters in all. Each key is
#: one more JSON lookup in the WHERE clause; thousands of them held PostgreSQL's CPU for minutes.
MAX_INFO_KEYS = MAX_KEYS
#: One limit whether info filters or searches (fulltextsearch=1), so the description can say it.
MAX_INFO_LENGTH = MAX_TEXT_LENGTH
#: ``info`` as JSON Schema says it: ``key::value`` pairs joined by ``|``, without NUL.
INFO_FILTER_SCHEMA = {
    "type": "string",
    # A value with a letter or digit: with fulltextsearch=1 each one must have a word to look for.
    "pattern": r"^[^|:\x00]+::[^|\x00]*[A-Za-z0-9][^|\x00]*(\|[^|:\x00]+::[^|\x00]*[A-Za-z0-9][^|\x00]*)*$",
    "maxLength": MAX_INFO_LENGTH,
}


def _info_conditions(dialect: str, column, value: str) -> list[Any]:
    pairs = value.split("|")
    if len(pairs) > MAX_INFO_KEYS:
        raise BadRequest(f"info filter takes at most {MAX_INFO_KEYS} keys")
    conditions = []
    for pair in pairs:
        key, separator, wanted = pair.partition("::")
        if not separator or not key:
            raise BadRequest(f"info filter {pair!r} is not of the form key::value")
        if "\x00" in pair:
            raise BadRequest("info may not contain NUL characters")
        conditions.append(info_value(dialect, column, key) == wanted)
    return conditions


def parse_list_params(
    params: Mapping[str, str],
    model: type,
    *,
    filterable: frozenset[str],
    resource_keys: frozenset[str] = frozenset(),
    dialect: str,
    default_limit: int,
    max_limit: int,
) -> ListParams:
    """Check ``params`` (a GET query) against ``model`` and return what to list.

    ``filterable`` are the columns this caller may filter and order by;
    ``resource_keys`` the resource's own keys, read by its rules.
    """
    result = ListParams(limit=default_limit)
    table = model.__table__
    fulltext = bool(params.get("fulltextsearch")) and parse_bool("fulltextsearch", params["fulltextsearch"])
    for key, value in params.items():
        if key in CONTROL_KEYS or key in resource_keys:
            continue
        if key not in filterable:
            raise UnknownAttribute(f"type object '{model.__name__}' has no attribute '{key}'")
        column = table.c[key]
        if key == "info" and len(value) > MAX_INFO_LENGTH:
            raise BadRequest(f"info filter is longer than {MAX_INFO_LENGTH} characters")
        if key == "info" and fulltext:
            result.search = parse_query(value)
        elif key == "info":
            result.conditions.extend(_info_conditions(dialect, column, value))
        elif isinstance(column.type, sa.JSON):
            raise BadRequest(f"cannot filter by {key}")
        else:
            result.conditions.append(_column_condition(column, key, value))

    if "limit" in params:
        result.limit = min(parse_int("limit", params["limit"]), max_limit)
    if "offset" in params:
        result.offset = parse_int("offset", params["offset"])
    if params.get("last_id"):
        result.last_id = parse_int("last_id", params["last_id"], maximum=integer_bounds(table.c.id.type)[1])
    if params.get("orderby"):
        orderby = params["orderby"]
        if orderby not in filterable or isinstance(table.c[orderby].type, sa.JSON):
            raise BadRequest(f"cannot order by {orderby!r}")
        result.orderby = orderby
    if "desc" in params:
        result.desc = parse_bool("desc", params["desc"])
    if "all" in params:
        result.all = parse_bool("all", params["all"])
    if "related" in params:
        result.related = parse_bool("related", params["related"])
    return result
