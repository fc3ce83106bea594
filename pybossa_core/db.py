"""The database engine and the one way to get a session joined to a transaction."""
from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import math
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import orjson
import sqlalchemy as sa
import transaction
import zope.sqlalchemy
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _tune_sqlite(dbapi_connection, connection_record) -> None:
    # pysqlite's own implicit BEGIN is turned off: _begin_sqlite decides the kind of BEGIN.
    dbapi_connection.isolation_level = None
    # WAL lets readers go on while one writer writes; foreign keys give the
    # same cascades as PostgreSQL; busy_timeout queues writers instead of
    # failing them at once when several threads write.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


class SqliteWriters:
    """The queue of one SQLite database's writers, across the site's processes: a lock file
    beside the database (``<database>-writers``), held from a writer's ``BEGIN IMMEDIATE`` until
    its connection returns to the pool.

    SQLite's own busy handler makes a waiting writer sleep 1, 2, 5, ... up to 100 ms between
    tries, so with several writer processes the lock sat free while they slept. A writer here
    waits in the kernel (``flock``) and wakes the moment the lock is released; in one process,
    threads queue on a thread lock first, so one thread per process waits on the file. The
    kernel drops the lock of a process that dies. SQLite's lock stays the guarantee: writers
    that do not pass here (``pybossa`` commands, deferred transactions) still queue on ``busy_timeout``.
    """

    def __init__(self, path: str):
        self.path = path
        self._threads = threading.Lock()
        self._file: int | None = None
        self._pid: int | None = None
        self._holder: tuple[int, Any] | None = None

    def acquire(self, record: Any) -> None:
        """Take the lock for the pooled connection ``record`` (nothing if its thread holds it already)."""
        me = threading.get_ident()
        if self._holder is not None and self._holder[0] == me:
            return
        self._threads.acquire()
        try:
            if self._pid != os.getpid():  # a forked child opens its own: flock locks belong to the open file
                self._file, self._pid = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600), os.getpid()
            fcntl.flock(self._file, fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise
        self._holder = (me, record)

    def release(self, record: Any) -> None:
        """Let the next writer in when ``record``, the connection holding the lock, is back in the pool."""
        if self._holder is None or self._holder[1] is not record:
            return
        self._holder = None
        fcntl.flock(self._file, fcntl.LOCK_UN)
        self._threads.release()


def _begin_sqlite(writers: SqliteWriters | None, connection) -> None:
    # A writing request takes SQLite's write lock at BEGIN: writers then queue on
    # busy_timeout instead of failing when one upgrades a read lock another blocks.
    writes = connection.get_execution_options().get("sqlite_write", False)
    pooled = connection.connection
    if writes and writers is not None:
        writers.acquire(pooled._connection_record)
    # Straight to the driver: the engine's execution path would cost more than the BEGIN itself.
    pooled.driver_connection.execute("BEGIN IMMEDIATE" if writes else "BEGIN")


def loads_json(text: str | bytes) -> Any:
    """Decode a JSON column with orjson (several times faster than ``json``: every ``info`` read
    goes through it); what orjson refuses (an integer beyond 64 bits) goes through ``json``."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


#: An execution option lifting the statement deadline (jobs, which may scan a whole project).
NO_DEADLINE = "pybossa_no_deadline"
#: SQLite calls the deadline check every this many virtual machine instructions.
DEADLINE_CHECK_INSTRUCTIONS = 10_000


def _install_sqlite_deadline(dbapi_connection, connection_record) -> None:
    deadline = connection_record.info["pybossa_deadline"] = [math.inf]
    # A true answer makes SQLite interrupt the statement ("interrupted").
    dbapi_connection.set_progress_handler(lambda: time.monotonic() > deadline[0], DEADLINE_CHECK_INSTRUCTIONS)


def _start_sqlite_deadline(seconds: float, conn, cursor, statement, parameters, context, executemany) -> None:
    lifted = conn.get_execution_options().get(NO_DEADLINE)
    conn.connection.info["pybossa_deadline"][0] = math.inf if lifted else time.monotonic() + seconds


def get_engine(settings: dict[str, Any], *, statement_timeout: float = 0) -> Engine:
    """Create the engine for ``database.url`` (a test may pass ``dbengine`` instead).

    With ``statement_timeout`` (seconds), no statement runs longer: PostgreSQL's own
    ``statement_timeout``, or on SQLite a progress handler that interrupts it.  The server
    asks for one, so that one request cannot hold the database; commands and workers do not.
    """
    if settings.get("dbengine") is not None:
        return settings["dbengine"]
    url = make_url(settings["database.url"])
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(url.database)), exist_ok=True)
        engine = sa.create_engine(url, pool_size=10, max_overflow=20, json_deserializer=loads_json, hide_parameters=True)
        event.listen(engine, "connect", _tune_sqlite)
        writers = None
        if url.database and url.database != ":memory:":
            writers = SqliteWriters(os.path.abspath(url.database) + "-writers")
            event.listen(engine, "checkin", lambda dbapi_connection, record: writers.release(record))
        event.listen(engine, "begin", functools.partial(_begin_sqlite, writers))
        if statement_timeout:
            event.listen(engine, "connect", _install_sqlite_deadline)
            event.listen(engine, "before_cursor_execute", functools.partial(_start_sqlite_deadline, statement_timeout))
        return engine
    if url.get_backend_name() == "postgresql" and url.get_driver_name() in ("", "psycopg2"):
        url = url.set(drivername="postgresql+psycopg")
    connect_args = {"options": f"-c statement_timeout={math.ceil(statement_timeout * 1000)}"} if statement_timeout else {}
    # No pre-ping: it costs a round trip on every request; connections are recycled hourly instead.
    # hide_parameters: a failed statement's error (logged) never shows its values (hashes, keys).
    return sa.create_engine(url, pool_size=10, max_overflow=20, pool_recycle=3600, connect_args=connect_args,
                            json_deserializer=loads_json, hide_parameters=True)


def without_statement_timeout(session: Session) -> None:
    """Lift the statement deadline for the rest of ``session``'s transaction (a job's)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SET LOCAL statement_timeout = 0"))
    else:
        session.connection(execution_options={NO_DEADLINE: True})


