"""Private projects: every route, walked as an outsider, shows nothing of them; invited users see them."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from pyramid.interfaces import IRoutesMapper

from pybossa_core.models import Blogpost, HelpingMaterial, Page, User
from pybossa_core.services.projects import invitation_key, reset_secret_key
from tests.views.conftest import PASSWORD_HASH, sign_in
from tests.views.project_fixtures import JSON, as_user, post

API_RESOURCES = ("project", "task", "taskrun", "result", "blogpost", "helpingmaterial", "page")


@pytest.fixture
def secret(make, dbsession):
    """A published private project named "Hush" with an answered, completed task and content of every kind."""
    owner = make.user("hushowner")
    project = make.project(owner, "hush", name="Hush Project", private=True, category_id=make.category("science").id,
                           info={"task_presenter": "<p>hush</p>"})
    task = make.task(project, n_answers=1, info={"question": "hush?"})
    run = make.task_run(task, owner, info="whisper")
    result = make.result(task, [run])
    dbsession.add_all([Blogpost(project_id=project.id, user_id=owner.id, title="Hush news", body="b", published=True),
                       HelpingMaterial(project_id=project.id, info={"hush": 1}), Page(project_id=project.id, slug="hush")])
    dbsession.flush()
    return {"project": project, "task": task, "task_run": run, "result": result, "owner": owner}


def project_routes(app) -> list[str]:
    """Every route under /project/<short_name>/, filled in for the private project (or a harmless value)."""
    paths = []
    for route in app.registry.getUtility(IRoutesMapper).get_routes():
        if not route.pattern.startswith("/project/{short_name}"):
            continue
        path = route.pattern.replace("{short_name}", "hush").replace("{slash:/?}", "")
        path = re.sub(r"\{[a-z_]+:\\d\+\}", "1", path)
        paths.append(re.sub(r"\{[a-z_]+\}", "x", path))
    return paths


def outsider_sees_nothing(testapp, app, secret):
    project, task = secret["project"], secret["task"]
    ids = {name: secret[name].id for name in ("project", "task", "task_run", "result")}
    for resource in API_RESOURCES:
        listed = testapp.get(f"/api/{resource}", {"all": 1, "limit": 100, "related": 1}).json
        assert all(item.get("project_id", item["id"] if resource == "project" else None) != project.id for item in listed), resource
        found = testapp.get(f"/api/{resource}", {"project_id": project.id, "all": 1}).json if resource != "project" else []
        assert found == [], resource
    for resource, key in (("project", "project"), ("task", "task"), ("taskrun", "task_run"), ("result", "result")):
        testapp.get(f"/api/{resource}/{ids[key]}", status=404)
    assert testapp.get("/api/task", {"fulltextsearch": "1", "info": "question::hush"}).json == []
    testapp.get(f"/api/{project.id}/newtask", status=404)
    testapp.get("/api/project/hush/userprogress", status=404)
    assert testapp.get("/api/globalstats").json["n_projects"] == 0
    routes = project_routes(app)
    assert len(routes) > 25 and "/project/hush/tasks/export" in routes
    for path in routes:
        answer = testapp.get(path, headers=JSON, expect_errors=True)
        assert answer.status_code in (302, 403, 404, 405), (path, answer.status_code)
        if answer.status_code == 302:
            assert "/account/signin" in answer.location or "/password" in answer.location, path
        assert "Hush Project" not in answer.text and "whisper" not in answer.text, path
    for path in ("/", "/stats/", "/project/category/science/", "/account/hushowner/", "/leaderboard/", "/account/page/1"):
        page = testapp.get(path, headers=JSON, expect_errors=True)
        assert "Hush Project" not in page.text and "hush" not in page.text.replace("hushowner", ""), path
    assert task.id not in [t["id"] for t in testapp.get("/api/task", {"all": 1}).json]


def test_anonymous_visitors_see_nothing_of_a_private_project(testapp, app, secret):
    outsider_sees_nothing(testapp, app, secret)


def test_signed_in_outsiders_see_nothing_of_a_private_project(testapp, app, make, secret):
    as_user(testapp, make, "outsider")
    outsider_sees_nothing(testapp, app, secret)


def test_invited_users_and_owners_see_it(testapp, make, secret):
    owner = secret["owner"]
    guest = make.user("guest", email_addr="guest@example.org")
    project = secret["project"]
    owner.passwd_hash = PASSWORD_HASH
    sign_in(testapp, owner)
    page = testapp.get("/project/hush/invitations", headers=JSON).json
    assert page["invited"] == [] and "/project/hush/join/" in page["invitation_link"]
    refused = post(testapp, "/project/hush/invitations", {"user": "nobody"}).json
    assert refused["form"]["errors"] == {"user": ["We didn't find a user matching your query: nobody"]}
    assert post(testapp, "/project/hush/invitations", {"user": "guest@example.org"}).json["status"] == "success"
    assert post(testapp, "/project/hush/invitations", {"user": "guest"}).json["flash"] == "This user is already invited"
    assert [user["name"] for user in testapp.get("/project/hush/invitations", headers=JSON).json["invited"]] == ["guest"]
    assert "invited_ids" in testapp.get(f"/api/project/{project.id}?api_key={owner.api_key}").json
    testapp.get(f"/api/project/{project.id}?api_key={guest.api_key}")
    assert "invited_ids" not in testapp.get(f"/api/project/{project.id}?api_key={guest.api_key}").json
    assert testapp.get(f"/api/{project.id}/newtask", {"api_key": guest.api_key}).status_code == 200
    assert [t["id"] for t in testapp.get("/api/task", {"project_id": project.id, "api_key": guest.api_key, "all": 1}).json] == [secret["task"].id]

    post(testapp, "/project/hush/uninvite/guest")
    testapp.get(f"/api/project/{project.id}?api_key={guest.api_key}", status=404)


def test_the_invitation_link_lets_a_signed_in_user_join(testapp, make, app, secret):
    key = invitation_key(secret["project"], app.registry.settings["secret"])
    assert testapp.get(f"/project/hush/join/{key}", headers=JSON, status=302).json["status"] == "not_signed_in"
    newcomer = as_user(testapp, make, "newcomer")
    testapp.get("/project/hush/join/wrongkey", headers=JSON, status=404)
    assert testapp.get(f"/project/hush/join/{key}", headers=JSON).json["template"] == "/projects/join.html"
    testapp.get("/project/hush/", headers=JSON, status=404)
    assert post(testapp, f"/project/hush/join/{key}").json["next"] == "/project/hush/"
    assert testapp.get("/project/hush/", headers=JSON).json["project"]["name"] == "Hush Project"
    assert newcomer.id in secret["project"].invited_ids
    reset_secret_key(secret["project"])
    testapp.get(f"/project/hush/join/{key}", headers=JSON, status=404)


def test_making_private_and_inviting_are_in_the_audit_log(testapp, make, dbsession, secret):
    owner, project = secret["owner"], secret["project"]
    make.user("guest", email_addr="guest@example.org")
    owner.passwd_hash = PASSWORD_HASH
    sign_in(testapp, owner)
    post(testapp, "/project/hush/invitations", {"user": "guest"})
    testapp.put_json(f"/api/project/{project.id}?api_key={owner.api_key}", {"private": False})
    logged = {(entry["attribute"], entry["old_value"], entry["new_value"])
              for entry in testapp.get("/project/hush/auditlog", headers=JSON).json["logs"]}
    guest_id = dbsession.scalar(sa.select(User.id).where(User.name == "guest"))
    assert ("invited_ids", "[]", f"[{guest_id}]") in logged
    assert ("private", "True", "False") in logged
