"""A webhook delivery survives its worker: ``pybossa serve`` and ``pybossa worker`` on one Redis.

The receiver holds the first delivery open; meanwhile the worker and its work horse are
killed with SIGKILL (as an out-of-memory kill or a lost container does).  Another worker
finds the abandoned job and delivers it again, with the same ``X-Pybossa-Delivery`` id, and
admins see the job done after two tries.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import redis
import requests
from sqlalchemy.orm import Session

from tests import factories
from tests.conftest import SECRET, fresh_engine
from tests.functional.test_two_processes import free_port, wait_until_up
from tests.services.test_jobs import PATIENCE, alive, children, wait_for

REDIS_URL = os.environ.get("PYBOSSA_TEST_REDIS_URL")
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not REDIS_URL, reason="needs PYBOSSA_TEST_REDIS_URL (make test sets it when Redis answers)")


class HoldingReceiver(ThreadingHTTPServer):
    """A webhook receiver that keeps the first delivery waiting for an answer until it is closed."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), HoldingHandler)
        self.received: list[tuple[str | None, dict]] = []
        self.lock = threading.Lock()
        self.closing = threading.Event()

    def handle_error(self, request, client_address):
        """Stay quiet about the held delivery whose sender was killed."""


class HoldingHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.server.lock:
            self.server.received.append((self.headers.get("X-Pybossa-Delivery"), body))
            first = len(self.server.received) == 1
        if first:
            self.server.closing.wait()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"received")

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    server = HoldingReceiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.closing.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def site(tmp_path, tmp_path_factory, receiver):
    queue = f"test-{uuid.uuid4().hex}"
    with fresh_engine("sqlite", tmp_path_factory, "jobs_live") as engine:
        with Session(engine) as session:
            make = factories.Factories(session)
            owner, volunteer, admin = make.user(), make.user(), make.admin()
            project = make.project(owner, webhook=f"http://127.0.0.1:{receiver.server_address[1]}/hook")
            task = make.task(project, n_answers=1)
            ids = {"project": project.id, "task": task.id, "volunteer": volunteer.api_key, "admin": admin.api_key}
            session.commit()
        ini = tmp_path / "site.ini"
        ini.write_text(textwrap.dedent(f"""\
            [app:main]
            use = egg:pybossa-core
            database.url = {engine.url.render_as_string(False)}
            redis.url = {REDIS_URL}
            secret = {SECRET}
            uploads.dir = {tmp_path / "uploads"}
            ratelimit.enabled = false
            redis.prefix = test-{uuid.uuid4().hex}
            jobs.queue = {queue}
            jobs.retry_interval = 0
            jobs.abandoned_after = 3
            webhooks.timeout = 120
            webhooks.allowed_hosts = 127.0.0.1
            """))
        yield ini, ids
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"rq:*{queue}*"):
        client.delete(key)
    client.close()


def pybossa(ini: Path, log: Path, command: str, **settings: str) -> subprocess.Popen:
    environ = {key: value for key, value in os.environ.items() if not key.startswith("PYBOSSA_")}
    with open(log, "a") as out:
        return subprocess.Popen([sys.executable, "-m", "pybossa_core.cli", "-c", str(ini), command], cwd=ROOT,
                                env={**environ, **settings}, stdout=out, stderr=subprocess.STDOUT)


def test_a_delivery_whose_worker_was_killed_is_sent_again_with_its_delivery_id(site, receiver, tmp_path):
    ini, ids = site
    port = str(free_port())
    server = pybossa(ini, tmp_path / "serve.log", "serve", PYBOSSA_PORT=port)
    workers = [pybossa(ini, tmp_path / "worker.log", "worker")]
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, server, time.monotonic() + PATIENCE)
        key = {"api_key": ids["volunteer"]}
        handed_out = requests.get(f"{url}/api/{ids['project']}/newtask", params=key, timeout=10).json()
        assert handed_out["id"] == ids["task"]
        answer = requests.post(f"{url}/api/taskrun", params=key, timeout=10,
                               json={"project_id": ids["project"], "task_id": ids["task"], "info": {"answer": "yes"}})
        assert answer.status_code == 200, answer.text
        wait_for(lambda: receiver.received, "the first delivery")
        # SIGKILL of the worker and of every process it forked: its work horse (in a session of its own) and scheduler.
        forked = children(workers[0].pid)
        for pid in forked:
            os.kill(pid, signal.SIGKILL)
        workers[0].kill()
        workers[0].wait()
        for pid in forked:
            wait_for(lambda: not alive(pid), "the work horse to die")

        workers.append(pybossa(ini, tmp_path / "worker.log", "worker"))
        wait_for(lambda: len(receiver.received) == 2, "the delivery to be sent again")
        (first_id, first), (again_id, again) = receiver.received
        assert first_id is not None and again_id == first_id and again == first
        assert (again["task_id"], again["event"]) == (ids["task"], "task_completed")

        def listed():
            body = requests.get(f"{url}/admin/jobs", params={"api_key": ids["admin"]}, timeout=10,
                                headers={"Accept": "application/json"}).json()
            return [job for job in body["jobs"] if job["kind"] == "webhook" and job["state"] == "done"]

        [job] = wait_for(listed, "the job to be listed as done")
        assert (job["project_id"], job["tries"], job["last_error"]) == (ids["project"], 2, "worker died")
        page = requests.get(f"{url}/project/{again['project_short_name']}/webhook", timeout=10,
                            params={"api_key": ids["admin"]}, headers={"Accept": "application/json"}).json()
        [delivery] = page["responses"]
        assert (str(delivery["id"]), delivery["response"], delivery["response_status_code"]) == (first_id, "received", 200)
    finally:
        for process in (server, *workers):
            process.terminate()
        for process in (server, *workers):
            try:
                process.wait(timeout=PATIENCE)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
