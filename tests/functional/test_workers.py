"""``pybossa serve --workers 2`` on SQLite without Redis: two processes that behave as one site.

The rate limit, the sign-in throttle and the cache's invalidations go through the
shared-state file; answers through the database.  Each test talks to both workers on
purpose: a kept-alive connection is served by the worker that accepted it, found through
/proc (the worker holding the server end of the connection).
"""
from __future__ import annotations

import concurrent.futures
import http.client
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from pybossa_core.models import Task, TaskRun
from pybossa_core.services.passwords import hash_password
from pybossa_core.testing import SECRET, migrated_sqlite_engine
from tests import factories
from tests.functional.test_two_processes import free_port

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 40
MAX_FAILURES = 5
PASSWORD = "Secret-pass1"
TASKS, N_ANSWERS, VOLUNTEERS = 10, 2, 8
#: Kept-alive connections opened on each worker.
PER_WORKER = 4


class Client:
    """One kept-alive connection, with its cookies: every request on it goes to one worker."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.connection.connect()
        self.cookies: dict[str, str] = {}

    @property
    def local_port(self) -> int:
        return self.connection.sock.getsockname()[1]

    def request(self, method: str, path: str, body: Any = None, **headers: str) -> tuple[int, Any]:
        headers = {"Accept": "application/json", **headers}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if body is not None:
            body, headers["Content-Type"] = json.dumps(body), "application/json"
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        text = response.read()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            self.cookies[name] = rest.split(";")[0]
        return response.status, json.loads(text) if text else None

    def close(self) -> None:
        self.connection.close()


@pytest.fixture
def site(tmp_path):
    engine = migrated_sqlite_engine(tmp_path / "pybossa.sqlite")
    with Session(engine) as session:
        make = factories.Factories(session)
        owner = make.user()
        member = make.user(passwd_hash=hash_password(PASSWORD))
        volunteers = [make.user() for _ in range(VOLUNTEERS)]
        project = make.project(owner)
        for _ in range(TASKS):
            make.task(project, n_answers=N_ANSWERS)
        ids = {"project": project.id, "member": member.email_addr, "keys": [user.api_key for user in volunteers]}
        session.commit()

    def write_ini(**extra: str) -> Path:
        ini = tmp_path / "site.ini"
        ini.write_text(textwrap.dedent(f"""\
            [app:main]
            use = egg:pybossa-core
            database.url = sqlite:///{tmp_path / "pybossa.sqlite"}
            shared_state.path = {tmp_path / "shared_state.sqlite"}
            secret = {SECRET}
            uploads.dir = {tmp_path / "uploads"}
            mail.dir = {tmp_path / "mail"}
            ratelimit.limit = {LIMIT}
            signin.max_failures = {MAX_FAILURES}
            """) + "".join(f"{key} = {value}\n" for key, value in extra.items()))
        return ini

    yield write_ini, ids, engine
    engine.dispose()


def workers_of(process: subprocess.Popen) -> set[int]:
    return {int(pid) for pid in Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()}


def wait_for(condition, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


class Server:
    """A running ``pybossa serve --workers 2``."""

    def __init__(self, ini: Path, log: Path):
        self.port, self.log = free_port(), log
        self.clients: list[Client] = []
        environ = {key: value for key, value in os.environ.items() if not key.startswith("PYBOSSA_")}
        with open(log, "w") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "pybossa_core.cli", "-c", str(ini), "serve", "--workers", "2", "--threads", "4"],
                cwd=ROOT, env={**environ, "PYBOSSA_PORT": str(self.port)}, stdout=output, stderr=subprocess.STDOUT,
            )
        self.wait_for_started(2)

    def started(self) -> int:
        """How many workers granian has started so far (it logs each once it serves)."""
        assert self.process.poll() is None, self.log.read_text()
        return self.log.read_text().count("Started worker")

    def wait_for_started(self, count: int) -> None:
        wait_for(lambda: self.started() >= count, f"{count} started workers")

    def worker_serving(self, client: Client) -> int | None:
        """Return the worker holding the server end of ``client``'s connection."""
        inodes = set()
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            local, remote = (int(address.split(":")[1], 16) for address in fields[1:3])
            if (local, remote, fields[3]) == (self.port, client.local_port, "01"):
                inodes.add(f"socket:[{fields[9]}]")
        for pid in workers_of(self.process):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    if os.readlink(fd) in inodes:
                        return pid
                except OSError:
                    continue
        return None

    def clients_on_each_worker(self, count: int = PER_WORKER) -> list[Client]:
        """Open connections until each worker serves ``count`` of them; return them, alternating workers."""
        kept: dict[int, list[Client]] = {pid: [] for pid in workers_of(self.process)}
        deadline = time.monotonic() + 30
        while any(len(clients) < count for clients in kept.values()):
            assert time.monotonic() < deadline, {pid: len(clients) for pid, clients in kept.items()}
            client = Client(self.port)
            assert client.request("GET", "/account/register")[0] == 200
            worker = self.worker_serving(client)
            if worker in kept and len(kept[worker]) < count:
                kept[worker].append(client)
            else:
                client.close()
        self.clients += [client for clients in kept.values() for client in clients]
        return [client for pair in zip(*kept.values()) for client in pair]


