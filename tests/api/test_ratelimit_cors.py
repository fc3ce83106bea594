"""Rate limits per IP and endpoint (in the shared-state file, or shared through Redis), trusted proxies, CORS."""
from __future__ import annotations

import json
import os
import threading
import uuid

import pytest

from pybossa_core.interfaces import IRateLimiter, find_service
from pybossa_core.services.ratelimit import MAX_LEASE, RateLimiter
from pybossa_core.services.shared_state import FileCounters, RedisCounters

REDIS_URL = os.environ.get("PYBOSSA_TEST_REDIS_URL")


def get(app, path, ip, status=200, **headers):
    return app.get(path, extra_environ={"REMOTE_ADDR": ip}, headers=headers, status=status)


def test_headers_count_down_then_429(site_with, make):
    app = site_with(**{"ratelimit.enabled": "true", "ratelimit.limit": "3", "ratelimit.per": "900"})
    remaining = [get(app, "/api/project", "10.0.0.1").headers["X-RateLimit-Remaining"] for _ in range(3)]
    assert remaining == ["2", "1", "0"]
    refused = get(app, "/api/project", "10.0.0.1", status=429)
    assert refused.json == {"status": "failed", "action": "GET", "target": "project",
                            "exception_msg": "429 Too Many Requests", "status_code": 429,
                            "exception_cls": "TooManyRequests"}
    assert refused.headers["X-RateLimit-Limit"] == "3" and int(refused.headers["X-RateLimit-Reset"]) > 0
    assert 0 < int(refused.headers["Retry-After"]) <= 900
    # Another endpoint, and another client, have their own windows; a resource's items share its window.
    assert get(app, "/api/task", "10.0.0.1").headers["X-RateLimit-Remaining"] == "2"
    assert get(app, "/api/project", "10.0.0.2").headers["X-RateLimit-Remaining"] == "2"
    get(app, "/api/project/1", "10.0.0.1", status=429)
    # A view's error counts and says so too.
    missing = get(app, "/api/task/999999", "10.0.0.1", status=404)
    assert missing.json["status_code"] == 404 and missing.headers["X-RateLimit-Remaining"] == "1"


def test_x_forwarded_for_counts_only_from_trusted_proxies(site_with):
    app = site_with(**{"ratelimit.enabled": "true", "ratelimit.limit": "1", "proxies.trusted": "10.9.9.9"})
    get(app, "/api/project", "10.0.0.5", X_Forwarded_For="1.1.1.1")
    # A forged header from an untrusted peer does not buy a fresh window.
    get(app, "/api/project", "10.0.0.5", status=429, X_Forwarded_For="2.2.2.2")
    get(app, "/api/project", "10.9.9.9", X_Forwarded_For="3.3.3.3, 10.9.9.9")
    get(app, "/api/project", "10.9.9.9", status=429, X_Forwarded_For="3.3.3.3")
    get(app, "/api/project", "10.9.9.9", X_Forwarded_For="4.4.4.4")


def test_limits_can_be_turned_off(site_with):
    app = site_with(**{"ratelimit.enabled": "false", "ratelimit.limit": "1"})
    for _ in range(3):
        assert "X-RateLimit-Limit" not in get(app, "/api/project", "10.0.0.7").headers


@pytest.mark.parametrize("store", ["file", pytest.param("redis", marks=pytest.mark.skipif(
    not REDIS_URL, reason="needs PYBOSSA_TEST_REDIS_URL (make test sets it when Redis answers)"))])
def test_two_app_instances_share_one_limit(site_with, tmp_path, store):
    settings = {"ratelimit.enabled": "true", "ratelimit.limit": "2", "shared_state.path": str(tmp_path / "state.sqlite")}
    if store == "redis":
        settings.update({"redis.url": REDIS_URL, "redis.prefix": f"test-{uuid.uuid4().hex}"})
    first, second = site_with(**settings), site_with(**settings)
    ip = "10.1.2.3"
    counters = find_service(first.app.app.registry, IRateLimiter).counters
    assert type(counters) is (RedisCounters if store == "redis" else FileCounters)
    get(first, "/api/category", ip)
    get(second, "/api/category", ip)
    get(first, "/api/category", ip, status=429)
    get(second, "/api/category", ip, status=429)


