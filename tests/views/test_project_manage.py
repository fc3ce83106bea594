"""Updating, deleting and publishing a project, and resetting its secret key."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from pybossa_core.models import Project, Result, Task, TaskRun
from tests.views.project_fixtures import JSON, as_user, post

UPDATE = {
    "name": "Birds Renamed", "short_name": "birds2", "description": "New description", "long_description": "New long",
    "allow_anonymous_contributors": False, "webhook": "https://hooks.example.com/birds",
}


@pytest.mark.parametrize("path", ["settings", "update", "delete", "publish", "tasks/import", "tasks/taskpresentereditor"])
def test_managing_needs_a_signed_in_owner_or_admin(testapp, make, member, project, path):
    assert testapp.get(f"/project/birds/{path}", headers=JSON, status=302).json["status"] == "not_signed_in"
    as_user(testapp, make, "other")
    testapp.get(f"/project/birds/{path}", headers=JSON, status=403)
    post(testapp, f"/project/birds/{path}", {}, status=403)
    as_user(testapp, make, "boss", admin=True)
    assert testapp.get(f"/project/birds/{path}", headers=JSON).json["title"].startswith("Project: Birds")
    testapp.get(f"/project/unknown/{path}", headers=JSON, status=404)


def test_update_form_shows_the_project(browser, project):
    body = browser.get("/project/birds/update", headers=JSON).json
    assert body["template"] == "/projects/update.html" and body["title"] == "Project: Birds &middot; Update"
    assert body["form"] == {
        "allow_anonymous_contributors": True, "allow_taskrun_edit": False, "category_id": None, "csrf": body["form"]["csrf"],
        "embargo_until": None,
        "description": "Count birds", "errors": {}, "id": project.id, "long_description": "Long birds",
        "name": "Birds", "password": None, "private": False, "protect": False, "short_name": "birds", "webhook": None,
    }
    assert set(body["upload_form"]) == {"avatar", "csrf", "errors", "id", "x1", "x2", "y1", "y2"}
    assert {"n_tasks", "n_task_runs", "owner", "project", "pro_features", "last_activity"} <= set(body)


def test_update_changes_the_project(browser, project, make):
    category = make.category("science")
    body = post(browser, "/project/birds/update", {**UPDATE, "category_id": category.id}).json
    assert body == {"flash": "Project updated!", "next": "/project/birds2/", "status": "success"}
    assert (project.name, project.short_name, project.description, project.long_description) == (
        "Birds Renamed", "birds2", "New description", "New long")
    assert project.allow_anonymous_contributors is False and project.webhook == "https://hooks.example.com/birds"
    assert project.category_id == category.id
    assert not project.info.get("allow_taskrun_edit")
    post(browser, "/project/birds2/update", {**UPDATE, "short_name": "birds2", "allow_taskrun_edit": True})
    assert project.info["allow_taskrun_edit"] is True and project.info["task_presenter"] == "<div>birds</div>"


def test_update_refuses_bad_input(browser, make, project):
    make.project(make.user(), "other", name="Other")
    body = post(browser, "/project/birds/update", {**UPDATE, "name": "Other", "short_name": ""}).json
    assert body["flash"] == "Please correct the errors" and body["status"] == "error"
    assert body["form"]["errors"] == {"name": ["Name is already taken."], "short_name": ["This field is required."]}
    assert body["form"]["name"] == "Other"
    body = post(browser, "/project/birds/update", {**UPDATE, "webhook": "ftp://x", "category_id": 999999}).json
    assert set(body["form"]["errors"]) == {"webhook"}
    body = post(browser, "/project/birds/update", {**UPDATE, "category_id": 999999}).json
    assert body["form"]["errors"] == {"category_id": ["Not a valid choice"]}
    assert (project.name, project.short_name) == ("Birds", "birds")


def test_keeping_its_own_names_is_not_a_clash(browser, project):
    body = post(browser, "/project/birds/update", {**UPDATE, "name": "Birds", "short_name": "birds"}).json
    assert body["status"] == "success" and project.description == "New description"


def test_update_without_csrf_changes_nothing(browser, project):
    browser.post_json("/project/birds/update", UPDATE, headers={"X-CSRFToken": "nope"}, status=400)
    assert project.name == "Birds"


def test_reset_secret_key(testapp, make, member, project):
    old = project.secret_key
    post(testapp, "/project/birds/resetsecretkey", status=302)
    as_user(testapp, make, "other")
    post(testapp, "/project/birds/resetsecretkey", status=403)
    assert project.secret_key == old
    as_user(testapp, make, "boss", admin=True)
    testapp.get("/project/birds/resetsecretkey", headers=JSON, status=405)
    body = post(testapp, "/project/birds/resetsecretkey").json
    assert body == {"flash": "New secret key generated", "next": "/project/birds/update", "status": "success"}
    assert project.secret_key != old and len(project.secret_key) == 36


def test_delete_page_and_deleting_everything_of_the_project(browser, member, make, project, dbsession):
    task = make.task(project)
    run = make.task_run(task, make.user("volunteer"))
    make.result(task, [run])
    body = browser.get("/project/birds/delete", headers=JSON).json
    assert body["template"] == "/projects/delete.html" and body["title"] == "Project: Birds &middot; Delete"
    assert {"csrf", "last_activity", "n_tasks", "overall_progress", "owner", "pro_features", "project"} <= set(body)
    assert body["csrf"] and set(body["project"]) >= {"secret_key", "owner_id", "published"}
    project_id = project.id
    body = post(browser, "/project/birds/delete").json
    assert body == {"flash": "Project deleted!", "next": "/account/member/", "status": "success"}
    dbsession.expire_all()
    assert dbsession.get(Project, project_id) is None
    for model in (Task, TaskRun, Result):
        assert dbsession.scalar(sa.select(sa.func.count(model.id)).where(model.project_id == project_id)) == 0


def test_delete_by_another_user_or_without_csrf_keeps_the_project(testapp, make, member, project, dbsession):
    as_user(testapp, make, "other")
    post(testapp, "/project/birds/delete", status=403)
    testapp.post_json("/project/birds/delete", {}, headers={"X-CSRFToken": "bad"}, status=400)
    assert dbsession.scalar(sa.select(Project.id).where(Project.short_name == "birds")) == project.id


def test_publishing_needs_tasks_and_a_presenter(browser, make, project):
    project.published = False
    body = post(browser, "/project/birds/publish", status=400).json
    assert body["status"] == "error"
    assert body["flash"] == "You cannot publish a project without a task presenter and at least one task."
    assert project.published is False
    make.task(project)
    project.info = {}
    assert post(browser, "/project/birds/publish", status=400).json["status"] == "error"
    assert project.published is False
    project.info = {"task_presenter": "<p>hi</p>"}
    body = browser.get("/project/birds/publish", headers=JSON).json
    assert body["template"] == "/projects/publish.html" and body["csrf"]
    body = post(browser, "/project/birds/publish").json
    assert body == {"flash": "Project published! Volunteers will now be able to help you!", "next": "/project/birds/",
                    "status": "success"}
    assert project.published is True
