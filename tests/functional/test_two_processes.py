"""Two ``pybossa serve`` processes on one PostgreSQL database and one Redis behave as one site.

A task handed out by one process is answered through the other and counted
by the first; the site totals one process cached are dropped when the other
takes an answer; and the rate limit is one limit for both.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest
import redis
import requests
from sqlalchemy.orm import Session

from tests import factories
from tests.conftest import SECRET, fresh_engine

DATABASE_URL = os.environ.get("PYBOSSA_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("PYBOSSA_TEST_REDIS_URL")
ROOT = Path(__file__).resolve().parents[2]
LIMIT = 4

pytestmark = pytest.mark.skipif(
    not (DATABASE_URL and REDIS_URL),
    reason="needs PYBOSSA_TEST_DATABASE_URL and PYBOSSA_TEST_REDIS_URL (make test sets them when the services answer)",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, deadline: float) -> None:
    # A non-API page: the probes must not count against the API's rate limit.
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the server at {url} exited with {process.returncode}"
        try:
            requests.get(f"{url}/account/register", timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError(f"the server at {url} did not answer in time")


@pytest.fixture
def site(tmp_path, tmp_path_factory):
    """Committed set-up data and the ini file both processes read, every Redis key under a prefix of its own."""
    prefix = f"test-{uuid.uuid4().hex}"
    with fresh_engine("postgresql", tmp_path_factory, "twoprocs") as engine:
        with Session(engine) as session:
            make = factories.Factories(session)
            owner, volunteer = make.user(), make.user()
            project = make.project(owner)
            make.task(project, n_answers=1)
            ids = {"project": project.id, "volunteer_key": volunteer.api_key}
            session.commit()
        ini = tmp_path / "site.ini"
        ini.write_text(textwrap.dedent(f"""\
            [app:main]
            use = egg:pybossa-core
            database.url = {engine.url.render_as_string(False)}
            redis.url = {REDIS_URL}
            secret = {SECRET}
            uploads.dir = {tmp_path / "uploads"}
            ratelimit.limit = {LIMIT}
            redis.prefix = {prefix}
            jobs.queue = test-{uuid.uuid4().hex}
            """))
        yield ini, ids
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()


def test_a_contribution_through_one_process_is_seen_counted_and_rate_limited_through_the_other(site, tmp_path):
    ini, ids = site
    environ = {key: value for key, value in os.environ.items() if not key.startswith("PYBOSSA_")}
    processes, urls = [], []
    client = requests.Session()
    try:
        deadline = time.monotonic() + 15
        for name in ("a", "b"):
            port = free_port()
            with open(tmp_path / f"{name}.log", "w") as log:
                processes.append(subprocess.Popen(
                    [sys.executable, "-m", "pybossa_core.cli", "-c", str(ini), "serve", "--threads", "2"],
                    cwd=ROOT, env={**environ, "PYBOSSA_PORT": str(port)}, stdout=log, stderr=subprocess.STDOUT,
                ))
            urls.append(f"http://127.0.0.1:{port}")
        for url, process in zip(urls, processes):
            wait_until_up(url, process, deadline)
        a, b = urls
        key = ids["volunteer_key"]
        assert client.get(f"{a}/api/globalstats", timeout=10).json()["n_task_runs"] == 0

        task = client.get(f"{a}/api/{ids['project']}/newtask", params={"api_key": key}, timeout=10).json()
        answer = client.post(f"{b}/api/taskrun", params={"api_key": key}, timeout=10,
                             json={"project_id": ids["project"], "task_id": task["id"], "info": {"answer": "yes"}})
        assert answer.status_code == 200, answer.text

        seen = client.get(f"{a}/api/task/{task['id']}", timeout=10).json()
        assert (seen["n_task_runs"], seen["state"]) == (1, "completed")
        # A cached the totals before the answer; B's write dropped them for both.
        assert client.get(f"{a}/api/globalstats", timeout=10).json()["n_task_runs"] == 1

        statuses = [client.get(f"{url}/api/category", timeout=10).status_code for url in (a, b) * LIMIT]
        assert statuses == [200] * LIMIT + [429] * LIMIT
    finally:
        client.close()
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
