"""A project's tasks, task runs or results as a ZIP holding one JSON or CSV file, as PYBOSSA exports them.

The rows are read in keyset chunks (``id > last``, ``CHUNK`` at a time) and written through
``zipfile`` into a temporary file that spills to disk past ``SPOOL_SIZE``: memory holds one
chunk, never the whole project.  Each object is written as the REST API presents it (the
caller hands its presenter in); CSV adds the first-level ``info`` keys as ``info_<key>``
columns, whose union the database finds in one pass before the rows are written.

Rows, not ORM objects, are read (the presenter takes either), JSON is encoded by orjson a
chunk at a time, and CSV is made a column at a time and joined, quoted as ``csv.writer`` quotes
(:func:`_cells`): the ORM load, ``json.dumps`` and the csv module were most of an export's time.
Resources whose rules show every column (task runs, results: :class:`PlainPresenter`) are read
as the driver's tuples and presented a whole chunk at a time, with the same output as their
presenter's.

A built ZIP is kept on disk (:class:`BuiltExports`, in ``exports.dir``) under the project's
data generation (``cache.export_namespace``), which every write of the project's tasks, task
runs, results or volunteer scores bumps: an unchanged project's export is built once and then
served from the file, by every server process of the machine.  At most ``exports.max_running``
are built (or waiting for their job) at once, across processes (the shared counters); another
request meanwhile is refused with 429 rather than queued behind them.  Without Redis the request
that first asks builds the file (:meth:`BuiltExports.get_or_build`); with Redis a job does
(:func:`build_job`, queued once per file by :meth:`BuiltExports.get_or_queue`), and the requests
are told it is being prepared until it is there.
"""
from __future__ import annotations

import contextlib
import datetime
import glob
import hashlib
import io
import json
import os
import secrets
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat
from types import NoneType
from typing import IO, Any

import orjson
import sqlalchemy as sa
from sqlalchemy.orm import Session

from pybossa_core.db import is_postgresql, loads_json
from pybossa_core.errors import TooManyRequests
from pybossa_core.i18n import _
from pybossa_core.interfaces import IBuiltExports, ISharedCounters, find_service
from pybossa_core.models import Project, User
from pybossa_core.services.cache import export_namespace, generation_key
from pybossa_core.services.jobs import JobContext, resolve
from pybossa_core.services.mail import send_mail
from pybossa_core.services.shared_state import SharedCounters

FORMATS = ("json", "csv")
#: Rows read and written per query.
CHUNK = 2000
#: Exports smaller than this stay in memory; larger ones go to a temporary file.
SPOOL_SIZE = 1 << 20
INFO_PREFIX = "info_"
#: zlib's level for the ZIP: on a task-run CSV, 6 (zlib's default) took 2.6 µs of CPU per run for a
#: 20 % smaller file than 3, which took 0.8 µs (1 was as fast as 3, 12 % larger).
COMPRESSLEVEL = 3

Presenter = Callable[[Any], dict[str, Any]]


def member_name(project: Project, kind: str, file_format: str) -> str:
    """The name of the file inside the ZIP (``<short_name>_<type>.<format>``)."""
    return f"{project.short_name}_{kind}.{file_format}"


def download_name(project: Project, kind: str, file_format: str) -> str:
    """The ZIP's name, as PYBOSSA names it (``<id>_<short_name>_<type>_<format>.zip``)."""
    return f"{project.id}_{project.short_name}_{kind}_{file_format}.zip"


def chunks(session: Session, model: type, project_id: int, columns: list[Any] | None = None,
           *, raw: bool = False) -> Iterator[list[Any]]:
    """Yield the project's rows of ``model`` (every column, or ``columns``) by id, one keyset chunk at a time:
    SQLAlchemy's rows, or with ``raw`` the driver's tuples, which no column type has converted."""
    table = model.__table__
    query = (
        sa.select(*(columns or table.columns))
        .where(table.c.project_id == sa.bindparam("project"), table.c.id > sa.bindparam("last"))
        .order_by(table.c.id)
        .limit(CHUNK)
    )
    id_index = list(query.selected_columns.keys()).index("id")
    last_id = 0
    while True:
        # Executed through the session either way: its events (SQLite's statement deadline) see each chunk.
        result = session.execute(query, {"project": project_id, "last": last_id})
        chunk = result.cursor.fetchall() if raw else result.all()
        result.close()
        if not chunk:
            return
        yield chunk
        last_id = chunk[-1][id_index]


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
            # An object's keys are text, an array's its indexes and a scalar's null: no json_type()
            # parsing each document once more.
            .where(model.project_id == project_id, sa.func.typeof(entries.c.key) == "text")
        )
    return sorted(set(session.scalars(query.distinct())))


