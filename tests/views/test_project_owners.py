"""Co-owners, ownership transfer and password-protected projects, through HTTP."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from pybossa_core.models import Auditlog, Project
from tests.views.conftest import csrf_of, sign_in
from tests.views.project_fixtures import JSON, as_user, post

UPDATE = {"name": "Birds", "short_name": "birds", "description": "Count birds", "long_description": "Long birds",
          "allow_anonymous_contributors": True}


def owners_of(testapp) -> list[tuple[str, bool]]:
    return [(user["name"], user["is_creator"]) for user in testapp.get("/project/birds/coowners", headers=JSON).json["coowners"]]


# -- co-owners ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["coowners", "transferownership"])
def test_owner_pages_need_a_signed_in_owner_or_admin(testapp, make, member, project, path):
    assert testapp.get(f"/project/birds/{path}", headers=JSON, status=302).json["status"] == "not_signed_in"
    as_user(testapp, make, "other")
    testapp.get(f"/project/birds/{path}", headers=JSON, status=403)
    post(testapp, f"/project/birds/{path}", {}, status=403)
    post(testapp, "/project/birds/add_coowner/other", status=403)
    as_user(testapp, make, "boss", admin=True)
    assert testapp.get(f"/project/birds/{path}", headers=JSON).json["project"]["short_name"] == "birds"
    testapp.get(f"/project/unknown/{path}", headers=JSON, status=404)


def test_search_add_and_remove_a_coowner(browser, make, project, dbsession):
    jane = make.user("janedoe", fullname="Jane Doe", email_addr="jane@example.org")
    body = browser.get("/project/birds/coowners", headers=JSON).json
    assert body["template"] == "/projects/coowners.html" and body["title"] == "Manage Co-owners"
    assert owners_of(browser) == [("member", True)] and body["found"] is None
    for query in ("JaneDoe", "jane@example.org"):
        found = post(browser, "/project/birds/coowners", {"user": query}).json["found"]
        assert (found["name"], found["is_coowner"], found["is_creator"]) == ("janedoe", False, False)
    missing = post(browser, "/project/birds/coowners", {"user": "<nobody>"}).json
    assert missing["found"] is None and missing["status"] == "info" and "&lt;nobody&gt;" in missing["flash"]

    added = post(browser, "/project/birds/add_coowner/janedoe").json
    assert added == {"next": "/project/birds/coowners", "flash": "User was added to list of owners", "status": "success"}
    assert owners_of(browser) == [("member", True), ("janedoe", False)]
    again = post(browser, "/project/birds/add_coowner/janedoe").json
    assert again["flash"] == "User is already an owner" and again["status"] == "warning"
    post(browser, "/project/birds/add_coowner/nosuchuser", status=404)
    # Changing owners is a POST: a link (GET) changes nothing.
    browser.get("/project/birds/del_coowner/janedoe", headers=JSON, status=405)

    creator = post(browser, "/project/birds/del_coowner/member").json
    assert creator["flash"] == "Cannot remove project creator" and creator["status"] == "error"
    removed = post(browser, "/project/birds/del_coowner/janedoe").json
    assert removed["flash"] == "User was deleted from the list of owners"
    not_owner = post(browser, "/project/birds/del_coowner/janedoe").json
    assert not_owner["flash"] == "User is not a project owner"
    assert owners_of(browser) == [("member", True)]
    changes = dbsession.scalars(sa.select(Auditlog.new_value).where(Auditlog.attribute == "owners_ids").order_by(Auditlog.id)).all()
    assert changes == [f"[{project.owner_id}, {jane.id}]", f"[{project.owner_id}]"]


def test_a_coowner_manages_but_does_not_delete_the_project(testapp, make, member, project):
    jane = as_user(testapp, make, "janedoe")
    project.owners_ids = [member.id, jane.id]
    assert testapp.get("/project/birds/settings", headers=JSON).json["project"]["secret_key"] == project.secret_key
    assert post(testapp, "/project/birds/update", {**UPDATE, "description": "By Jane"}).json["flash"] == "Project updated!"
    post(testapp, "/project/birds/delete", status=403)
    testapp.delete(f"/api/project/{project.id}?api_key={jane.api_key}", status=403)
    assert post(testapp, "/project/birds/del_coowner/member").json["flash"] == "Cannot remove project creator"
    testapp.delete(f"/api/project/{project.id}?api_key={member.api_key}", status=204)


# -- ownership transfer ---------------------------------------------------------------------


def test_transfer_ownership_by_email(browser, make, project, dbsession):
    jane = make.user("janedoe", email_addr="jane@example.org")
    body = browser.get("/project/birds/transferownership", headers=JSON).json
    assert body["template"] == "/projects/transferownership.html" and body["form"]["email_addr"] is None
    for email, error in (("", "This field is required."), ("not-an-address", "Invalid email address."),
                         ("nobody@example.org", "New project owner not found by email"),
                         ("member@example.com", "This user already owns the project")):
        refused = post(browser, "/project/birds/transferownership", {"email_addr": email}).json
        assert refused["form"]["errors"] == {"email_addr": [error]} and refused["status"] == "error"
        assert project.owner_id != jane.id
    done = post(browser, "/project/birds/transferownership", {"email_addr": "jane@example.org"}).json
    assert done == {"next": "/project/birds/", "flash": "Project owner updated", "status": "info"}
    dbsession.refresh(project)
    assert project.owner_id == jane.id and project.owners_ids[0] == jane.id
    # The old owner stays a co-owner: still managing, no longer deleting.
    assert owners_of(browser) == [("janedoe", True), ("member", False)]
    post(browser, "/project/birds/delete", status=403)


# -- project passwords ----------------------------------------------------------------------


def protect(browser, password="open sesame", **fields):
    return post(browser, "/project/birds/update", {**UPDATE, "protect": True, "password": password, **fields}).json


def test_the_update_form_sets_keeps_and_lifts_a_password(browser, project, dbsession):
    refused = post(browser, "/project/birds/update", {**UPDATE, "protect": True}).json
    assert refused["form"]["errors"] == {"password": ["You must enter a password"]}
    short = protect(browser, password="x")
    assert short["form"]["errors"] == {"password": ["The password must have between 2 and 255 characters"]}
    assert short["form"]["password"] is None
    assert protect(browser)["flash"] == "Project updated!"
    stored = project.info["passwd_hash"]
    assert "open sesame" not in stored
    form = browser.get("/project/birds/update", headers=JSON).json["form"]
    assert form["protect"] is True and form["password"] is None
    assert protect(browser, password="")["flash"] == "Project updated!"
    assert project.info["passwd_hash"] == stored
    # The hash is the owners' alone: not in the audit log.
    logged = dbsession.scalars(sa.select(Auditlog).where(Auditlog.attribute == "passwd_hash")).all()
    assert logged and all(log.old_value is None and log.new_value is None for log in logged)
    post(browser, "/project/birds/update", {**UPDATE, "protect": False})
    assert "passwd_hash" not in project.info


def test_visitors_give_the_password_once_then_contribute(testapp, make, member, project, dbsession):
    task = make.task(project)
    sign_in(testapp, member)
    protect(testapp)
    assert "passwd_hash" in testapp.get(f"/api/project/{project.id}?api_key={member.api_key}").json["info"]
    testapp.get("/account/signout", headers={"X-CSRFToken": csrf_of(testapp)})
    testapp.reset()
    assert "passwd_hash" not in testapp.get(f"/api/project/{project.id}").json["info"]

    for path in ("/project/birds/", "/project/birds/newtask", f"/project/birds/task/{task.id}", "/project/birds/tasks/"):
        sent = testapp.get(path, headers=JSON, status=302)
        assert sent.location.endswith("/project/birds/password?next=" + path.replace("/", "%2F"))
    refused = testapp.get(f"/api/{project.id}/newtask", status=403).json
    assert refused["exception_cls"] == "Forbidden" and "/project/birds/password" in refused["exception_msg"]
    testapp.get(f"/api/task/{task.id}", status=403)
    assert testapp.get("/api/task", {"project_id": project.id}).json == []

    page = testapp.get("/project/birds/password?next=/project/birds/newtask", headers=JSON).json
    assert page["template"] == "/projects/password.html" and page["next"] == "/project/birds/newtask"
    wrong = post(testapp, "/project/birds/password?next=/project/birds/newtask", {"password": "guess"}).json
    assert wrong["form"]["errors"] == {"password": ["Sorry, incorrect password"]} and wrong["form"]["password"] is None
    assert "pybossa_unlocked" not in testapp.cookies
    empty = post(testapp, "/project/birds/password", {}).json
    assert empty["form"]["errors"] == {"password": ["You must enter a password"]}
    evil = post(testapp, "/project/birds/password?next=//evil.example/x", {"password": "open sesame"}).json
    assert evil["next"] == "/project/birds/"

    assert testapp.get("/project/birds/newtask", headers=JSON).json["template"] == "/projects/presenter.html"
    assert testapp.get(f"/api/{project.id}/newtask").json["id"] == task.id
    assert [t["id"] for t in testapp.get("/api/task", {"project_id": project.id}).json] == [task.id]

    # A forged cookie, or one given for the old password, opens nothing.
    good = testapp.cookies["pybossa_unlocked"]
    testapp.set_cookie("pybossa_unlocked", good[:-4] + "AAAA")
    testapp.get(f"/api/{project.id}/newtask", status=403)
    testapp.set_cookie("pybossa_unlocked", good)
    project.info = {**project.info, "passwd_hash": "scrypt$changed"}
    dbsession.flush()
    testapp.get(f"/api/{project.id}/newtask", status=403)


def test_a_browser_is_sent_back_where_it_was_going(testapp, make, member, project):
    sign_in(testapp, member)
    protect(testapp)
    testapp.get("/account/signout", headers={"X-CSRFToken": csrf_of(testapp)})
    testapp.reset()
    asked = testapp.get("/project/birds/newtask", headers={"Accept": "text/html"}, status=302).follow(headers={"Accept": "text/html"})
    form = asked.forms[0]
    form["password"] = "open sesame"
    entered = form.submit(headers={"Accept": "text/html"}, status=302)
    assert entered.location.endswith("/project/birds/newtask")
    assert entered.follow(headers={"Accept": "text/html"}).status_code == 200


def test_owners_and_admins_are_never_asked(testapp, make, member, project):
    sign_in(testapp, member)
    protect(testapp)
    assert testapp.get("/project/birds/newtask", headers=JSON).json["template"] == "/projects/presenter.html"
    as_user(testapp, make, "boss", admin=True)
    assert testapp.get("/project/birds/", headers=JSON).json["template"] == "/projects/project.html"
