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


UNREADABLE_BODIES = [
    ("multipart/form-data", 400, "BadRequest"),
    ("multipart/form-data; boundary=", 400, "BadRequest"),
    ('multipart/form-data; boundary=""', 400, "BadRequest"),
    ("application/x-www-form-urlencoded; charset=bogus-9", 415, "UnsupportedMediaType"),
    ("application/json; charset=bogus-9", 415, "UnsupportedMediaType"),
    ('multipart/form-data; boundary=x; charset="no-such"', 415, "UnsupportedMediaType"),
]


@pytest.mark.parametrize("content_type, status, cls", UNREADABLE_BODIES)
@pytest.mark.parametrize("url", ["/api/project", "/api/taskrun", "/api/task/1", "/account/signin", "/account/register"])
def test_a_body_that_cannot_be_read_is_refused_with_the_error_json(testapp, make, dbsession, url, content_type, status, cls):
    user = make.user()
    method = testapp.put if url == "/api/task/1" else testapp.post
    error = method(f"{url}?api_key={user.api_key}", b"name=x&short_name=x", headers={"Content-Type": content_type},
                   status=status).json
    assert set(error) == ERROR_KEYS
    assert (error["status_code"], error["exception_cls"], error["target"]) == (status, cls, "body")
    assert dbsession.scalar(sa.select(sa.func.count(Project.id))) == 0


def test_a_readable_multipart_form_and_a_known_charset_are_read(testapp, make):
    user = make.user()
    body = testapp.post_json(f"/api/project?api_key={user.api_key}", {"name": "Birds", "short_name": "birds"},
                             headers={"Content-Type": "application/json; charset=latin-1"}).json
    assert body["short_name"] == "birds"
    page = testapp.post("/account/signin", {"email": "nobody@example.com", "password": "x"},
                        upload_files=[("unused", "a.txt", b"a")], headers={"Accept": "application/json"}, status="*")
    # The form was read, found without its CSRF token: the check's own answer, not a 500.
    assert (page.status_code, page.json["description"]) == (400, "CSRF token missing or incorrect.")
