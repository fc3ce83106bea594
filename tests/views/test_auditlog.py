"""The audit log: every change of a project's settings is recorded with who, how and what, and shown to its owners."""
from __future__ import annotations

import sqlalchemy as sa

from pybossa_core.models import Auditlog
from tests.views.project_fixtures import JSON, as_user, post

UPDATE = {
    "name": "Birds Renamed", "short_name": "birds", "description": "Count birds", "long_description": "Long birds",
    "allow_anonymous_contributors": False, "webhook": "https://hooks.example.com/birds",
}


def logs_of(testapp, short_name="birds") -> list[dict]:
    return testapp.get(f"/project/{short_name}/auditlog", headers=JSON).json["logs"]


def changes(logs: list[dict]) -> dict[str, tuple]:
    return {log["attribute"]: (log["old_value"], log["new_value"]) for log in logs}


def test_update_form_records_each_changed_setting_with_its_author(browser, member, project):
    post(browser, "/project/birds/update", UPDATE)
    logs = logs_of(browser)
    assert changes(logs) == {
        "name": ("Birds", "Birds Renamed"),
        "allow_anonymous_contributors": ("True", "False"),
        "webhook": (None, "https://hooks.example.com/birds"),
    }
    assert {(log["user_id"], log["user_name"], log["caller"], log["action"]) for log in logs} == {
        (member.id, "member", "web", "update")
    }
    assert {(log["project_id"], log["project_short_name"]) for log in logs} == {(project.id, "birds")}


def test_resubmitting_the_same_values_records_nothing(browser, project):
    post(browser, "/project/birds/update", UPDATE)
    post(browser, "/project/birds/update", UPDATE)
    assert len(logs_of(browser)) == 3


def test_api_changes_are_recorded_key_by_key_as_the_api_caller(testapp, make, member, project):
    testapp.put_json(
        f"/api/project/{project.id}?api_key={member.api_key}",
        {"description": "Birds, counted", "info": {"task_presenter": "<div>birds</div>", "sched": "breadth_first"}},
    )
    as_user(testapp, make, "boss", admin=True)
    logs = logs_of(testapp)
    assert changes(logs) == {"description": ("Count birds", "Birds, counted"), "sched": (None, "breadth_first")}
    assert {(log["user_name"], log["caller"]) for log in logs} == {("member", "api")}


def test_presenter_publishing_and_secret_key_are_recorded_without_the_keys(browser, make, project):
    project.published = False
    make.task(project)
    post(browser, "/project/birds/tasks/taskpresentereditor", {"editor": "<p>new</p>"})
    post(browser, "/project/birds/publish")
    post(browser, "/project/birds/resetsecretkey")
    logs = logs_of(browser)
    assert [(log["attribute"], log["old_value"], log["new_value"], log["caller"]) for log in logs[:3]] == [
        ("secret_key", None, None, "web"),
        ("published", "False", "True", "web"),
        ("task_presenter", "<div>birds</div>", "<p>new</p>", "web"),
    ]
    # The draft was set by the test's own code, outside any request.
    assert (logs[3]["attribute"], logs[3]["caller"], logs[3]["user_id"]) == ("published", "script", None)


def test_co_owners_changes_are_recorded(browser, make, member, project, dbsession):
    helper = make.user("helper")
    project.owners_ids = [member.id, helper.id]
    dbsession.flush()
    assert changes(logs_of(browser)) == {"owners_ids": (f"[{member.id}]", f"[{member.id}, {helper.id}]")}


def test_refused_changes_leave_no_record(browser, member, project, dbsession):
    post(browser, "/project/birds/update", {**UPDATE, "webhook": "ftp://x"})
    browser.put_json(f"/api/project/{project.id}?api_key={member.api_key}", {"name": ""}, status=415)
    browser.post_json("/project/birds/update", UPDATE, headers={"X-CSRFToken": "nope"}, status=400)
    assert logs_of(browser) == []
    assert dbsession.scalar(sa.select(sa.func.count(Auditlog.id))) == 0


def test_auditlog_is_for_owners_and_admins(testapp, make, member, project):
    post(testapp, "/project/birds/resetsecretkey", status=302)
    body = testapp.get("/project/birds/auditlog", headers=JSON, status=302).json
    assert body["status"] == "not_signed_in" and body["next"].startswith("/account/signin")
    as_user(testapp, make, "other")
    testapp.get("/project/birds/auditlog", headers=JSON, status=403)
    as_user(testapp, make, "boss", admin=True)
    post(testapp, "/project/birds/resetsecretkey")
    body = testapp.get("/project/birds/auditlog", headers=JSON).json
    assert body["template"] == "/projects/auditlog.html" and body["title"] == "Project: Birds &middot; Audit log"
    assert body["pro_features"]["auditlog_enabled"] is True
    assert {"owner", "project", "n_tasks", "overall_progress"} <= set(body)
    assert [(log["attribute"], log["user_name"]) for log in body["logs"]] == [("secret_key", "boss")]
    testapp.get("/project/unknown/auditlog", headers=JSON, status=404)


def test_the_record_outlives_the_project(browser, project, dbsession):
    project_id = project.id
    post(browser, "/project/birds/update", UPDATE)
    post(browser, "/project/birds/delete")
    stored = dbsession.scalars(sa.select(Auditlog).where(Auditlog.project_id == project_id)).all()
    assert {log.attribute for log in stored} == {"name", "allow_anonymous_contributors", "webhook"}
    assert {log.project_short_name for log in stored} == {"birds"}