@pytest.fixture
def serve(tmp_path):
    servers = []

    def start(ini: Path) -> Server:
        servers.append(Server(ini, tmp_path / "serve.log"))
        return servers[-1]

    yield start
    for server in servers:
        for client in server.clients:
            client.close()
        if server.process.poll() is None:
            server.process.send_signal(signal.SIGTERM)
            try:
                server.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait()


def test_two_workers_share_the_rate_limit_the_cache_and_the_signin_throttle(site, serve):
    write_ini, ids, _ = site
    server = serve(write_ini())
    clients = server.clients_on_each_worker()
    in_parallel = concurrent.futures.ThreadPoolExecutor(len(clients))
    per_client = LIMIT // len(clients) + 2

    statuses = list(in_parallel.map(
        lambda client: [client.request("GET", "/api/category")[0] for _ in range(per_client)], clients))
    assert sorted(status for each in statuses for status in each) == (
        [200] * LIMIT + [429] * (per_client * len(clients) - LIMIT))

    def total_answers(client: Client) -> int:
        return client.request("GET", "/api/globalstats")[1]["n_task_runs"]

    assert set(in_parallel.map(total_answers, clients)) == {0}
    key, project = ids["keys"][0], ids["project"]
    status, task = clients[0].request("GET", f"/api/{project}/newtask?api_key={key}")
    status, answer = clients[0].request("POST", f"/api/taskrun?api_key={key}",
                                        {"project_id": project, "task_id": task["id"], "info": "yes"})
    assert status == 200, answer
    # Both workers had cached 0; the answer through one worker dropped the figure in both.
    assert set(in_parallel.map(total_answers, clients)) == {1}

    def guess(client: Client) -> int:
        csrf = client.request("GET", "/account/register")[1]["form"]["csrf"]
        return client.request("POST", "/account/signin", {"email": ids["member"], "password": "wrong"},
                              **{"X-CSRFToken": csrf})[0]

    assert sorted(in_parallel.map(guess, clients)) == [200] * MAX_FAILURES + [429] * (len(clients) - MAX_FAILURES)
    in_parallel.shutdown()


def assert_every_task_within_its_answers(engine) -> int:
    """Check the stored answers: none over n_answers, none twice by one volunteer, counters exact."""
    with Session(engine) as session:
        runs = dict(session.execute(sa.select(TaskRun.task_id, sa.func.count()).group_by(TaskRun.task_id)).all())
        tasks = session.execute(sa.select(Task.id, Task.n_answers, Task.n_task_runs)).all()
        distinct = session.scalar(sa.select(sa.func.count()).select_from(
            sa.select(TaskRun.task_id, TaskRun.user_id).distinct().subquery()))
    assert all(runs.get(task.id, 0) == task.n_task_runs <= task.n_answers for task in tasks), (runs, tasks)
    assert distinct == sum(runs.values())
    return sum(runs.values())


