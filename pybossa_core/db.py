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
import weakref
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

from pybossa_core.interfaces import IDBEngine, ISessionFactory


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
    its session commits or its connection returns to the pool.

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

    def committed(self) -> None:
        """Let the next writer in as soon as this thread's transaction has committed, before what
        follows the commit (after-commit hooks, an inline job, closing the session) runs."""
        holder = self._holder
        if holder is not None and holder[0] == threading.get_ident():
            self.release(holder[1])


#: The writers' queue of each SQLite engine made by :func:`get_engine` on a file.
_SQLITE_WRITERS: weakref.WeakKeyDictionary[Engine, SqliteWriters] = weakref.WeakKeyDictionary()
#: Execution options of a request's connection: ``sqlite_write`` begins with SQLite's write lock;
#: ``sqlite_write_late`` begins reading and takes the lock at its first write (see :func:`writing`).
WRITE, WRITE_LATE = "sqlite_write", "sqlite_write_late"
#: In the pooled connection's ``info``: the writers' queue while the transaction reads until its
#: first write (``WRITE_LATE``), else None.
_READS_UNTIL_WRITE = "pybossa_reads_until_write"
#: In the pooled connection's ``info``: ``total_changes`` at BEGIN (has a reading transaction written?).
_CHANGES_AT_BEGIN = "pybossa_changes_at_begin"


def _begin_sqlite(writers: SqliteWriters | None, connection) -> None:
    # A writing request takes SQLite's write lock at BEGIN: writers then queue on
    # busy_timeout instead of failing when one upgrades a read lock another blocks.
    options = connection.get_execution_options()
    writes = options.get(WRITE, False)
    pooled = connection.connection
    driver = pooled.driver_connection
    if writes and writers is not None:
        writers.acquire(pooled._connection_record)
    pooled.info[_READS_UNTIL_WRITE] = writers if not writes and options.get(WRITE_LATE, False) else None
    pooled.info[_CHANGES_AT_BEGIN] = driver.total_changes
    # Straight to the driver: the engine's execution path would cost more than the BEGIN itself.
    driver.execute("BEGIN IMMEDIATE" if writes else "BEGIN")


def _start_writing(connection) -> None:
    """Turn the reading transaction of ``connection`` into a writing one: end it (it wrote nothing),
    queue for the write lock and BEGIN IMMEDIATE. What it read stays as read."""
    pooled = connection.connection
    writers, pooled.info[_READS_UNTIL_WRITE] = pooled.info[_READS_UNTIL_WRITE], None
    driver = pooled.driver_connection
    if driver.total_changes != pooled.info.get(_CHANGES_AT_BEGIN):
        return  # it wrote already: SQLite gave it the write lock then, and its writes must stay in it
    driver.execute("COMMIT")
    writers.acquire(pooled._connection_record)
    driver.execute("BEGIN IMMEDIATE")


def _may_write(statement: str) -> bool:
    """Whether ``statement`` may write: anything but a SELECT."""
    return statement.lstrip()[:6].upper() != "SELECT"


def _write_late(connection, cursor, statement: str, *args) -> None:
    # A connection begun with WRITE_LATE takes the write lock before its first statement that is
    # not a SELECT (an ORM flush's INSERT, say): no write ever runs under a read snapshot.
    if connection.connection.info.get(_READS_UNTIL_WRITE) and _may_write(statement):
        _start_writing(connection)


#: In the pooled connection's ``info`` on PostgreSQL: whether its transaction sent a statement other
#: than a SELECT (see :func:`may_have_written`).
_WROTE = "pybossa_wrote"


def _begin_postgresql(connection) -> None:
    connection.connection.info[_WROTE] = False


def _note_write(connection, cursor, statement: str, *args) -> None:
    info = connection.connection.info
    if not info.get(_WROTE) and _may_write(statement):
        info[_WROTE] = True


def may_have_written(session: Session) -> bool:
    """Tell whether ``session``'s transaction may have written: False on PostgreSQL when it sent
    only SELECTs so far, so that a read skips what only a writer needs (``SET CONSTRAINTS``: a
    round trip); True on SQLite, or with an engine not made by :func:`get_engine`."""
    return session.connection().connection.info.get(_WROTE, True)


