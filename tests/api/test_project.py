"""/api/project: drafts and secret keys stay private; owners change their own projects."""
from __future__ import annotations

import sqlalchemy as sa

from pybossa_core.models import Blogpost, HelpingMaterial, Project, Result, Task, TaskRun


def test_anonymous_list_shows_published_projects_without_secret_keys(testapp, make):
    owner = make.user()
    published = make.project(owner)
    make.project(owner, published=False)
    body = testapp.get("/api/project").json
    assert [item["id"] for item in body] == [published.id]
    assert "secret_key" not in body[0]
    assert body[0]["link"] == f"<link rel='self' title='project' href='http://localhost:5000/api/project/{published.id}'/>"
    assert "links" not in body[0]


def test_api_key_lists_own_projects_including_drafts_and_all_lists_everything(testapp, make):
    owner, other = make.user(), make.user()
    draft = make.project(owner, published=False)
    others = make.project(other)
    own = testapp.get("/api/project", {"api_key": owner.api_key}).json
    assert [item["id"] for item in own] == [draft.id]
    assert own[0]["secret_key"] == draft.secret_key
    everything = testapp.get("/api/project", {"api_key": owner.api_key, "all": "1"}).json
    assert {item["id"] for item in everything} == {draft.id, others.id}
    assert "secret_key" not in next(item for item in everything if item["id"] == others.id)


def test_header_authorization_is_an_api_key(testapp, make):
    owner = make.user()
    draft = make.project(owner, published=False)
    body = testapp.get("/api/project", headers={"Authorization": owner.api_key}).json
    assert [item["id"] for item in body] == [draft.id]


def test_draft_is_hidden_from_others_by_id(testapp, make):
    owner, other = make.user(), make.user()
    draft = make.project(owner, published=False)
    testapp.get(f"/api/project/{draft.id}", status=404)
    testapp.get(f"/api/project/{draft.id}", {"api_key": other.api_key}, status=404)
    assert testapp.get(f"/api/project/{draft.id}", {"api_key": owner.api_key}).json["id"] == draft.id
    admin = make.admin()
    assert testapp.get(f"/api/project/{draft.id}", {"api_key": admin.api_key}).json["secret_key"] == draft.secret_key


def test_create_sets_owner_and_refuses_anonymous(testapp, make, dbsession):
    user = make.user()
    body = {"name": "My project", "short_name": "myproject", "description": "d", "info": {"xyz": 1}}
    error = testapp.post_json("/api/project", body, status=401).json
    assert error == {
        "status": "failed", "action": "POST", "target": "project", "exception_msg": "401 Unauthorized",
        "status_code": 401, "exception_cls": "Unauthorized",
    }
    created = testapp.post_json(f"/api/project?api_key={user.api_key}", body).json
    assert created["owner_id"] == user.id and created["owners_ids"] == [user.id]
    assert created["published"] is False and created["secret_key"]
    stored = dbsession.get(Project, created["id"])
    assert (stored.short_name, stored.info) == ("myproject", {"xyz": 1})


def test_create_goes_to_the_first_category_by_default(testapp, make):
    user = make.user()
    first = make.category()
    make.category()
    created = testapp.post_json(f"/api/project?api_key={user.api_key}", {"name": "N", "short_name": "n"}).json
    assert created["category_id"] == first.id


def test_duplicate_short_name_is_an_integrity_error(testapp, make):
    user = make.user()
    existing = make.project(user)
    error = testapp.post_json(
        f"/api/project?api_key={user.api_key}", {"name": "other", "short_name": existing.short_name}, status=415
    ).json
    assert error["exception_cls"] == "DBIntegrityError"


def test_reserved_and_unknown_keys_are_refused(testapp, make, dbsession):
    user = make.user()
    for body in ({"name": "a", "short_name": "a", "secret_key": "x"},
                 {"name": "a", "short_name": "a", "published": True},
                 {"name": "a", "short_name": "a", "owner_id": 99},
                 {"name": "a", "short_name": "a", "short_ame": "x"}):
        error = testapp.post_json(f"/api/project?api_key={user.api_key}", body, status=415).json
        assert error["exception_cls"] == "AttributeError"
    assert dbsession.scalar(sa.select(sa.func.count(Project.id))) == 0