def contribute(client: Client, project: int, key: str, stop: threading.Event | None = None) -> int:
    """Answer tasks as one volunteer until none is left (or ``stop``); return the answers taken."""
    answered = 0
    while stop is None or not stop.is_set():
        status, task = client.request("GET", f"/api/{project}/newtask?api_key={key}")
        assert status == 200, task
        if not task:
            break
        status, body = client.request("POST", f"/api/taskrun?api_key={key}",
                                      {"project_id": project, "task_id": task["id"], "info": answered})
        # A task handed to more volunteers than it needs takes the first answers only.
        assert status == 200 or body["exception_msg"].startswith("This task already has"), body
        answered += status == 200
    return answered


def test_volunteers_on_two_workers_fill_every_task_exactly_n_answers_times(site, serve):
    write_ini, ids, engine = site
    server = serve(write_ini(**{"ratelimit.enabled": "false"}))
    clients = server.clients_on_each_worker()
    with concurrent.futures.ThreadPoolExecutor(VOLUNTEERS) as pool:
        answered = list(pool.map(contribute, clients, [ids["project"]] * VOLUNTEERS, ids["keys"]))
    assert sum(answered) == assert_every_task_within_its_answers(engine) == TASKS * N_ANSWERS


def test_a_killed_worker_is_replaced_and_sigterm_stops_every_worker(site, serve):
    write_ini, ids, engine = site
    server = serve(write_ini(**{"ratelimit.enabled": "false"}))
    clients = server.clients_on_each_worker()
    victim = server.worker_serving(clients[0])
    outcomes: list[tuple[float, Any]] = []  # (when the request started, its status or the error)
    stop = threading.Event()

    def browse() -> None:
        while not stop.is_set():
            started, client = time.monotonic(), None
            try:
                client = Client(server.port)
                outcomes.append((started, client.request("GET", "/account/register")[0]))
            except (ConnectionError, http.client.HTTPException) as error:
                outcomes.append((started, type(error).__name__))
            finally:
                if client is not None:
                    client.close()

    def volunteer(client: Client, key: str) -> None:
        try:
            contribute(client, ids["project"], key, stop)
        except (ConnectionError, http.client.HTTPException):
            pass  # its connection was on the killed worker

    threads = [threading.Thread(target=browse) for _ in range(2)]
    threads += [threading.Thread(target=volunteer, args=pair) for pair in zip(clients, ids["keys"])]
    for thread in threads:
        thread.start()
    wait_for(lambda: len(outcomes) >= 10, "requests before the kill")
    os.kill(victim, signal.SIGKILL)
    killed = time.monotonic()
    wait_for(lambda: victim not in workers_of(server.process), "the killed worker to be reaped")
    gone = time.monotonic()
    server.wait_for_started(3)
    replaced = time.monotonic()
    wait_for(lambda: sum(started > replaced for started, _ in outcomes) >= 20, "requests after the replacement")
    stop.set()
    for thread in threads:
        thread.join()

    # The other worker served while the killed one was replaced; only requests that started
    # before it was gone failed; every request since has succeeded.
    assert any(killed < started < replaced and outcome == 200 for started, outcome in outcomes)
    assert all(outcome == 200 for started, outcome in outcomes if started > gone)
    assert len(workers_of(server.process)) == 2 and victim not in workers_of(server.process)
    # No answer half-stored: the task counters agree with the stored answers.
    assert_every_task_within_its_answers(engine)
    remaining = workers_of(server.process)
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=30) == 0
    assert not any(Path(f"/proc/{pid}").exists() for pid in remaining)
