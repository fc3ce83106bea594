"""Fixtures: a migrated database per back end, and per test a doomed transaction and a WebTest app.

Every test runs on SQLite, and on PostgreSQL too when PYBOSSA_TEST_DATABASE_URL
names a database there (``make test`` sets it when PostgreSQL answers).  The
schema comes from the alembic migrations, as on a real site.  Each test's
requests share one session inside a transaction that is rolled back, so tests
leave nothing behind.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

import pytest
import sqlalchemy as sa
import transaction
import webtest
from pyramid.config import Configurator

from pybossa_core.config import configure
from pybossa_core.db import get_engine, get_tm_session
from pybossa_core.interfaces import ISessionFactory, find_service
from pybossa_core.migrations import upgrade
# Shared with plugins' tests (pybossa_core.testing, the pytest plugin); re-exported for the suite.
from pybossa_core.testing import SECRET, TEST_ENVIRON, app_settings, migrated_sqlite_engine
from tests import factories

__all__ = ["SECRET", "app_settings"]

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("PYBOSSA_TEST_DATABASE_URL") else [])


def _postgresql_admin(action: str, database: str) -> None:
    url = sa.engine.make_url(os.environ["PYBOSSA_TEST_DATABASE_URL"]).set(database="postgres")
    admin = get_engine({"database.url": url.render_as_string(False)}).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        if action == "create":
            connection.exec_driver_sql(f'CREATE DATABASE "{database}"')
    admin.dispose()


def writers_file_is_free(path: str) -> bool:
    """Whether SQLite's writers' queue (its lock file ``path``, ``<database>-writers``) is free: try
    the lock from a file description of our own (flock locks conflict between descriptions)."""
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(descriptor)
    return True


@contextlib.contextmanager
def fresh_engine(backend: str, tmp_path_factory, name: str):
    """Yield an engine on an empty, migrated database of its own, dropped afterwards.

    PostgreSQL databases are named after the process, so two test runs on one
    machine never share (or drop) each other's database.
    """
    if backend == "sqlite":
        engine = migrated_sqlite_engine(tmp_path_factory.mktemp(name) / "pybossa.sqlite")
        database = None
    else:
        url = sa.engine.make_url(os.environ["PYBOSSA_TEST_DATABASE_URL"])
        database = f"{url.database}_{name}_{os.getpid()}"
        _postgresql_admin("create", database)
        engine = get_engine({"database.url": url.set(database=database).render_as_string(False)})
        upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()
        if database is not None:
            _postgresql_admin("drop", database)


TESTS = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items) -> None:
    """Mark each test by what it needs (``make test-fast`` leaves these out): ``browser`` for the
    tests driving Chromium (tests/browser), ``functional`` for those against a live server
    (tests/functional, and every test using ``live_server``)."""
    for item in items:
        if item.path.is_relative_to(TESTS / "browser"):
            item.add_marker(pytest.mark.browser)
        elif item.path.is_relative_to(TESTS / "functional") or "live_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.functional)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request) -> str:
    """The database back end this run of the test uses: "sqlite" or "postgresql"."""
    return request.param


@pytest.fixture(scope="session")
def dbengine(backend, tmp_path_factory):
    with fresh_engine(backend, tmp_path_factory, "test") as engine:
        yield engine


@pytest.fixture(scope="session")
def uploads_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("uploads")


@pytest.fixture(scope="session")
def app(dbengine, uploads_dir):
    return configure(app_settings(dbengine, uploads_dir), environ={}).make_wsgi_app()


@pytest.fixture
def replace_service():
    """``replace_service(registry, IFace, double)``: a site finds ``double`` under ``IFace`` during the
    test (registered as pyramid_services registers it); its own service is back afterwards."""
    replaced = []

    def replace(registry, iface, double, name=""):
        replaced.append((registry, iface, find_service(registry, iface, name), name))
        _register_service(registry, iface, double, name)

    yield replace
    for registry, iface, original, name in reversed(replaced):
        _register_service(registry, iface, original, name)


def _register_service(registry, iface, service, name: str) -> None:
    config = Configurator(registry=registry)
    config.register_service(service, iface, name=name)
    config.commit()


@pytest.fixture
def tm():
    """An explicit transaction manager whose transaction is doomed and aborted after the test."""
    manager = transaction.TransactionManager(explicit=True)
    manager.begin()
    manager.doom()
    yield manager
    manager.abort()


@pytest.fixture
def dbsession(app, tm):
    """The session the test and its requests share, inside the doomed transaction."""
    return get_tm_session(find_service(app.registry, ISessionFactory), tm)


class SavepointPerRequest:
    """Run each request in a savepoint of the test's transaction, rolled back when it fails.

    In production pyramid_tm aborts a failed request's transaction; the tests
    share one transaction, so this gives each request the same all-or-nothing.
    """

    def __init__(self, app, session):
        self.app, self.session = app, session

    def __call__(self, environ, start_response):
        savepoint = self.session.begin_nested()
        statuses = []

        def capture(status, headers, exc_info=None):
            statuses.append(int(status.split()[0]))
            return start_response(status, headers, exc_info)

        try:
            app_iter = self.app(environ, capture)
            try:
                body = list(app_iter)
            finally:
                if hasattr(app_iter, "close"):
                    app_iter.close()
        except BaseException:
            savepoint.rollback()
            raise
        if statuses and statuses[0] >= 400:
            savepoint.rollback()
        else:
            savepoint.commit()
        return body


def in_test_transaction(app, tm, dbsession) -> webtest.TestApp:
    """Return a WebTest app for ``app`` whose requests run in the test's transaction, each in a savepoint."""
    return webtest.TestApp(
        SavepointPerRequest(app, dbsession),
        extra_environ={
            **TEST_ENVIRON,
            "tm.active": True,
            "tm.manager": tm,
            "app.dbsession": dbsession,
        },
    )