def _dumps(value: Any) -> bytes:
    """orjson's encoding; what it refuses (an integer beyond 64 bits) goes through ``json``."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
    except orjson.JSONEncodeError:
        return json.dumps(value).encode("utf-8")


def _write_json(member: IO[bytes], pages: Iterator[list[dict[str, Any]]]) -> None:
    """Write one JSON array: each page encoded at once, the pages joined by commas."""
    member.write(b"[")
    first = True
    for page in pages:
        if not page:
            continue
        if not first:
            member.write(b",")
        member.write(_dumps(page)[1:-1])
        first = False
    member.write(b"]")


_NUMBERS = frozenset({int, float, NoneType})
_TEXTS = frozenset({str, NoneType})


def _cell(value: Any) -> str:
    """A CSV cell: text and numbers as they are, nothing for null, JSON for the rest (a bool is JSON, not a number)."""
    if type(value) is str:
        return value
    if value is None:
        return ""
    if type(value) in (int, float):
        return str(value)
    return _dumps(value).decode("utf-8")


def _quotes(text: str) -> bool:
    """Whether csv.writer (the excel dialect) quotes a cell holding ``text`` (a quote inside is
    doubled).  Four searches for one character each are quicker than one regular expression."""
    return "," in text or '"' in text or "\n" in text or "\r" in text


def _cells(values: Sequence[Any]) -> Sequence[str]:
    """A column's values as :func:`_cell` writes them, quoted as csv.writer would.  A column of
    nulls, numbers or text (and nulls), the usual one, takes no Python call per cell."""
    if values.count(None) == len(values):
        return [""] * len(values)
    types = set(map(type, values))
    if types <= _NUMBERS:
        if NoneType in types:
            return ["" if value is None else str(value) for value in values]
        return list(map(str, values))
    if types <= _TEXTS:
        cells = ["" if value is None else value for value in values] if NoneType in types else values
    else:
        cells = list(map(_cell, values))
    return _quoted_all(cells) if _quotes("".join(cells)) else cells


def _quoted_all(cells: Sequence[str]) -> list[str]:
    """The cells, each quoted if csv.writer would quote it."""
    return ['"' + cell.replace('"', '""') + '"' if _quotes(cell) else cell for cell in cells]


def _joined(pieces: Sequence[str], columns: Sequence[Sequence[int]]) -> list[str]:
    """``pieces[0] + str(number) + pieces[1] + ...`` with a number of each of ``columns`` in turn, for
    every row: the texts around a chunk's ids (its links) joined in C, not formatted row by row."""
    parts: list[Iterable[str]] = [repeat(pieces[0])]
    for column, piece in zip(columns, pieces[1:]):
        parts += [map(str, column), repeat(piece)]
    return list(map("".join, zip(*parts)))


def _quoted_pieces(pieces: Sequence[str]) -> list[str]:
    """The :func:`_joined` pieces of cells around numbers, quoted as csv.writer quotes such a cell
    (a number never needs it, so every row's cell is quoted or none is)."""
    if not _quotes("".join(pieces)):
        return list(pieces)
    doubled = [piece.replace('"', '""') for piece in pieces]
    return [f'"{doubled[0]}', *doubled[1:-1], f'{doubled[-1]}"']


def _csv_text(cells: list[Sequence[str]]) -> str:
    """The rows whose cells are the columns ``cells`` (:func:`_cells`) as csv.writer writes them,
    joined in C: csv.writer, a Python call per row and its work per character, took a fifth of an export."""
    lines = list(map(",".join, zip(*cells)))
    return "\r\n".join(lines) + "\r\n" if lines else ""


def _info_columns(infos: list[Any], info_keys: list[str]) -> list[list[Any]]:
    """The ``info`` column, then one ``info_<key>`` column per key of ``info_keys``.

    An ``info`` that is not an object (a task run's answer may be any JSON) stays in ``info``;
    an object's keys go to their ``info_<key>`` columns and ``info`` itself stays empty.
    """
    objects = [info if isinstance(info, dict) else None for info in infos]
    return [
        [None if isinstance(info, dict) else info for info in infos],
        *([None if info is None else info.get(key) for info in objects] for key in info_keys),
    ]


