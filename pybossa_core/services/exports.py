"""A project's tasks, task runs or results as a ZIP holding one JSON or CSV file, as PYBOSSA exports them.

The rows are read in keyset chunks (``id > last``, ``CHUNK`` at a time) and written through
``zipfile`` into a temporary file that spills to disk past ``SPOOL_SIZE``: memory holds one
chunk, never the whole project.  Each object is written as the REST API presents it (the
caller hands its presenter in); CSV adds the first-level ``info`` keys as ``info_<key>``
columns, whose union the database finds in one pass before the rows are written.
"""
from __future__ import annotations

import csv
import io
import json
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pybossa_core.db import is_postgresql
from pybossa_core.models import Project

FORMATS = ("json", "csv")
#: Rows read and written per query.
CHUNK = 2000
#: Exports smaller than this stay in memory; larger ones go to a temporary file.
SPOOL_SIZE = 1 << 20
INFO_PREFIX = "info_"

Presenter = Callable[[Any], dict[str, Any]]


def member_name(project: Project, kind: str, file_format: str) -> str:
    """The name of the file inside the ZIP (``<short_name>_<type>.<format>``)."""
    return f"{project.short_name}_{kind}.{file_format}"


def download_name(project: Project, kind: str, file_format: str) -> str:
    """The ZIP's name, as PYBOSSA names it (``<id>_<short_name>_<type>_<format>.zip``)."""
    return f"{project.id}_{project.short_name}_{kind}_{file_format}.zip"


def rows(session: Session, model: type, project_id: int) -> Iterator[Any]:
    """Yield the project's objects of ``model`` by id, one keyset chunk in memory at a time.

    The session's identity map holds objects weakly, so a written chunk is freed with its list.
    """
    last_id = 0
    while True:
        query = sa.select(model).where(model.project_id == project_id, model.id > last_id).order_by(model.id)
        chunk = session.scalars(query.limit(CHUNK)).all()
        if not chunk:
            return
        yield from chunk
        last_id = chunk[-1].id


def info_keys(session: Session, model: type, project_id: int) -> list[str]:
    """Return, sorted, every first-level key of the project's ``info`` objects of ``model``."""
    if is_postgresql(session):
        query = sa.select(sa.func.jsonb_object_keys(model.info)).where(
            model.project_id == project_id, sa.func.jsonb_typeof(model.info) == "object"
        )
    else:
        entries = sa.func.json_each(model.info).table_valued("key")
        query = (
            sa.select(entries.c.key)
            .select_from(model)
            .join(entries, sa.true())
            .where(model.project_id == project_id, sa.func.json_type(model.info) == "object")
        )
    return sorted(set(session.scalars(query.distinct())))


def _write_json(stream: IO[str], objects: Iterator[dict[str, Any]]) -> None:
    stream.write("[")
    for number, data in enumerate(objects):
        if number:
            stream.write(", ")
        stream.write(json.dumps(data))
    stream.write("]")


def _cell(value: Any) -> Any:
    """A CSV cell: text and numbers as they are, nothing for null, JSON for the rest."""
    if value is None:
        return ""
    if isinstance(value, str) or (isinstance(value, int | float) and not isinstance(value, bool)):
        return value
    return json.dumps(value)


def csv_row(data: dict[str, Any]) -> dict[str, Any]:
    """Flatten one presented object: ``info``'s first-level keys become ``info_<key>`` columns.

    An ``info`` that is not an object (a task run's answer may be any JSON) stays in ``info``.
    """
    row = {key: _cell(value) for key, value in data.items() if key != "info"}
    info = data.get("info")
    if isinstance(info, dict):
        row.update((f"{INFO_PREFIX}{key}", _cell(value)) for key, value in info.items())
    else:
        row["info"] = _cell(info)
    return row


def _write_csv(stream: IO[str], objects: Iterator[dict[str, Any]], keys: list[str]) -> None:
    writer = None
    for data in objects:
        if writer is None:
            # Every object of a resource is presented with the same fields: the first one names them.
            fields = [*(key for key in data if key != "info"), *(["info"] if "info" in data else []),
                      *(f"{INFO_PREFIX}{key}" for key in keys)]
            writer = csv.DictWriter(stream, fields, extrasaction="ignore")
            writer.writeheader()
        writer.writerow(csv_row(data))


def write_export(
    session: Session, project: Project, model: type, kind: str, file_format: str, present: Presenter
) -> IO[bytes]:
    """Return a temporary file, at its start, holding the ZIP of the project's ``model`` objects in ``file_format``.

    ``kind`` names them in the file's name (``task_run``); ``present`` turns one object into the
    dict the REST API answers for it.
    """
    keys = info_keys(session, model, project.id) if file_format == "csv" and hasattr(model, "info") else []
    objects = (present(obj) for obj in rows(session, model, project.id))
    spooled = tempfile.SpooledTemporaryFile(max_size=SPOOL_SIZE)
    with zipfile.ZipFile(spooled, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        with archive.open(member_name(project, kind, file_format), "w", force_zip64=True) as member:
            with io.TextIOWrapper(member, encoding="utf-8", newline="") as stream:
                if file_format == "json":
                    _write_json(stream, objects)
                else:
                    _write_csv(stream, objects, keys)
    spooled.seek(0)
    return spooled
