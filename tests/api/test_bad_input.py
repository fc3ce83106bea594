"""Every bad input gets PYBOSSA's error JSON, and changes nothing."""
from __future__ import annotations

import gc

import pytest
import sqlalchemy as sa

from pybossa_core.models import Project, Task

ERROR_KEYS = {"status", "action", "target", "exception_msg", "status_code", "exception_cls"}


@pytest.fixture
def owner_and_project(make):
    owner = make.user()
    return owner, make.project(owner, description="before")


def post_raw(testapp, url, body: bytes | str, status):
    return testapp.post(url, body, content_type="application/json", status=status).json


# WebOb copies a test request's large body into a temporary file nobody closes (client side).
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"",
        b"[1, 2, 3]",
        b'"a string"',
        b"null",
        b"[" * 10000 + b"]" * 10000,
        b'{"name": "x", "short_name": "x", "info": ' + b'{"a": ' * 10000 + b"1" + b"}" * 10000 + b"}",
        b'{"name": NaN, "short_name": "x"}',
        b"\xff\xfe not utf-8",
        b'{"name": "x\\u0000", "short_name": "x"}',
    ],
)
def test_malformed_bodies_are_400(testapp, make, dbsession, body):
    user = make.user()
    error = post_raw(testapp, f"/api/project?api_key={user.api_key}", body, 400)
    assert set(error) == ERROR_KEYS and error["status_code"] == 400 and error["action"] == "POST"
    assert dbsession.scalar(sa.select(sa.func.count(Project.id))) == 0
    gc.collect()  # let that temporary file's warning land here, where it is ignored


@pytest.mark.parametrize(
    "fields",
    [
        {"name": 5},
        {"name": ["a"]},
        {"allow_anonymous_contributors": "yes"},
        {"info": "not an object"},
        {"category_id": "one"},
        {"name": "x" * 300},
        {"description": {"a": 1}},
    ],
)
def test_wrong_types_are_415_and_change_nothing(testapp, owner_and_project, dbsession, fields):
    owner, project = owner_and_project
    error = testapp.put_json(f"/api/project/{project.id}?api_key={owner.api_key}", fields, status=415).json
    assert set(error) == ERROR_KEYS and error["exception_cls"] == "ValueError"
    dbsession.expire_all()
    assert dbsession.get(Project, project.id).description == "before"


def test_unknown_ids_are_404(testapp, make):
    user = make.user()
    for method, url in (("get", "/api/task/424242"), ("delete", "/api/task/424242"), ("get", "/api/user/424242")):
        error = getattr(testapp, method)(f"{url}?api_key={user.api_key}", status=404).json
        assert error["exception_cls"] == "NotFound" and error["exception_msg"] == "404 Not Found"
    assert testapp.put_json(f"/api/project/424242?api_key={user.api_key}", {}, status=404).json["action"] == "PUT"
    testapp.get("/api/project/not-a-number", status=404)


def test_wrong_methods_are_405(testapp, make):
    project = make.project(make.user())
    assert testapp.put_json("/api/project", {}, status=405).json["exception_cls"] == "MethodNotAllowed"
    testapp.post_json(f"/api/project/{project.id}", {}, status=405)
    testapp.delete("/api/project", status=405)


def test_another_users_key_changes_nothing(testapp, owner_and_project, make, dbsession):
    owner, project = owner_and_project
    task = make.task(project)
    intruder = make.user()
    key = intruder.api_key
    testapp.put_json(f"/api/project/{project.id}?api_key={key}", {"description": "pwned"}, status=403)
    testapp.put_json(f"/api/task/{task.id}?api_key={key}", {"n_answers": 1}, status=403)
    testapp.delete(f"/api/task/{task.id}?api_key={key}", status=403)
    testapp.post_json(f"/api/task?api_key={key}", {"project_id": project.id}, status=403)
    dbsession.expire_all()
    assert dbsession.get(Project, project.id).description == "before"
    assert dbsession.get(Task, task.id).n_answers == 30
    assert dbsession.scalar(sa.select(sa.func.count(Task.id))) == 1


def test_an_unknown_api_key_is_anonymous(testapp, owner_and_project):
    error = testapp.post_json("/api/project?api_key=not-a-key", {"name": "a", "short_name": "a"}, status=401).json
    assert error["exception_cls"] == "Unauthorized"


def test_a_form_body_where_json_is_expected_is_400(testapp, make):
    user = make.user()
    testapp.post(f"/api/project?api_key={user.api_key}", {"name": "a", "short_name": "a"}, status=400)
    testapp.post(f"/api/project?api_key={user.api_key}", upload_files=[("file", "a.png", b"x")], status=400)