def _header(fields: list[str], has_info: bool, keys: list[str]) -> str:
    names = [*fields, *(["info"] if has_info else []), *(f"{INFO_PREFIX}{key}" for key in keys)]
    return _csv_text([_cells([name]) for name in names])  # one row


def _write_csv(stream: IO[str], pages: Iterator[list[dict[str, Any]]], keys: list[str]) -> None:
    """Write the presented objects as CSV: their fields (but ``info``), then :func:`_info_columns`."""
    fields = None
    for page in pages:
        if not page:
            continue
        if fields is None:
            # Every object of a resource is presented with the same fields: the first one names them.
            fields, has_info = [key for key in page[0] if key != "info"], "info" in page[0]
            stream.write(_header(fields, has_info, keys))
        columns = [[data.get(key) for data in page] for key in fields]
        if has_info:
            columns.extend(_info_columns([data.get("info") for data in page], keys))
        stream.write(_csv_text(list(map(_cells, columns))))


@dataclass(frozen=True)
class PlainPresenter:
    """The API's presenter of a resource whose rules show every column as it is (task runs,
    results): ``present`` itself, and what lets an export present a whole chunk of rows at once
    (:class:`_Chunks`) with the same output and no per-row call of ``present``.

    ``name`` and ``parent_keys`` are the resource's (its ``link``/``links``), ``base_url`` the links' site.
    """

    present: Presenter
    name: str
    parent_keys: tuple[tuple[str, str], ...]
    base_url: str

    def __call__(self, row: Any) -> dict[str, Any]:
        return self.present(row)


def _each(convert: Callable[[Any], Any]) -> Callable[[Sequence[Any]], list[Any]]:
    """What converts each value of a column with ``convert`` (nulls stay null)."""
    return lambda values: [None if value is None else convert(value) for value in values]


def _timestamp(value: datetime.datetime | str) -> str:
    """A timestamp as ``api.base`` shows it (ISO 8601, with microseconds), from a datetime or from
    SQLite's text (``2026-01-02 03:04:05.000006`` as SQLAlchemy stores it, or any ISO form)."""
    if type(value) is str:
        if len(value) == 26 and value[10] == " ":
            return f"{value[:10]}T{value[11:]}"
        value = datetime.datetime.fromisoformat(value)
    return value.isoformat(timespec="microseconds")


def _timestamps(values: Sequence[Any]) -> list[str | None]:
    """:func:`_timestamp` of each of a column's values (``None`` for null).  SQLite's text as
    SQLAlchemy stores it, every value of a column in the usual case, is reshaped at once."""
    if set(map(type, values)) == {str} and set(map(len, values)) == {26}:
        text = "".join(values)
        # Every value is 26 characters: its 11th is at 10, 36, ...; no other space in any of them.
        if text.count(" ") == len(values) and text[10::26] == " " * len(values):
            return list(map(str.replace, values, repeat(" "), repeat("T")))
    return [None if value is None else _timestamp(value) for value in values]


