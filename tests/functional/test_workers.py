"""``pybossa serve --workers 2`` on SQLite without Redis: two processes that behave as one site.

The rate limit, the sign-in throttle and the cache's invalidations go through the
shared-state file; answers through the database.  Connections are spread over both
workers (checked through /proc: which process holds which socket), so every figure below
was served by both.
"""
from __future__ import annotations

import concurrent.futures
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from sqlalchemy.orm import Session

from pybossa_core.models import TaskRun
from pybossa_core.services.passwords import hash_password
from pybossa_core.testing import SECRET, migrated_sqlite_engine
from tests import factories
from tests.functional.test_two_processes import free_port, wait_until_up

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 40
MAX_FAILURES = 5
PASSWORD = "Secret-pass1"
TASKS, N_ANSWERS, VOLUNTEERS = 10, 2, 8
JSON = {"Accept": "application/json"}


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
        """))
    yield ini, ids, engine
    engine.dispose()


@pytest.fixture
def serve(tmp_path):
    """Start ``pybossa serve --workers 2``; return its process and URL. Stopped after the test."""
    started = []

    def start(ini: Path) -> tuple[subprocess.Popen, str]:
        port = free_port()
        environ = {key: value for key, value in os.environ.items() if not key.startswith("PYBOSSA_")}
        with open(tmp_path / "serve.log", "w") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "pybossa_core.cli", "-c", str(ini), "serve", "--workers", "2", "--threads", "4"],
                cwd=ROOT, env={**environ, "PYBOSSA_PORT": str(port)}, stdout=log, stderr=subprocess.STDOUT,
            )
        started.append(process)
        url = f"http://127.0.0.1:{port}"
        wait_until_up(url, process, time.monotonic() + 30)
        return process, url

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def workers_of(process: subprocess.Popen) -> set[int]:
    return {int(pid) for pid in Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()}


def holders_of_connections(pids: set[int], port: int) -> set[int]:
    """Return the processes among ``pids`` that hold an established connection on ``port``."""
    established = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == "01":
            established.add(fields[9])
    holders = set()
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in established:
                holders.add(pid)
    return holders


def connections_on_both_workers(process, url: str, count: int = 16) -> list[requests.Session]:
    """Open ``count`` kept-alive connections and check that both workers hold some of them."""
    clients = [requests.Session() for _ in range(count)]
    for client in clients:
        assert client.get(f"{url}/account/register", headers=JSON, timeout=10).status_code == 200
    workers = workers_of(process)
    assert len(workers) == 2
    assert holders_of_connections(workers, int(url.rsplit(":", 1)[1])) == workers
    return clients


def test_two_workers_share_the_rate_limit_the_cache_and_the_signin_throttle(site, serve):
    ini, ids, _ = site
    process, url = serve(ini)
    clients = connections_on_both_workers(process, url)
    in_parallel = concurrent.futures.ThreadPoolExecutor(len(clients))

    statuses = list(in_parallel.map(
        lambda client: [client.get(f"{url}/api/category", timeout=10).status_code for _ in range(5)], clients))
    assert sorted(status for each in statuses for status in each) == [200] * LIMIT + [429] * (5 * len(clients) - LIMIT)

    def total_answers(client) -> int:
        return client.get(f"{url}/api/globalstats", timeout=10).json()["n_task_runs"]

    assert set(in_parallel.map(total_answers, clients)) == {0}
    key = ids["keys"][0]
    task = clients[0].get(f"{url}/api/{ids['project']}/newtask", params={"api_key": key}, timeout=10).json()
    answer = clients[0].post(f"{url}/api/taskrun", params={"api_key": key}, timeout=10,
                             json={"project_id": ids["project"], "task_id": task["id"], "info": "yes"})
    assert answer.status_code == 200, answer.text
    # Both workers had cached 0; the answer made through one dropped the figure in both.
    assert set(in_parallel.map(total_answers, clients)) == {1}

    def guess(client) -> int:
        csrf = client.get(f"{url}/account/register", headers=JSON, timeout=10).json()["form"]["csrf"]
        return client.post(f"{url}/account/signin", json={"email": ids["member"], "password": "wrong"},
                           headers={**JSON, "X-CSRFToken": csrf}, timeout=10).status_code

    assert sorted(in_parallel.map(guess, clients)) == [200] * MAX_FAILURES + [429] * (len(clients) - MAX_FAILURES)
    in_parallel.shutdown()


def test_volunteers_on_two_workers_fill_every_task_exactly_once_each(site, serve):
    ini, ids, engine = site
    process, url = serve(ini)
    connections_on_both_workers(process, url)

    def volunteer(key: str) -> int:
        answered = 0
        with requests.Session() as client:
            while True:
                task = client.get(f"{url}/api/{ids['project']}/newtask", params={"api_key": key}, timeout=30).json()
                if not task:
                    return answered
                answer = client.post(f"{url}/api/taskrun", params={"api_key": key}, timeout=30,
                                     json={"project_id": ids["project"], "task_id": task["id"], "info": answered})
                # A task handed to more volunteers than it needs takes the first answers only.
                full = answer.status_code == 403 and answer.json()["exception_msg"].startswith("This task already has")
                assert answer.status_code == 200 or full, answer.text
                answered += answer.status_code == 200

    with concurrent.futures.ThreadPoolExecutor(VOLUNTEERS) as pool:
        answered = list(pool.map(volunteer, ids["keys"]))
    assert sum(answered) == TASKS * N_ANSWERS
    with Session(engine) as session:
        per_task = session.execute(sa.select(TaskRun.task_id, sa.func.count()).group_by(TaskRun.task_id)).all()
        pairs = session.execute(sa.select(sa.func.count(sa.distinct(TaskRun.task_id * 100000 + TaskRun.user_id)))).scalar()
    assert sorted(count for _, count in per_task) == [N_ANSWERS] * TASKS
    assert pairs == TASKS * N_ANSWERS


def test_a_killed_worker_is_replaced_and_sigterm_stops_every_worker(site, serve, tmp_path):
    ini, _, _ = site
    process, url = serve(ini)
    first = workers_of(process)
    outcomes, stop = [], threading.Event()

    def load():
        while not stop.is_set():
            try:
                outcomes.append(requests.get(f"{url}/account/register", headers=JSON, timeout=10).status_code)
            except requests.ConnectionError:
                outcomes.append("connection lost")

    threads = [threading.Thread(target=load) for _ in range(4)]
    for thread in threads:
        thread.start()
    killed = sorted(first)[0]
    os.kill(killed, signal.SIGKILL)
    deadline = time.monotonic() + 30
    # Granian logs "Started worker-N" once a worker has loaded the site and serves.
    while (tmp_path / "serve.log").read_text().count("Started worker") < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    replaced = workers_of(process)
    after = len(outcomes)
    while len(outcomes) < after + 40 and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    for thread in threads:
        thread.join()

    assert len(replaced) == 2 and killed not in replaced and first - {killed} <= replaced
    # Only requests in flight on the killed worker may fail; every one after its replacement succeeds.
    assert set(outcomes) <= {200, "connection lost"} and outcomes.count("connection lost") <= 4
    assert set(outcomes[after:]) == {200}
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 0
    assert not any(Path(f"/proc/{pid}").exists() for pid in replaced)
