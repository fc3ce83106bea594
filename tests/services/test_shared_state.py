"""The counters every server process shares: in the shared-state file, or in Redis under the site's prefix."""
from __future__ import annotations

import multiprocessing
import os
import uuid

import pytest
import redis

from pybossa_core.services.shared_state import FileCounters, RedisCounters

REDIS_URL = os.environ.get("PYBOSSA_TEST_REDIS_URL")
NEEDS_REDIS = pytest.mark.skipif(not REDIS_URL, reason="needs PYBOSSA_TEST_REDIS_URL (make test sets it when Redis answers)")
JSON = {"Accept": "application/json"}


@pytest.fixture
def prefix():
    prefix = f"test-{uuid.uuid4().hex}"
    yield prefix
    if REDIS_URL:
        client = redis.Redis.from_url(REDIS_URL)
        for name in client.scan_iter(match=f"{prefix}:*"):
            client.delete(name)
        client.close()


@pytest.fixture(params=["file", pytest.param("redis", marks=NEEDS_REDIS)])
def counters(request, tmp_path, prefix):
    if request.param == "file":
        return FileCounters(str(tmp_path / "state.sqlite"))
    return RedisCounters(redis.Redis.from_url(REDIS_URL), prefix)


def test_counters_add_get_delete_and_clear(counters):
    assert counters.add(["a", "b"], 1, 60) == [1, 1]
    assert counters.add(["a", "b"], 2, 60) == [3, 3]
    assert counters.add(["a"], -1, 60) == [2]
    assert counters.get(["a", "missing", "b"]) == [2, 0, 3]
    counters.delete(["a"])
    assert counters.get(["a"]) == [0]
    counters.add(["keep:1", "drop:1", "drop:2"], 1, None)
    counters.clear("drop:")
    assert counters.get(["keep:1", "drop:1", "drop:2", "b"]) == [1, 0, 0, 3]


def test_file_counters_expire_and_start_again(tmp_path):
    clock = [1000.0]
    counters = FileCounters(str(tmp_path / "state.sqlite"), clock=lambda: clock[0])
    counters.add(["window"], 5, 10)
    counters.add(["forever"], 1, None)
    clock[0] += 10
    assert counters.get(["window", "forever"]) == [0, 1]
    assert counters.add(["window"], 1, 10) == [1]
    clock[0] += 5
    # The expiry is set when a counter starts, not moved by later additions.
    assert counters.add(["window"], 1, 10) == [2]
    clock[0] += 5
    assert counters.get(["window"]) == [0]


@NEEDS_REDIS
def test_redis_counters_live_under_the_prefix_and_expire_there(prefix):
    client = redis.Redis.from_url(REDIS_URL)
    counters = RedisCounters(client, prefix)
    counters.add(["window"], 1, 30)
    counters.add(["forever"], 1, None)
    counters.add(["window"], 1, 30)
    assert sorted(client.scan_iter(match=f"{prefix}:*")) == [f"{prefix}:forever".encode(), f"{prefix}:window".encode()]
    assert 0 < client.ttl(f"{prefix}:window") <= 30 and client.ttl(f"{prefix}:forever") == -1


def _add_many(path: str, times: int, results) -> None:
    counters = FileCounters(path)
    results.put(max(counters.add(["shared"], 1, 600)[0] for _ in range(times)))


def test_processes_adding_at_once_lose_no_addition(tmp_path):
    path, processes, times = str(tmp_path / "state.sqlite"), 4, 300
    FileCounters(path)
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    workers = [context.Process(target=_add_many, args=(path, times, results)) for _ in range(processes)]
    for worker in workers:
        worker.start()
    highest = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert FileCounters(path).get(["shared"]) == [processes * times]
    # Each value was handed out once: the last process to finish saw the total.
    assert max(highest) == processes * times


@NEEDS_REDIS
def test_every_key_a_site_writes_to_redis_is_under_its_prefix(site_with, make, prefix):
    client = redis.Redis.from_url(REDIS_URL)
    before = set(client.scan_iter(count=1000))
    site = site_with(**{"redis.url": REDIS_URL, "redis.prefix": prefix, "ratelimit.enabled": "true"})
    owner = make.user(admin=True)
    project = make.project(owner)
    make.task(project)
    site.get("/api/globalstats")
    site.get("/stats/", headers=JSON)
    site.get("/admin/dashboard/", {"refresh": "1", "api_key": owner.api_key}, headers=JSON)
    task = site.get(f"/api/{project.id}/newtask", {"api_key": owner.api_key}).json
    site.post_json(f"/api/taskrun?api_key={owner.api_key}", {"project_id": project.id, "task_id": task["id"], "info": 1})
    site.post_json("/account/signin", {"email": owner.email_addr, "password": "wrong"},
                   headers={**JSON, "X-CSRFToken": site.get("/account/register", headers=JSON).json["form"]["csrf"]})
    site.post_json("/account/forgot-password", {"email_addr": owner.email_addr},
                   headers={**JSON, "X-CSRFToken": site.get("/account/register", headers=JSON).json["form"]["csrf"]})
    written = {name.decode() for name in set(client.scan_iter(count=1000)) - before}
    kinds = {name.split(":")[1] for name in written}
    assert {"ratelimit", "generation", "signin", "reset", "site", "refresh"} <= kinds
    assert all(name.startswith(f"{prefix}:") for name in written), sorted(written)