class _Chunks:
    """Rows of ``model``'s table presented as :class:`PlainPresenter` does, a chunk at a time:
    the driver's tuples are read (:func:`chunks` with ``raw``), turned a column at a time into
    what the presenter shows, and link prefixes are worked out once, not per row."""

    def __init__(self, session: Session, model: type, presenter: PlainPresenter):
        columns = list(model.__table__.columns)
        self.keys = [column.key for column in columns]
        self.id_index = self.keys.index("id")
        api = f"{presenter.base_url}/api"
        # A link is the same text around an id (a number, whatever the rows): its pieces.
        self.self_link = [f"<link rel='self' title='{presenter.name}' href='{api}/{presenter.name}/", "'/>"]
        self.parents = [self.keys.index(key) for _, key in presenter.parent_keys]
        self.parent_links = [[f"<link rel='parent' title='{parent}' href='{api}/{parent}/", "'/>"]
                             for parent, _ in presenter.parent_keys]
        # The CSV cell of ``links`` is their JSON list, quoted: JSON escapes a text character by
        # character and no digit, so the list's text is the escaped pieces around the ids.
        escaped = [[_dumps(piece).decode("utf-8")[1:-1] for piece in link] for link in self.parent_links]
        self.links_cell = _quoted_pieces([
            f'["{escaped[0][0]}',
            *(f'{before[1]}","{after[0]}' for before, after in zip(escaped, escaped[1:])),
            f'{escaped[-1][1]}"]',
        ]) if escaped else []
        #: The presented fields: the columns, then the links.
        self.names = [*self.keys, "link", *(["links"] if self.parents else [])]
        postgresql = is_postgresql(session)
        # What SQLAlchemy's type would make of each column's driver value, done here a column at
        # a time.  JSON documents are read as text and decoded by orjson; SQLite's timestamps are
        # read as the text SQLAlchemy stored, since parsing each into a datetime only to format
        # it again cost more than the rest of the cell.
        self.columns, self.convert = [], {}
        for index, column in enumerate(columns):
            if isinstance(column.type, sa.JSON):
                self.convert[index] = _each(loads_json)
                text = sa.cast(column, sa.Text) if postgresql else sa.type_coerce(column, sa.String)
                column = text.label(column.key)
            elif isinstance(column.type, sa.DateTime):
                self.convert[index] = _timestamps
                if not postgresql:
                    column = sa.type_coerce(column, sa.String).label(column.key)
            elif isinstance(column.type, sa.Boolean):
                self.convert[index] = _each(bool)  # SQLite's 0 and 1
            elif not isinstance(column.type, (sa.Integer, sa.String)):
                raise TypeError(f"{model.__name__}.{column.key}: no raw reading of {column.type!r}")
            self.columns.append(column)
        # The API leaves a null parent out of ``links``; the pieces have a place for every parent.
        if any(columns[index].nullable for index in self.parents):
            raise TypeError(f"{model.__name__}: a parent key may be null")

    def _columns(self, chunk: list[Any]) -> list[Sequence[Any]]:
        """The chunk's columns, holding what the presenter shows."""
        columns: list[Sequence[Any]] = list(zip(*chunk))
        for index, convert in self.convert.items():
            columns[index] = convert(columns[index])
        return columns

    def page(self, chunk: list[Any]) -> list[dict[str, Any]]:
        """The chunk's rows as ``present`` returns them."""
        columns = self._columns(chunk)
        columns.append(_joined(self.self_link, [columns[self.id_index]]))
        if self.parents:
            links = [_joined(link, [columns[index]]) for link, index in zip(self.parent_links, self.parents)]
            columns.append(list(map(list, zip(*links))))
        return [dict(zip(self.names, row)) for row in zip(*columns)]

    def write_csv(self, stream: IO[str], chunks: Iterator[list[Any]], info_keys: list[str]) -> None:
        """Write the rows as :func:`_write_csv` writes their presented objects, a chunk per write."""
        info = self.keys.index("info") if "info" in self.keys else None
        plain = [index for index in range(len(self.keys)) if index != info]
        links = self.names[len(self.keys):]
        stream.write(_header([*(self.keys[index] for index in plain), *links], info is not None, info_keys))
        self_link = _quoted_pieces(self.self_link)
        for chunk in chunks:
            columns = self._columns(chunk)
            cells = [_cells(columns[index]) for index in plain]
            cells.append(_joined(self_link, [columns[self.id_index]]))
            if self.parents:
                cells.append(_joined(self.links_cell, [columns[index] for index in self.parents]))
            if info is not None:
                cells.extend(map(_cells, _info_columns(columns[info], info_keys)))
            stream.write(_csv_text(cells))


def write_export(
    session: Session, project: Project, model: type, kind: str, file_format: str, present: Presenter
) -> IO[bytes]:
    """Return a temporary file, at its start, holding the ZIP of the project's ``model`` objects in ``file_format``.

    ``kind`` names them in the file's name (``task_run``); ``present`` turns one object into the
    dict the REST API answers for it (a :class:`PlainPresenter` lets whole chunks be presented at once).
    """
    keys = info_keys(session, model, project.id) if file_format == "csv" and hasattr(model, "info") else []
    fast = _Chunks(session, model, present) if isinstance(present, PlainPresenter) else None
    rows = chunks(session, model, project.id, fast.columns if fast else None, raw=fast is not None)
    pages = (fast.page(chunk) if fast else [present(row) for row in chunk] for chunk in rows)
    spooled = tempfile.SpooledTemporaryFile(max_size=SPOOL_SIZE)
    with zipfile.ZipFile(spooled, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESSLEVEL,
                         allowZip64=True) as archive:
        with archive.open(member_name(project, kind, file_format), "w", force_zip64=True) as member:
            if file_format == "json":
                _write_json(member, pages)
            else:
                with io.TextIOWrapper(member, encoding="utf-8", newline="") as stream:
                    if fast:
                        fast.write_csv(stream, rows, keys)
                    else:
                        _write_csv(stream, pages, keys)
    spooled.seek(0)
    return spooled


