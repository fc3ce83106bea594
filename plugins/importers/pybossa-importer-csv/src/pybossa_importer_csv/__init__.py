"""Import tasks from a CSV file, as PYBOSSA's ``csv`` importer does.

The first row names the columns. A column named after a task field (``n_answers``,
``priority_0``, ``quorum``, ``calibration``) sets that field; a column ``<key>_gold`` holds a
gold task's expected answer for ``<key>`` (a row with any such cell filled becomes a gold task,
``calibration = 1``, with ``gold_answers = {<key>: <cell>, ...}``); every other column goes into
the task's ``info``; an empty cell in a task-field column leaves the project's default. The
owner gives either a link to the file or its text.
"""

from __future__ import annotations

import csv
import io
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import colander
from pyramid.i18n import TranslationStringFactory

from pybossa_core.plugin_api import FetchFailed, ImportFailed, ImporterSpec, fetch_response, hookimpl

#: This plugin's translation domain (docs/i18n.md).
_ = TranslationStringFactory("pybossa_importer_csv")

#: Columns that set a task field rather than going into ``info``: how to read a cell, and how
#: to name what a cell must be when it cannot be read.
TASK_FIELDS: dict[str, tuple[Callable[[str], int | float], str]] = {
    "n_answers": (int, _("a whole number")),
    "priority_0": (float, _("a number")),
    "quorum": (int, _("a whole number")),
    "calibration": (int, _("a whole number")),
}

#: The largest CSV file a link may give, in bytes (the site's ``outbound.max_size`` may be lower).
MAX_BYTES = 20 * 1024 * 1024

CSV_CONTENT_TYPES = frozenset({"text/csv", "text/plain"})
#: The suffix of the columns holding a gold task's expected answers.
GOLD_SUFFIX = "_gold"


def http_url(node: colander.SchemaNode, value: str) -> None:
    """Accept only absolute http:// and https:// links."""
    try:
        parts = urllib.parse.urlsplit(value)
    except ValueError:  # an unclosed "[" of an IPv6 address, say
        raise colander.Invalid(node, _("Enter a link starting with http:// or https://.")) from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise colander.Invalid(node, _("Enter a link starting with http:// or https://."))


class CSVImportForm(colander.MappingSchema):
    """The import form: a link to a CSV file, or the CSV text itself."""

    csv_url = colander.SchemaNode(colander.String(), validator=http_url, missing=colander.drop)
    csv_text = colander.SchemaNode(colander.String(), missing=colander.drop)

    def validator(self, node: colander.SchemaNode, value: Mapping[str, str]) -> None:
        if ("csv_url" in value) == ("csv_text" in value):
            raise colander.Invalid(node, _("Give either a link to a CSV file or its text."))


def tasks(data: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Yield a task for each row of the CSV the validated form ``data`` points to."""
    text = data["csv_text"] if "csv_text" in data else fetch_csv(data["csv_url"])
    return parse_csv(text)


def fetch_csv(url: str) -> str:
    """Download the CSV file at ``url`` (through the site's guarded fetcher) and return its text."""
    try:
        response = fetch_response(url, source=_("The link"), max_bytes=MAX_BYTES)
    except FetchFailed as failure:
        if failure.status in (401, 403):
            raise ImportFailed(
                _("It looks like you don't have permission to access that file; check that the link is shared publicly.")) from None
        raise
    content_type, charset, body = response.content_type, response.charset or "utf-8", response.body
    if content_type not in CSV_CONTENT_TYPES:
        raise ImportFailed(
            _("That link gives a ${content_type} file, not a CSV file; use the link that downloads the file as CSV.", mapping={"content_type": content_type}))
    try:
        return body.decode(charset)
    except (LookupError, UnicodeDecodeError):
        raise ImportFailed(_("The CSV file is not valid ${charset} text.", mapping={"charset": charset})) from None


def parse_csv(text: str) -> Iterator[dict[str, Any]]:
    """Yield ``{"info": {...}, <task fields>...}`` for each non-blank row of ``text``.

    Raises :class:`ImportFailed` naming the column or line at fault when the header is
    unusable or a row does not fit it.
    """
    # Spreadsheet programs often save UTF-8 with a byte-order mark, which would otherwise
    # become part of the first column's name.
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    headers = [header.strip() for header in next(_rows(reader), [])]
    if not headers:
        raise ImportFailed(_("The file you uploaded is empty: its first row must name the columns."))
    if "" in headers:
        raise ImportFailed(
            _("The file you uploaded has an empty header on column ${index}.", mapping={"index": headers.index('') + 1}))
    duplicates = sorted({header for header in headers if headers.count(header) > 1})
    if duplicates:
        raise ImportFailed(_("The file you uploaded has two headers with the same name: ${headers}.",
                             mapping={"headers": ", ".join(duplicates)}))
    for row in _rows(reader):
        if not row:
            continue
        if len(row) != len(headers):
            raise ImportFailed(
                _("Line ${line_num} of the file you uploaded has ${row} values but the header names ${headers} columns.", mapping={"line_num": reader.line_num, "row": len(row), "headers": len(headers)}))
        yield _task(dict(zip(headers, row, strict=True)), reader.line_num)


def _rows(reader) -> Iterator[list[str]]:
    """The reader's rows; a row the csv module cannot read (a cell over its size limit) fails the import."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise ImportFailed(_("Line ${line_num} of the file you uploaded cannot be read: ${value}.", mapping={"line_num": reader.line_num, "value": error})) from None
        yield row


def _task(cells: dict[str, str], line: int) -> dict[str, Any]:
    """Split one row's cells into task fields and ``info``."""
    task: dict[str, Any] = {"info": {}}
    gold = {}
    for column, cell in cells.items():
        if column.endswith(GOLD_SUFFIX) and column != GOLD_SUFFIX:
            if cell.strip():
                gold[column.removesuffix(GOLD_SUFFIX)] = cell
        elif column not in TASK_FIELDS:
            task["info"][column] = cell
        elif cell.strip():
            read, expected = TASK_FIELDS[column]
            try:
                task[column] = read(cell)
            except ValueError:
                raise ImportFailed(
                    _("Line ${line}: ${column} must be ${expected}, not ${cell}.", mapping={"line": line, "column": column, "expected": expected, "cell": repr(cell)})) from None
    if gold:
        task["gold_answers"] = gold
        task.setdefault("calibration", 1)
    return task


@hookimpl
def register_importers() -> list[ImporterSpec]:
    """Register the ``csv`` importer."""
    return [
        ImporterSpec(
            name="csv",
            title=_("CSV file"),
            schema_factory=CSVImportForm,
            form_template="form.html",
            tasks=tasks,
        )
    ]
