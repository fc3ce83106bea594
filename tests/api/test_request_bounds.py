"""Bounded work per request: capped info= filters, and a deadline on every statement of a request."""
from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
import webtest

from pybossa_core.config import configure
from pybossa_core.errors import QUERY_TOO_LONG
from pybossa_core.interfaces import IDBEngine, find_service
from pybossa_core.models import Project, Task, User
from pybossa_core.schemas.query import MAX_INFO_KEYS, MAX_INFO_LENGTH
from tests.conftest import SECRET, TEST_ENVIRON, fresh_engine

TASKS = 20_000


def bad_request(answer) -> dict:
    body = answer.json
    assert answer.status_int == 400
    assert (body["status"], body["status_code"], body["exception_cls"]) == ("failed", 400, "BadRequest")
    return body


@pytest.mark.parametrize("keys", [MAX_INFO_KEYS + 1, 6000])
def test_an_info_filter_with_too_many_keys_is_refused_at_once(testapp, keys):
    query = "|".join(f"k{number}::v" for number in range(keys))
    started = time.monotonic()
    body = bad_request(testapp.get(f"/api/task?info={query}", status=400))
    assert time.monotonic() - started < 1
    assert body["exception_msg"] in (f"info filter takes at most {MAX_INFO_KEYS} keys",
                                     f"info filter is longer than {MAX_INFO_LENGTH} characters")
    assert body["target"] == "task"


def test_an_info_filter_longer_than_the_limit_is_refused(testapp, make):
    project = make.project(make.user())
    make.task(project, info={"k": "v" * 10})
    assert len(testapp.get(f"/api/task?info=k::{'v' * 10}").json) == 1
    body = bad_request(testapp.get(f"/api/task?info=k::{'v' * MAX_INFO_LENGTH}", status=400))
    assert body["exception_msg"] == f"info filter is longer than {MAX_INFO_LENGTH} characters"


@pytest.fixture(scope="module")
def big_database(backend, tmp_path_factory):
    """A database of its own with one project of many tasks."""
    with fresh_engine(backend, tmp_path_factory, "bounds") as engine:
        with engine.begin() as connection:
            owner = connection.execute(sa.insert(User).values(
                name="owner", fullname="Owner", email_addr="owner@example.com", api_key="k" * 36,
            ).returning(User.id)).scalar_one()
            project = connection.execute(sa.insert(Project).values(
                name="Big", short_name="big", description="d", owner_id=owner, owners_ids=[owner], info={}, published=True,
            ).returning(Project.id)).scalar_one()
            connection.execute(sa.insert(Task), [{"project_id": project, "info": {"n": number, "text": "x" * 50}}
                                                 for number in range(TASKS)])
        yield engine


@pytest.fixture
def site_on(big_database, tmp_path):
    """Return a site on ``big_database`` with its own engine, and statements limited to ``timeout`` seconds."""
    engines = []

    def build(timeout: str) -> webtest.TestApp:
        settings = {"database.url": big_database.url.render_as_string(hide_password=False), "secret": SECRET,
                    "uploads.dir": str(tmp_path), "ratelimit.enabled": "false", "database.statement_timeout": timeout}
        app = configure(settings, environ={}).make_wsgi_app()
        engines.append(find_service(app.registry, IDBEngine))
        return webtest.TestApp(app, extra_environ=TEST_ENVIRON)

    yield build
    for engine in engines:
        engine.dispose()


def test_a_statement_past_the_deadline_is_stopped_with_a_400(site_on):
    site = site_on("0.001")

    # An unindexed filter of every task's info: far more than a millisecond of work.
    body = bad_request(site.get("/api/task?info=text::nothing&limit=100", status=400))

    assert body["exception_msg"] == QUERY_TOO_LONG


def test_without_a_deadline_the_same_request_is_answered(site_on):
    site = site_on("0")
    assert site.get("/api/task?info=text::nothing&limit=100").json == []
