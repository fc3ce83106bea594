"""A slow-query attack on a live server (SQLite and PostgreSQL), issue 21 item 7: nobody else stalls.

Anonymous clients hammer ``/api/task`` with the issue's ``info=`` filters of 6 000 keys (refused at
once), with the longest filters still allowed over every task's ``info`` (unindexed), and with
full-text searches, rate limits off so nothing but the per-request bounds (``info=`` capped in keys
and length, ``database.statement_timeout``) holds them.  Meanwhile an unrelated visitor's requests
(a project read, a newtask and its answer) must answer in under a second nine times in ten, and
none stall.
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import sqlalchemy as sa

from pybossa_core.config import configure
from pybossa_core.models import Project, Task, User
from pybossa_core.schemas.query import MAX_INFO_KEYS, MAX_INFO_LENGTH
from tests.conftest import LiveServer, app_settings, fresh_engine

TASKS = 20_000
ATTACKERS = 6
#: How long the attack runs while the visitor's requests are timed.
ATTACK_SECONDS = 4


@pytest.fixture(scope="module")
def site(backend, tmp_path_factory):
    """A live site (4 threads) with one big project and one small one, rate limits off."""
    with fresh_engine(backend, tmp_path_factory, "slowqueries") as engine:
        with engine.begin() as connection:
            owner, volunteer = connection.execute(sa.insert(User).returning(User.id), [
                {"name": name, "fullname": name, "email_addr": f"{name}@example.com", "api_key": name * 4}
                for name in ("owner", "volunteer")]).scalars().all()
            big, small = connection.execute(sa.insert(Project).returning(Project.id), [
                {"name": name, "short_name": name, "description": "d", "owner_id": owner, "owners_ids": [owner],
                 "info": {}, "published": True} for name in ("big", "small")]).scalars().all()
            connection.execute(sa.insert(Task), [
                {"project_id": big, "info": {"n": number, "text": f"a bird number {number} " + "x" * 40}}
                for number in range(TASKS)])
            connection.execute(sa.insert(Task), [{"project_id": small, "info": {"n": n}, "n_answers": 50} for n in range(2000)])
        settings = app_settings(engine, tmp_path_factory.mktemp("slow_uploads"))
        server = LiveServer(configure(settings, environ={}).make_wsgi_app())
        yield server, big, small, "volunteer" * 4
        server.server.shutdown()


def attacks(big: int) -> list[str]:
    """The attack's queries: refused at once, or the costliest still allowed."""
    longest_value = "v" * (MAX_INFO_LENGTH // MAX_INFO_KEYS - 10)
    allowed = "|".join(f"k{number}::{longest_value}" for number in range(MAX_INFO_KEYS))
    assert len(allowed) <= MAX_INFO_LENGTH
    return [
        "/api/task?info=" + "|".join(f"k{number}::v" for number in range(6000)),
        f"/api/task?info={allowed}&limit=100",
        f"/api/task?project_id={big}&info={allowed}&limit=100&offset=5000",
        f"/api/task?info=text::bird&fulltextsearch=1&limit=100",
        "/api/task?info=text::nothing%20here&limit=100&orderby=priority_0&desc=1",
    ]


def test_unrelated_requests_answer_within_a_second_during_a_slow_query_attack(site):
    server, big, small, api_key = site
    stop = threading.Event()
    answers: list[tuple[int, float]] = []

    def attack(queries: list[str]) -> None:
        with requests.Session() as client:
            turn = 0
            while not stop.is_set():
                started = time.monotonic()
                status = client.get(server.url + queries[turn % len(queries)], timeout=60).status_code
                answers.append((status, time.monotonic() - started))
                turn += 1

    def timed(call) -> float:
        started = time.monotonic()
        response = call()
        assert response.status_code == 200, response.text
        return time.monotonic() - started

    def visitor_round() -> list[float]:
        handed = {}

        def newtask():
            response = requests.get(f"{server.url}/api/{small}/newtask", params={"api_key": api_key}, timeout=30)
            handed.update(response.json())
            return response

        return [
            timed(lambda: requests.get(f"{server.url}/api/project/{small}", timeout=30)),
            timed(newtask),
            timed(lambda: requests.post(f"{server.url}/api/taskrun", params={"api_key": api_key}, timeout=30,
                                        json={"project_id": small, "task_id": handed["id"], "info": {"a": 1}})),
        ]

    queries = attacks(big)
    with ThreadPoolExecutor(ATTACKERS) as pool:
        running = [pool.submit(attack, queries[turn:] + queries[:turn]) for turn in range(ATTACKERS)]
        try:
            # The attack is under way: each attacker has had answers before the visitor comes.
            deadline = time.monotonic() + 30
            while len(answers) < 2 * ATTACKERS and time.monotonic() < deadline:
                time.sleep(0.01)
            timings, ends = [], time.monotonic() + ATTACK_SECONDS
            while time.monotonic() < ends:
                timings += visitor_round()
        finally:
            stop.set()
            for attacker in running:
                attacker.result()
    statuses = {status for status, _ in answers}
    # Every attack was answered, never with a 500: a 200, or the 400 of a refused filter (or of a
    # statement past its deadline).
    assert statuses <= {200, 400} and 400 in statuses, statuses
    assert len(answers) > 4 * ATTACKERS, f"the attack sent only {len(answers)} requests"
    # On a busy 2-core CI machine one request in a while waits for a thread; a stall (the issue saw
    # 8 s on SQLite and 23 s on PostgreSQL, minutes with 6 000 keys) is what must never happen.
    timings.sort()
    typical, slowest = timings[int(len(timings) * 0.9)], timings[-1]
    assert typical < 1.0, f"one unrelated request in ten took over {typical:.2f} s ({len(timings)} timed)"
    assert slowest < 2.5, f"an unrelated request took {slowest:.2f} s during the attack ({len(timings)} timed)"
