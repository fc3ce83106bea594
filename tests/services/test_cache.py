"""The cache of site totals and the leaderboard: served from memory or Redis, dropped by the writes that change it."""
from __future__ import annotations

import os
import uuid

import pytest
import redis
import sqlalchemy as sa

from pybossa_core.interfaces import ICache, find_service
from pybossa_core.models import User
from pybossa_core.services.cache import SITE, memory_cache, redis_cache
from pybossa_core.services.shared_state import FileCounters, RedisCounters, redis_client

REDIS_URL = os.environ.get("PYBOSSA_TEST_REDIS_URL")
NEEDS_REDIS = pytest.mark.skipif(not REDIS_URL, reason="needs PYBOSSA_TEST_REDIS_URL (make test sets it when Redis answers)")
JSON = {"Accept": "application/json"}


@pytest.fixture(params=["memory", pytest.param("redis", marks=NEEDS_REDIS)])
def site(request, site_with):
    """A site whose cache is in process memory, or in Redis under a prefix of this test's own."""
    if request.param == "memory":
        return site_with()
    return site_with(**{"redis.url": REDIS_URL, "redis.prefix": f"test-{uuid.uuid4().hex}"})


@pytest.fixture
def redis_prefixed():
    """A Redis client and a key prefix of this test's own; its keys are deleted and its connections closed after."""
    client, prefix = redis_client(REDIS_URL), f"test-{uuid.uuid4().hex}"
    yield client, prefix
    client.delete(*client.keys(f"{prefix}:*"))
    client.close()


def registry_of(site):
    return site.app.app.registry


def hand_and_answer(site, project, api_key: str) -> dict:
    task = site.get(f"/api/{project.id}/newtask", {"api_key": api_key}).json
    body = {"project_id": project.id, "task_id": task["id"], "info": {"answer": "yes"}}
    return site.post_json(f"/api/taskrun?api_key={api_key}", body).json


def test_the_cache_lives_where_the_settings_say(site):
    generations = find_service(registry_of(site), ICache).generations
    expected = RedisCounters if registry_of(site).settings["redis.url"] else FileCounters
    assert type(generations.counters) is expected


def test_globalstats_is_served_from_the_cache_without_counting_again(site, make, dbsession, queries):
    owner = make.user()
    make.task_run(make.task(make.project(owner)), owner)
    first = site.get("/api/globalstats").json
    assert first["n_projects"] == 1 and first["n_users"] == 1 and first["n_task_runs"] == 1

    # A row written behind the ORM's back (no flush of a model) does not invalidate: the answer is the cached one.
    dbsession.execute(sa.insert(User).values(name="ghost", fullname="Ghost", email_addr="ghost@example.com", api_key="k" * 36))
    queries.statements.clear()
    assert site.get("/api/globalstats").json == first
    assert not [statement for statement in queries.statements if "count(" in statement.lower()]


def test_globalstats_changes_after_a_task_run_is_created_and_a_project_deleted(site, make):
    owner, volunteer = make.user(), make.user()
    category = make.category()
    project = make.project(owner, category_id=category.id)
    make.task(project)
    make.project(owner)
    before = site.get("/api/globalstats").json
    assert (before["n_projects"], before["n_task_runs"]) == (2, 0)

    hand_and_answer(site, project, volunteer.api_key)
    after_answer = site.get("/api/globalstats").json
    assert (after_answer["n_projects"], after_answer["n_task_runs"]) == (2, 1)

    site.delete(f"/api/project/{project.id}?api_key={owner.api_key}", status=204)
    after_delete = site.get("/api/globalstats").json
    assert (after_delete["n_projects"], after_delete["n_task_runs"]) == (1, 0)
    assert {category.short_name: 0} in after_delete["categories"]


def test_a_new_account_is_counted_at_once(site, make):
    make.user()
    assert site.get("/api/globalstats").json["n_users"] == 1
    csrf = site.get("/account/register", headers=JSON).json["form"]["csrf"]
    account = {"fullname": "New One", "name": "newone", "email_addr": "newone@example.com",
               "password": "Pass-word-1", "confirm": "Pass-word-1"}
    site.post_json("/account/register", account, headers={"X-CSRFToken": csrf})
    assert site.get("/api/globalstats").json["n_users"] == 2


