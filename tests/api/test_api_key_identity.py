"""The API's caller by API key: read from the database once, until any user is written, so a new
key, a new role or a deleted account counts from the next request on."""
from __future__ import annotations

import os
import uuid

import pytest

from tests.views.conftest import JSON, PASSWORD_HASH, csrf_of, sign_in


REDIS_URL = os.environ.get("PYBOSSA_TEST_REDIS_URL")


@pytest.fixture(params=["memory", *(["redis"] if REDIS_URL else [])])
def site(request, site_with):
    """A site whose cache is in process memory, or (when the tests have Redis) in Redis under its own prefix.

    Its cache hears only of writes flushed during its requests, so revocations are tested on ``testapp``."""
    if request.param == "memory":
        return site_with()
    return site_with(**{"redis.url": REDIS_URL, "redis.prefix": f"test-{uuid.uuid4().hex}"})


def own_email(testapp, user, key) -> str | None:
    return testapp.get(f"/api/user/{user.id}", {"api_key": key}).json.get("email_addr")


def test_a_key_is_looked_up_once_until_a_user_is_written(testapp, make, queries, dbsession):
    task = make.task(make.project(make.user()))
    volunteer = make.user()
    counts = []
    for _ in range(2):
        dbsession.expunge_all()
        queries.statements.clear()
        testapp.get(f"/api/task/{task.id}", {"api_key": volunteer.api_key})
        counts.append(len(queries.statements))
    make.user()
    dbsession.expunge_all()
    queries.statements.clear()
    testapp.get(f"/api/task/{task.id}", {"api_key": volunteer.api_key})
    assert counts == [2, 1] and len(queries.statements) == 2


def test_a_kept_caller_is_the_caller_in_memory_and_in_redis(site, make, queries, dbsession):
    caller = make.user()
    counts = []
    for _ in range(2):
        dbsession.expunge_all()
        queries.statements.clear()
        assert own_email(site, caller, caller.api_key) == caller.email_addr
        counts.append(len(queries.statements))
    assert counts[1] == counts[0] - 1


def test_a_new_key_ends_the_old_one_at_once(testapp, make, dbsession):
    member = make.user("member", passwd_hash=PASSWORD_HASH)
    old_key = member.api_key
    assert own_email(testapp, member, old_key) == member.email_addr
    sign_in(testapp, member)
    testapp.post("/account/member/resetapikey", headers={**JSON, "X-CSRFToken": csrf_of(testapp)})
    dbsession.refresh(member)
    testapp.reset()
    assert own_email(testapp, member, old_key) is None
    assert own_email(testapp, member, member.api_key) == member.email_addr


def test_a_role_and_an_account_count_from_the_next_request(testapp, make, dbsession):
    owner, caller = make.user(), make.user()
    first, second = make.project(owner, "first"), make.project(owner, "second")

    def delete(project):
        return testapp.delete(f"/api/project/{project.id}?api_key={caller.api_key}", expect_errors=True).status_int

    assert delete(first) == 403
    caller.admin = True
    dbsession.flush()
    assert delete(first) == 204
    dbsession.delete(caller)
    dbsession.flush()
    assert delete(second) == 401