def test_windows_roll_over(tmp_path):
    clock = [1000.0]
    limiter = RateLimiter(FileCounters(str(tmp_path / "state.sqlite"), clock=lambda: clock[0]), clock=lambda: clock[0])
    assert [limiter.hit("k", 2, 60).exceeded for _ in range(3)] == [False, False, True]
    clock[0] += 60
    window = limiter.hit("k", 2, 60)
    assert (window.count, window.remaining, window.reset) == (1, 1, 1080)


def test_processes_take_the_limit_a_lease_at_a_time_and_never_pass_it(tmp_path):
    """Two processes' limiters (each its own connection to one counters file) and four threads
    each: every hit has its own number, at most the limit get through, and far fewer shared
    additions than hits are made."""
    path, additions = str(tmp_path / "state.sqlite"), []

    class Counted(FileCounters):
        def add(self, keys, amount, ttl):
            additions.append(amount)
            return super().add(keys, amount, ttl)

    limiters = [RateLimiter(Counted(path)) for _ in range(2)]
    windows = []

    def volunteer(limiter):
        windows.extend(limiter.hit("10.0.0.1:api.task", 300, 900) for _ in range(100))

    threads = [threading.Thread(target=volunteer, args=(limiter,)) for limiter in limiters for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    numbers = [window.count for window in windows]
    assert len(set(numbers)) == len(numbers) == 800
    admitted = sum(not window.exceeded for window in windows)
    # Each process answered more hits than half the limit, so every number up to it was used.
    assert admitted == 300
    assert len(additions) < 800 // 3
    # Unused at the end: each process's last lease at most.
    assert sum(additions) - max(numbers) <= 2 * (MAX_LEASE - 1)


def test_another_process_lease_turns_a_client_away_early_never_late(tmp_path):
    first, second = (RateLimiter(FileCounters(str(tmp_path / "state.sqlite"))) for _ in range(2))
    assert not first.hit("k", 300, 900).exceeded  # takes numbers 1 to MAX_LEASE, uses 1
    through = [not second.hit("k", 300, 900).exceeded for _ in range(300)]
    assert through == [True] * (300 - MAX_LEASE) + [False] * MAX_LEASE
    later = [first.hit("k", 300, 900) for _ in range(MAX_LEASE)]
    assert [window.exceeded for window in later] == [False] * (MAX_LEASE - 1) + [True]
    assert later[0].remaining == 300 - 2


def test_a_small_limit_is_counted_one_hit_at_a_time(tmp_path):
    limiters = [RateLimiter(FileCounters(str(tmp_path / "state.sqlite"))) for _ in range(2)]
    windows = [limiters[turn % 2].hit("k", 10, 60) for turn in range(12)]
    assert [window.count for window in windows] == list(range(1, 13))
    assert [window.exceeded for window in windows] == [False] * 10 + [True] * 2


def test_cors_preflight_and_headers(testapp, site_with):
    preflight = testapp.options("/api/taskrun", headers={
        "Origin": "https://presenter.example.org", "Access-Control-Request-Method": "POST"})
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    response = testapp.get("/api/project", headers={"Origin": "https://presenter.example.org"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "X-RateLimit-Remaining" in response.headers["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_cors_limited_to_configured_origins(site_with):
    app = site_with(**{"cors.origins": "https://apps.example.org"})
    allowed = app.get("/api/project", headers={"Origin": "https://apps.example.org"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://apps.example.org"
    assert allowed.headers["Vary"] == "Origin"
    other = app.get("/api/project", headers={"Origin": "https://evil.example.com"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_jsonp_callback_wraps_get_answers(testapp, make):
    project = make.project(make.user())
    response = testapp.get("/api/project", {"callback": "app.render"})
    assert response.content_type == "application/javascript"
    body = response.text
    assert body.startswith("/**/app.render(") and body.endswith(");")
    assert json.loads(body[len("/**/app.render("):-len(");")])[0]["id"] == project.id
    plain = testapp.get("/api/project", {"callback": "alert(1);x"})
    assert plain.content_type == "application/json" and plain.json[0]["id"] == project.id
    missing = testapp.get("/api/project/999999", {"callback": "cb"}, status=404)
    assert missing.text.startswith("/**/cb(")