BUSY = _("Too many exports are being prepared right now: please try again in a minute.")
PREPARING = _("This export is being prepared: please try again in a few seconds.")
#: What the request that queued an export's job is told when the job mails it the link.
MAILING = _("This export is being prepared: we will e-mail you a link when it is ready.")
#: Seconds a client is told to wait before asking again for an export being prepared.
RETRY_AFTER = 10
#: How long a build may hold its place among the running ones (a process that died frees it then),
#: and the least time its job is given.
BUILD_TTL = 15 * 60
RUNNING_KEY = "exports:running"
EPOCH_KEY = "exports:epoch"
#: The kind of the export job, as admins see it and ``jobs.timeouts`` names it.
KIND = "export"


class BuiltExports:
    """Exports built once per project data generation, kept as files in ``directory``.

    A file is named by project, type, format, audience (``owners`` see gold answers, ``public``
    does not), the site's base URL (links are inside) and the generation (with the counters'
    epoch); a newer generation's file replaces the older ones.  A build of a file is *claimed*
    in the shared counters first: one builder per file, at most ``max_running`` at once.
    """

    def __init__(self, directory: str, counters: SharedCounters, max_running: int):
        self.directory, self.counters, self.max_running = directory, counters, max_running
        os.makedirs(directory, exist_ok=True)
        # At startup, before any request: two first requests making it at once would each add
        # to it, and files built under the first sum would be built again under the second.
        # A store that does not answer yet is the startup checks' to report (and /ready's):
        # the first request makes the epoch then.
        with contextlib.suppress(Exception):
            self._epoch_or_new()

    def _epoch_or_new(self) -> None:
        if not self.counters.get([EPOCH_KEY])[0]:
            self.counters.add([EPOCH_KEY], secrets.randbelow(2**31 - 1) + 1, None)

    def _stem(self, project: Project, kind: str, file_format: str, audience: str, base_url: str) -> str:
        # The project's creation moment too: a database made again beside the same counters (its
        # project 1 another project) never meets the files of the old one.
        site = hashlib.blake2b(f"{base_url} {project.created}".encode(), digest_size=6).hexdigest()
        return f"{project.id}_{kind}_{file_format}_{audience}_{site}"

    def path(self, project: Project, kind: str, file_format: str, audience: str, base_url: str) -> str:
        """The file of the export as the project's data are now (it may not be built yet).

        Its name holds the counters' epoch beside the generation: counters that start again
        from nothing (a new shared-state file, a flushed Redis) get a new epoch, so a file built
        under an old count of generations is never taken for a current one.  Read it before
        the rows: rows written meanwhile bump the generation, and the file is never served.
        """
        keys = [generation_key(export_namespace(project.id)), EPOCH_KEY]
        generation, epoch = self.counters.get(keys)
        if not epoch:  # the counters started again since startup
            self._epoch_or_new()
            generation, epoch = self.counters.get(keys)
        stem = self._stem(project, kind, file_format, audience, base_url)
        return os.path.join(self.directory, f"{stem}_{epoch}-{generation}.zip")

    @staticmethod
    def open(path: str) -> IO[bytes] | None:
        """The built file at ``path`` opened for reading, or ``None`` if it is not built."""
        try:
            return open(path, "rb")
        except FileNotFoundError:
            return None

    def _claims(self, path: str) -> list[str]:
        return [f"exports:building:{os.path.basename(path)}", RUNNING_KEY]

    def claim(self, path: str) -> bool:
        """Claim the build of ``path``: ``False`` while another holds it; :class:`TooManyRequests`
        when ``max_running`` builds are claimed.  The holder calls :meth:`release` when done."""
        claims = self._claims(path)
        mine, running = self.counters.add(claims, 1, BUILD_TTL)
        if mine == 1 and running <= self.max_running:
            return True
        self.counters.add(claims, -1, BUILD_TTL)
        if mine > 1:
            return False
        raise TooManyRequests(BUSY, target="export", retry_after=60)

    def release(self, path: str) -> None:
        claims = self._claims(path)
        counts = self.counters.add(claims, -1, BUILD_TTL)
        # A claim that lapsed before its release (a job queued longer than BUILD_TTL) must not
        # leave its count below zero, where the next claim would not be the first.
        lapsed = [key for key, count in zip(claims, counts) if count < 0]
        if lapsed:
            self.counters.add(lapsed, 1, BUILD_TTL)

    def store(self, path: str, archive: IO[bytes]) -> None:
        """Keep ``archive`` as the file ``path``, in place of the older generations' files."""
        with tempfile.NamedTemporaryFile(dir=self.directory, suffix=".part", delete=False) as part:
            while chunk := archive.read(1 << 20):
                part.write(chunk)
        archive.close()
        stem = os.path.basename(path).rsplit("_", 1)[0]
        for older in glob.glob(os.path.join(glob.escape(self.directory), f"{glob.escape(stem)}_*.zip")):
            with contextlib.suppress(FileNotFoundError):
                os.remove(older)
        # Atomic: a reader sees the whole file or none.
        os.replace(part.name, path)

    def get_or_build(self, path: str, build: Callable[[], IO[bytes]]) -> IO[bytes]:
        """Return the built file at ``path`` opened for reading, building it with ``build`` first if
        it is not there; raise :class:`TooManyRequests` while another request builds the same file,
        or when ``exports.max_running`` builds run."""
        if (built := self.open(path)) is not None:
            return built
        if not self.claim(path):
            raise TooManyRequests(PREPARING, target="export", retry_after=RETRY_AFTER)
        try:
            # Built meanwhile by the claim's last holder, between our look and our claim.
            if (built := self.open(path)) is None:
                self.store(path, build())
        finally:
            self.release(path)
        return built or open(path, "rb")

    def get_or_queue(self, path: str, queue: Callable[[], None]) -> IO[bytes] | None:
        """Return the built file at ``path`` opened for reading; if it is not there, return ``None``
        once a job builds it: ``queue()`` queues one unless another holds the claim (the job releases
        it).  Raise :class:`TooManyRequests` when ``exports.max_running`` builds are claimed."""
        if (built := self.open(path)) is not None:
            return built
        if self.claim(path):
            if (built := self.open(path)) is not None:
                self.release(path)
                return built
            queue()
        return None


