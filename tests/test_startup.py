"""A site that cannot serve says so before it starts: one line, exit 2; and /health and /ready for orchestrators.

Each command runs as a deployer runs it: ``pybossa`` in a process of its own, configured
from the environment alone (no ini file in its directory).
"""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import uuid

import pytest
import requests
import sqlalchemy as sa
import webtest

from pybossa_core.config import configure
from tests.conftest import SECRET, _postgresql_admin, app_settings
from tests.functional.test_two_processes import free_port

DATABASE_URL = os.environ.get("PYBOSSA_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("PYBOSSA_TEST_REDIS_URL")
#: A port nothing listens on, for a database or Redis that does not answer.
CLOSED = "127.0.0.1:1"


def pybossa(tmp_path, *command: str, timeout: float = 60, **settings: str) -> subprocess.CompletedProcess:
    environ = {key: value for key, value in os.environ.items() if not key.startswith("PYBOSSA_")}
    environ.update({"PYBOSSA_SECRET": SECRET, **settings})
    return subprocess.run([sys.executable, "-m", "pybossa_core.cli", *command], cwd=tmp_path, env=environ,
                          capture_output=True, text=True, timeout=timeout, check=False)


def one_line(run: subprocess.CompletedProcess) -> str:
    assert run.returncode == 2, (run.stdout, run.stderr)
    assert "Traceback" not in run.stderr
    [line] = [line for line in run.stderr.splitlines() if line.startswith("pybossa:")]
    return line


@pytest.fixture
def upgraded(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'site.sqlite'}"
    assert pybossa(tmp_path, "db", "upgrade", PYBOSSA_DATABASE_URL=url).returncode == 0
    return url


@pytest.mark.functional
@pytest.mark.parametrize("command", ["serve", "worker"])
def test_a_database_never_upgraded_stops_the_command_with_what_to_run(tmp_path, command):
    line = one_line(pybossa(tmp_path, command, PYBOSSA_DATABASE_URL=f"sqlite:///{tmp_path / 'new.sqlite'}",
                            PYBOSSA_REDIS_URL=REDIS_URL or f"redis://{CLOSED}"))
    assert "is not up to date (no tables): run `pybossa db upgrade`" in line


@pytest.mark.functional
def test_a_database_that_does_not_answer_stops_serve(tmp_path):
    line = one_line(pybossa(tmp_path, "serve", PYBOSSA_DATABASE_URL=f"postgresql://nobody@{CLOSED}/pybossa"))
    assert line.startswith("pybossa: cannot reach the database at postgresql://nobody@127.0.0.1:1/pybossa: connection failed")


@pytest.mark.functional
@pytest.mark.parametrize("command", ["serve", "worker"])
def test_a_redis_that_does_not_answer_stops_the_command(tmp_path, upgraded, command):
    line = one_line(pybossa(tmp_path, command, PYBOSSA_DATABASE_URL=upgraded, PYBOSSA_REDIS_URL=f"redis://{CLOSED}/0"))
    assert line.startswith("pybossa: cannot reach Redis at 127.0.0.1: ")


@pytest.mark.functional
@pytest.mark.parametrize("url, message", [
    ("mysql://root@localhost/pybossa", "mysql is not supported: use sqlite:///path or postgresql://user@host/name"),
    ("notaurl", "'notaurl' is not a database URL (sqlite:///path or postgresql://user@host/name)"),
])
def test_a_database_url_of_another_kind_is_a_setting_error(tmp_path, url, message):
    assert one_line(pybossa(tmp_path, "serve", PYBOSSA_DATABASE_URL=url)) == f"pybossa: setting 'database.url': {message}"


@pytest.mark.functional
def test_a_port_in_use_stops_serve(tmp_path, upgraded):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = one_line(pybossa(tmp_path, "serve", PYBOSSA_DATABASE_URL=upgraded, PYBOSSA_PORT=str(port)))
    assert line == f"pybossa: cannot listen on 127.0.0.1:{port}: Address already in use"


@pytest.mark.functional
@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_configured_by_the_environment_logs_its_address_and_requests(tmp_path, upgraded, workers):
    port = free_port()
    environ = {key: value for key, value in os.environ.items() if not key.startswith("PYBOSSA_")}
    environ.update({"PYBOSSA_SECRET": SECRET, "PYBOSSA_DATABASE_URL": upgraded, "PYBOSSA_PORT": str(port),
                    "PYBOSSA_WORKERS": workers})
    with open(tmp_path / "log", "w") as log:
        server = subprocess.Popen([sys.executable, "-m", "pybossa_core.cli", "serve"], cwd=tmp_path, env=environ,
                                  stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None and time.monotonic() < deadline, (tmp_path / "log").read_text()
            try:
                answer = requests.get(f"http://127.0.0.1:{port}/health", timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        assert (answer.status_code, answer.json()) == (200, {"status": "ok"})
        assert requests.get(f"http://127.0.0.1:{port}/ready", timeout=5).json() == {
            "status": "ok", "database": "ok", "redis": "not configured"}
    finally:
        server.terminate()
        server.wait(30)
    log = (tmp_path / "log").read_text()
    assert f"serving on http://127.0.0.1:{port}" in log
    # One line per request, in one format whichever server (waitress, or granian's workers) answered.
    assert re.search(r"\[pybossa_core.access\] 127.0.0.1 GET /health 200 \d+\.\dms\n", log), log
    assert re.search(r"\[pybossa_core.access\] 127.0.0.1 GET /ready 200 \d+\.\dms\n", log), log


def test_health_and_ready_answer_orchestrators(testapp):
    assert testapp.get("/health").json == {"status": "ok"}
    assert testapp.get("/ready").json == {"status": "ok", "database": "ok", "redis": "not configured"}


def test_ready_is_503_naming_what_does_not_answer(tmp_path, dbengine, uploads_dir):
    never_upgraded = sa.create_engine(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    site = configure({**app_settings(never_upgraded, uploads_dir), "redis.url": f"redis://{CLOSED}/0"},
                     environ={}).make_wsgi_app()
    body = webtest.TestApp(site, extra_environ={"HTTP_HOST": "localhost"}).get("/ready", status=503).json
    assert body["status"] == "failed"
    assert body["database"].endswith("is not up to date (no tables): run `pybossa db upgrade`")
    assert body["redis"].startswith("cannot reach Redis at 127.0.0.1: ")
    never_upgraded.dispose()


@pytest.mark.functional
@pytest.mark.skipif(not DATABASE_URL, reason="needs PYBOSSA_TEST_DATABASE_URL (make test sets it when PostgreSQL answers)")
def test_two_upgrades_at_once_on_a_fresh_postgresql_database_both_succeed(tmp_path):
    database = f"{sa.engine.make_url(DATABASE_URL).database}_race_{uuid.uuid4().hex[:8]}"
    _postgresql_admin("create", database)
    url = sa.engine.make_url(DATABASE_URL).set(database=database).render_as_string(False)
    environ = {key: value for key, value in os.environ.items() if not key.startswith("PYBOSSA_")}
    environ.update({"PYBOSSA_SECRET": SECRET, "PYBOSSA_DATABASE_URL": url})
    try:
        upgrades = [subprocess.Popen([sys.executable, "-m", "pybossa_core.cli", "db", "upgrade"], cwd=tmp_path,
                                     env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                    for _ in range(3)]
        outcomes = [(upgrade.wait(120), upgrade.stderr.read()) for upgrade in upgrades]
        for upgrade in upgrades:
            upgrade.stdout.close()
            upgrade.stderr.close()
        assert [code for code, _ in outcomes] == [0, 0, 0], outcomes
        assert not any("Traceback" in error for _, error in outcomes)
        engine = sa.create_engine(sa.engine.make_url(url).set(drivername="postgresql+psycopg"))
        with engine.connect() as connection:  # the new site's two categories, added once
            assert connection.scalar(sa.text("SELECT count(*) FROM category")) == 2
        engine.dispose()
    finally:
        _postgresql_admin("drop", database)