def is_statement_timeout(error: BaseException) -> bool:
    """Tell whether ``error`` is a statement stopped at its deadline (either back end)."""
    if not isinstance(error, OperationalError):
        return False
    original = error.orig
    return getattr(original, "sqlstate", None) == "57014" or str(original) == "interrupted"


#: Sessions start "changed": zope.sqlalchemy sees ORM writes but not Core statements run
#: through the session (the contribution loop's upserts and counters), and would roll those back.
STATUS_CHANGED = "changed"


def get_session_factory(engine: Engine) -> sessionmaker:
    """Return the session factory every request, job and command uses."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def get_tm_session(session_factory: sessionmaker, transaction_manager, request=None) -> Session:
    """Return a session joined to ``transaction_manager``: it commits or aborts with it.

    Outside a request::

        with transaction.manager:
            dbsession = get_tm_session(session_factory, transaction.manager)
    """
    dbsession = session_factory(info={"request": request})
    zope.sqlalchemy.register(dbsession, initial_state=STATUS_CHANGED, transaction_manager=transaction_manager)
    return dbsession


def includeme(config) -> None:
    """Give each request ``request.dbsession`` inside one pyramid_tm transaction."""
    settings = config.get_settings()
    # pyramid_tm would look the user up in its tween, before routing: the session
    # must open after routing, when it knows whether the route writes.
    settings["tm.annotate_user"] = False
    settings.setdefault("retry.attempts", 3)
    config.include("pyramid_tm")
    config.include("pyramid_retry")
    # Two requests racing to insert the same unique row (or SQLite's "database
    # is locked") fail one of them; pyramid_retry replays that request in a new
    # transaction, where it takes the ordinary "already exists" path.
    config.add_tween("pybossa_core.db.retryable_errors_tween", over="pyramid_tm.tm_tween_factory")

    engine = get_engine(settings, statement_timeout=settings["database.statement_timeout"])
    session_factory = get_session_factory(engine)
    config.registry["dbengine"] = engine
    config.registry["dbsession_factory"] = session_factory
    # Requests run in pyramid_tm's thread-local transaction.manager.  Their sessions come from a
    # factory joined to it once: joining each session on its own (get_tm_session) costs a
    # per-instance event dispatch, about a tenth of a simple request.
    request_session_factory = get_session_factory(engine)
    zope.sqlalchemy.register(request_session_factory, initial_state=STATUS_CHANGED, transaction_manager=transaction.manager)
    config.registry["writing_routes"] = set()
    config.add_directive("mark_writing_route", mark_writing_route)

    def dbsession(request) -> Session:
        # Tests hand the app a session already joined to their own doomed transaction.
        session = request.environ.get("app.dbsession")
        if session is None:
            session = request_session_factory(info={"request": request})
            route = request.matched_route
            if request.method not in SAFE_METHODS or (route is not None and route.name in request.registry["writing_routes"]):
                session.connection(execution_options={"sqlite_write": True})
        return session

    config.add_request_method(dbsession, reify=True)


@contextlib.contextmanager
def outside_transaction(request) -> Iterator[None]:
    """Run the block with no database transaction open: commit what the request did so far,
    then begin a new transaction (taking SQLite's write lock at once) with the objects it had
    loaded attached again.

    For work that waits on others (an import's download): holding a transaction meanwhile
    would hold a pooled connection, row locks, and on SQLite the one write lock of the site.
    """
    if request.environ.get("app.dbsession") is not None:
        # The tests' requests share one transaction that is rolled back: nothing to release.
        yield
        return
    session = request.dbsession
    loaded = list(session.identity_map.values())
    request.tm.commit()
    try:
        yield
    finally:
        request.tm.begin()
        session.connection(execution_options={"sqlite_write": True})
        session.add_all(loaded)


def mark_writing_route(config, route_name: str) -> None:
    """Declare that GET requests of ``route_name`` write (newtask records handouts)."""
    config.registry["writing_routes"].add(route_name)


def mark_if_retryable(error: BaseException) -> bool:
    """Mark an integrity race or a SQLite lock time-out retryable; tell whether it was."""
    from pyramid_retry import mark_error_retryable

    if isinstance(error, IntegrityError) or (
        isinstance(error, OperationalError) and "locked" in str(error.orig)
    ):
        mark_error_retryable(error)
        return True
    return False


def retryable_errors_tween(handler, registry):
    """Let pyramid_retry replay a request whose commit lost a race."""

    def tween(request):
        try:
            return handler(request)
        except (IntegrityError, OperationalError) as error:
            mark_if_retryable(error)
            raise

    return tween


def is_postgresql(session: Session) -> bool:
    """Tell whether ``session`` talks to PostgreSQL (else SQLite)."""
    return session.get_bind().dialect.name == "postgresql"


def json_array_contains(session: Session, column, value: int) -> sa.ColumnElement[bool]:
    """SQL true where the JSON array in ``column`` holds ``value`` (owners_ids, fav_user_ids)."""
    if is_postgresql(session):
        return sa.type_coerce(column, JSONB).contains([value])
    members = sa.func.json_each(column).table_valued("value")
    return sa.exists(sa.select(1).select_from(members).where(members.c.value == value))