@pytest.fixture
def testapp(app, tm, dbsession):
    """A WebTest app whose requests run in the test's transaction, each in its own savepoint."""
    return in_test_transaction(app, tm, dbsession)


class QueryRecorder:
    """The SQL statements the app sends while recording (savepoints of the test harness left out)."""

    def __init__(self, engine):
        self.engine, self.statements = engine, []
        sa.event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, connection, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            self.statements.append(statement)

    def close(self):
        sa.event.remove(self.engine, "before_cursor_execute", self._record)


@pytest.fixture
def queries(dbengine):
    """Record the statements of the requests a test makes: ``queries.statements`` (clear it first)."""
    recorder = QueryRecorder(dbengine)
    yield recorder
    recorder.close()


@pytest.fixture
def make(dbsession):
    """Factories bound to the test's session: ``make.user()``, ``make.project(owner)``, ..."""
    return factories.Factories(dbsession)


class LiveServer:
    """A site served by waitress on a loopback port, for real clients."""

    def __init__(self, app):
        from webtest.http import StopableWSGIServer

        self.app = app
        # Listening from here on: the socket is bound before create() returns.
        self.server = StopableWSGIServer.create(app, host="127.0.0.1", threads=4)
        self.url = self.server.application_url.rstrip("/")

    def session(self):
        """Return a session committing to the live site's database (for set-up)."""
        manager = transaction.TransactionManager()
        return manager, get_tm_session(find_service(self.app.registry, ISessionFactory), manager)


@pytest.fixture(scope="session")
def live_server(backend, tmp_path_factory):
    """A live site on its own database, committing for real."""
    with fresh_engine(backend, tmp_path_factory, "live") as engine:
        app = configure(app_settings(engine, tmp_path_factory.mktemp("live_uploads")), environ={}).make_wsgi_app()
        server = LiveServer(app)
        yield server
        server.server.shutdown()


@pytest.fixture
def live_factories(live_server):
    """Factories that commit to the live site's database; use inside ``with live_factories as make:``."""
    return factories.Committing(live_server)


@pytest.fixture
def site_with(dbengine, uploads_dir, tm, dbsession):
    """Return a factory of WebTest apps for sites with extra settings, in the test's doomed transaction."""

    def build(**overrides) -> webtest.TestApp:
        site = configure(app_settings(dbengine, uploads_dir, **overrides), environ={}).make_wsgi_app()
        return in_test_transaction(site, tm, dbsession)

    return build