def writing(session: Session) -> None:
    """From here on, ``session``'s transaction writes and reads what it writes from.

    On SQLite, a request begun with ``WRITE_LATE`` (``config.mark_writing_route(name, late=True)``)
    reads without the database's one write lock until this call or its first write: what a
    request reads to decide whether it may write (its caller, the project) then runs beside
    other writers, and the lock is held only for the statements that must see the latest state
    (the scheduler's choice, the handout). Nothing elsewhere.
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    connection = session.connection()
    if connection.connection.info.get(_READS_UNTIL_WRITE):
        _start_writing(connection)


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
            writers = _SQLITE_WRITERS[engine] = SqliteWriters(os.path.abspath(url.database) + "-writers")
            event.listen(engine, "checkin", lambda dbapi_connection, record: writers.release(record))
        event.listen(engine, "begin", functools.partial(_begin_sqlite, writers))
        if writers is not None:
            event.listen(engine, "before_cursor_execute", _write_late)
        if statement_timeout:
            event.listen(engine, "connect", _install_sqlite_deadline)
            event.listen(engine, "before_cursor_execute", functools.partial(_start_sqlite_deadline, statement_timeout))
        return engine
    if url.get_backend_name() == "postgresql" and url.get_driver_name() in ("", "psycopg2"):
        url = url.set(drivername="postgresql+psycopg")
    connect_args = {"options": f"-c statement_timeout={math.ceil(statement_timeout * 1000)}"} if statement_timeout else {}
    # No pre-ping: it costs a round trip on every request; connections are recycled hourly instead.
    # hide_parameters: a failed statement's error (logged) never shows its values (hashes, keys).
    engine = sa.create_engine(url, pool_size=10, max_overflow=20, pool_recycle=3600, connect_args=connect_args,
                              json_deserializer=loads_json, hide_parameters=True)
    event.listen(engine, "begin", _begin_postgresql)
    event.listen(engine, "before_cursor_execute", _note_write)
    return engine


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
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    writers = _SQLITE_WRITERS.get(engine)
    if writers is not None:
        event.listen(factory, "after_commit", lambda session: writers.committed())
    return factory


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
    config.register_service(engine, IDBEngine)
    config.register_service(session_factory, ISessionFactory)
    # Requests run in pyramid_tm's thread-local transaction.manager.  Their sessions come from a
    # factory joined to it once: joining each session on its own (get_tm_session) costs a
    # per-instance event dispatch, about a tenth of a simple request.
    request_session_factory = get_session_factory(engine)
    zope.sqlalchemy.register(request_session_factory, initial_state=STATUS_CHANGED, transaction_manager=transaction.manager)
    # Route name -> whether its requests take SQLite's write lock late (db.writing).
    writing_routes: dict[str, bool] = {}

    def mark_writing_route(config, route_name: str, *, late: bool = False) -> None:
        """Declare that requests of ``route_name`` write, GET ones too (newtask records handouts).

        With ``late``, they read without SQLite's write lock until :func:`writing` or their first
        write: for hot routes whose code calls :func:`writing` before the reads that must see the
        latest state, and whose writes are safe against what changed since their first reads
        (conditional statements, unique constraints).
        """
        writing_routes[route_name] = late

    config.add_directive("mark_writing_route", mark_writing_route)

    def dbsession(request) -> Session:
        # Tests hand the app a session already joined to their own doomed transaction.
        session = request.environ.get("app.dbsession")
        if session is None:
            session = request_session_factory(info={"request": request})
            route = request.matched_route
            late = writing_routes.get(route.name) if route is not None else None
            if late:
                session.connection(execution_options={WRITE_LATE: True})
            elif late is not None or request.method not in SAFE_METHODS:
                session.connection(execution_options={WRITE: True})
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
        session.connection(execution_options={WRITE: True})
        session.add_all(loaded)


def commit_answered(request) -> None:
    """Commit what the request wrote now that its answer is built (nothing in it is read from
    the database any more), and go on in a new transaction: rendering and the response's
    callbacks then hold no row lock, and on SQLite not the site's one write lock.

    A failure of the commit is the request's, retried as before; what fails after it (an answer
    that cannot be encoded) can no longer undo the write.
    """
    if request.environ.get("app.dbsession") is not None:
        return  # the tests' requests share one transaction that is rolled back
    request.tm.commit()
    request.tm.begin()


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