def test_short_name_must_be_a_slug_and_not_a_site_word(testapp, make):
    user = make.user()
    for short_name in ("has space", "new", "", "a/b"):
        testapp.post_json(f"/api/project?api_key={user.api_key}", {"name": "x", "short_name": short_name}, status=415)


def test_owner_updates_partially_and_may_echo_what_was_read(testapp, make, dbsession):
    owner = make.user()
    project = make.project(owner)
    read = testapp.get(f"/api/project/{project.id}", {"api_key": owner.api_key}).json
    read["description"] = "new words"
    updated = testapp.put_json(f"/api/project/{project.id}?api_key={owner.api_key}", read).json
    assert updated["description"] == "new words"
    assert dbsession.get(Project, project.id).description == "new words"


def test_changing_a_reserved_value_is_refused(testapp, make):
    owner = make.user()
    project = make.project(owner)
    error = testapp.put_json(
        f"/api/project/{project.id}?api_key={owner.api_key}", {"secret_key": "mine"}, status=415
    ).json
    assert error["action"] == "PUT"


def test_others_cannot_update_or_delete(testapp, make, dbsession):
    owner, other = make.user(), make.user()
    project = make.project(owner)
    testapp.put_json(f"/api/project/{project.id}", {"description": "x"}, status=401)
    error = testapp.put_json(f"/api/project/{project.id}?api_key={other.api_key}", {"description": "x"}, status=403).json
    assert error["exception_cls"] == "Forbidden"
    testapp.delete(f"/api/project/{project.id}?api_key={other.api_key}", status=403)
    assert dbsession.get(Project, project.id).description == ""


def test_co_owner_updates(testapp, make):
    owner, co_owner = make.user(), make.user()
    project = make.project(owner, owners_ids=[owner.id, co_owner.id])
    testapp.put_json(f"/api/project/{project.id}?api_key={co_owner.api_key}", {"description": "co"})
    listed = testapp.get("/api/project", {"api_key": co_owner.api_key}).json
    assert [item["id"] for item in listed] == [project.id]


def test_webhook_must_be_http(testapp, make):
    owner = make.user()
    project = make.project(owner)
    testapp.put_json(f"/api/project/{project.id}?api_key={owner.api_key}", {"webhook": "file:///etc/passwd"}, status=415)
    ok = testapp.put_json(f"/api/project/{project.id}?api_key={owner.api_key}", {"webhook": "https://example.com/hook"})
    assert ok.json["webhook"] == "https://example.com/hook"


def test_delete_removes_everything_of_the_project(testapp, make, dbsession):
    owner = make.user()
    project = make.project(owner)
    task = make.task(project)
    run = make.task_run(task, owner)
    make.result(task, [run])
    dbsession.add_all([Blogpost(project_id=project.id, title="t"), HelpingMaterial(project_id=project.id)])
    dbsession.flush()
    response = testapp.delete(f"/api/project/{project.id}?api_key={owner.api_key}", status=204)
    assert response.body == b""
    dbsession.expire_all()
    for model in (Project, Task, TaskRun, Result, Blogpost, HelpingMaterial):
        assert dbsession.scalar(sa.select(sa.func.count()).select_from(model)) == 0, model


def test_trailing_slash_is_the_same_resource(testapp, make):
    project = make.project(make.user())
    assert testapp.get("/api/project/").json[0]["id"] == project.id
    assert testapp.get(f"/api/project/{project.id}/").json["id"] == project.id


def test_nobody_but_admins_filters_by_secret_key(testapp, make):
    owner = make.user()
    project = make.project(owner)
    testapp.get("/api/project", {"secret_key": project.secret_key}, status=415)
    testapp.get("/api/project", {"secret_key": project.secret_key, "api_key": owner.api_key}, status=415)
    found = testapp.get("/api/project", {"secret_key": project.secret_key, "api_key": make.admin().api_key, "all": 1}).json
    assert [item["id"] for item in found] == [project.id]