def test_leaderboard_is_cached_and_follows_new_answers(site, make):
    owner, volunteer = make.user("owner"), make.user("volunteer")
    project = make.project(owner)
    make.task_run(make.task(project), owner)
    top = site.get("/account/", headers=JSON).json["top_users"]
    assert [(user["name"], user["rank"], user["score"]) for user in top] == [("owner", 1, 1)]
    assert find_service(registry_of(site), ICache).get_or_create(SITE, "leaderboard:20", list) == top

    hand_and_answer(site, project, volunteer.api_key)
    top = site.get("/account/", headers=JSON).json["top_users"]
    assert [(user["name"], user["rank"], user["score"]) for user in top] == [("owner", 1, 1), ("volunteer", 2, 1)]


def test_invalidation_is_one_step_of_the_generation(tmp_path):
    cache = memory_cache(FileCounters(str(tmp_path / "state.sqlite")), 300)
    computed = []

    def compute():
        computed.append(1)
        return len(computed)

    assert cache.get_or_create(SITE, "key", compute) == 1
    assert cache.get_or_create(SITE, "key", compute) == 1
    cache.invalidate(SITE)
    assert cache.get_or_create(SITE, "key", compute) == 2
    assert cache.get_or_create("other", "key", compute) == 3


@NEEDS_REDIS
def test_two_processes_caches_share_values_and_invalidations_through_redis(redis_prefixed):
    client, prefix = redis_prefixed
    first, second = (redis_cache(client, RedisCounters(client, prefix), 300, prefix) for _ in range(2))
    assert first.get_or_create(SITE, "totals", lambda: {"n": 1}) == {"n": 1}
    assert second.get_or_create(SITE, "totals", lambda: {"n": 2}) == {"n": 1}
    second.invalidate(SITE)
    assert first.get_or_create(SITE, "totals", lambda: {"n": 3}) == {"n": 3}
    assert 0 < client.ttl(f"{prefix}:{SITE}:1:totals") <= 360


@NEEDS_REDIS
def test_a_redis_cache_reads_a_value_with_its_generation_in_one_round_trip(redis_prefixed, monkeypatch):
    client, prefix = redis_prefixed
    writer, reader = (redis_cache(client, RedisCounters(client, prefix), 300, prefix) for _ in range(2))
    writer.get_or_create(SITE, "totals", lambda: {"n": 1})
    writer.get_or_create(SITE, "ranks", lambda: ["a"])
    commands = []
    send = redis.Redis.execute_command
    monkeypatch.setattr(redis.Redis, "execute_command",
                        lambda self, *args, **options: commands.append(args[0]) or send(self, *args, **options))
    assert reader.get_or_create(SITE, "totals", lambda: {"n": 2}) == {"n": 1}
    assert reader.peek(SITE, "ranks")[1] == ["a"]
    assert commands == ["EVALSHA", "EVALSHA"]
    # What a lookup brought is the value of its own key, for one read only.
    writer.invalidate(SITE)
    assert reader.peek(SITE, "totals")[1] is None
    assert reader.region.get(f"{prefix}:{SITE}:0:ranks") == ["a"]
    reader.peek(SITE, "totals")
    writer.keep(f"{prefix}:{SITE}:1:totals", {"n": 3})
    assert reader.region.get(f"{prefix}:{SITE}:1:totals") == {"n": 3}


@pytest.mark.parametrize("cache_of", ["memory", pytest.param("redis", marks=NEEDS_REDIS)])
def test_figures_that_may_lag_are_served_until_max_lag_then_recomputed(cache_of, request, monkeypatch, tmp_path):
    if cache_of == "memory":
        prefix = f"test-{uuid.uuid4().hex}"
        cache = memory_cache(FileCounters(str(tmp_path / "state.sqlite")), 300, prefix, max_lag=30)
    else:
        client, prefix = request.getfixturevalue("redis_prefixed")
        cache = redis_cache(client, RedisCounters(client, prefix), 300, prefix, max_lag=30)
    clock = [1000.0]
    monkeypatch.setattr("pybossa_core.services.cache.time.time", lambda: clock[0])
    counts = iter(range(1, 100))

    def figures():
        return cache.get_or_create(SITE, "stats", lambda: next(counts), may_lag=True)

    assert figures() == 1
    cache.invalidate(SITE)
    clock[0] += 29
    # A write dropped it, but it is younger than max_lag: still served, not recomputed.
    assert figures() == 1
    assert cache.get_or_create(SITE, "rank", lambda: "exact") == "exact"
    clock[0] += 2
    assert figures() == 2
    # Fresh again: served without recomputing until the next write.
    clock[0] += 100
    assert figures() == 2