def build_job(context: JobContext, presenter_path: str, project_id: int, kind: str, file_format: str,
              audience: str, base_url: str, claimed: str, user_id: int | None, mail: list[str] | None) -> None:
    """Job: build a project's export as its data are now, release the claim ``claimed`` of the request
    that queued it, then send that request's ``mail`` (subject, recipient, body, Message-ID), if any.

    ``presenter_path`` names ``presenter(session, kind, user, base_url) -> (model, present)``: the
    views know how the API presents each type; ``user_id`` is whose view of the objects (gold
    answers) the file holds.  A failure reaches the runner (retried, then listed in /admin/jobs)
    with the claim released, so the next request queues the build again.
    """
    built = context.find_service(IBuiltExports)
    try:
        with context.dbsession() as session:
            project = session.get(Project, project_id)
            if project is None:
                return
            path = built.path(project, kind, file_format, audience, base_url)
            if not os.path.exists(path):
                user = session.get(User, user_id) if user_id is not None else None
                model, present = resolve(presenter_path)(session, kind, user, base_url)
                built.store(path, write_export(session, project, model, kind, file_format, present))
    finally:
        # Once, whichever try ends first: the claim was taken once.
        if not context.done("released"):
            built.release(claimed)
            context.mark_done("released")
    if mail:
        send_mail(context, *mail)


def default_directory(database_url: str) -> str:
    """Where built exports go without ``exports.dir``: a folder of the system's temporary one, per database."""
    digest = hashlib.blake2b(database_url.encode(), digest_size=6).hexdigest()
    return os.path.join(tempfile.gettempdir(), f"pybossa-exports-{digest}")


def includeme(config) -> None:
    settings = config.get_settings()
    directory = settings["exports.dir"] or default_directory(settings["database.url"])
    counters = find_service(config.registry, ISharedCounters)
    config.register_service(BuiltExports(directory, counters, settings["exports.max_running"]), IBuiltExports)
