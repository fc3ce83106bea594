"""Leaving the site: downloading one's data and deleting one's account, through HTTP."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
import sqlalchemy as sa

from pybossa_core.models import Auditlog, Project, TaskRun, User
from tests.views.conftest import PASSWORD, sign_in
from tests.views.project_fixtures import JSON, as_user, post


@pytest.fixture
def answered(make, member):
    """Two answers of ``member`` to another owner's project, and one of someone else."""
    project = make.project(make.user("owner"), "birds")
    tasks = [make.task(project) for _ in range(2)]
    runs = [make.task_run(task, member, info={"answer": "yes"}) for task in tasks]
    make.task_run(tasks[0], make.user("other"))
    return project, runs


def test_export_and_delete_need_the_user_or_an_admin(testapp, make, member):
    for path in ("export", "delete"):
        assert testapp.get(f"/account/member/{path}", headers=JSON, status=302).json["status"] == "not_signed_in"
    as_user(testapp, make, "stranger")
    testapp.get("/account/member/export", status=403)
    testapp.get("/account/member/delete", headers=JSON, status=403)
    post(testapp, "/account/member/delete", {"password": PASSWORD, "projects": "delete"}, status=403)
    testapp.get("/account/nobody/export", status=404)


def test_the_download_holds_profile_answers_and_projects(browser, make, member, answered):
    mine = make.project(member, "mine", name="Mine")
    answer = browser.get("/account/member/export")
    assert answer.content_type == "application/zip"
    assert answer.headers["Content-Disposition"] == 'attachment; filename="member_data.zip"'
    bundle = zipfile.ZipFile(io.BytesIO(answer.body))
    assert sorted(bundle.namelist()) == ["profile.json", "projects.json", "task_runs.csv", "task_runs.json"]
    profile = json.loads(bundle.read("profile.json"))
    assert (profile["name"], profile["email_addr"]) == ("member", member.email_addr) and "passwd_hash" not in profile
    runs = json.loads(bundle.read("task_runs.json"))
    assert [run["id"] for run in runs] == [run.id for run in answered[1]] and runs[0]["info"] == {"answer": "yes"}
    assert bundle.read("task_runs.csv").decode().splitlines()[0].startswith("id,created")
    assert json.loads(bundle.read("projects.json"))[0]["short_name"] == mine.short_name


def test_deleting_keeps_the_answers_without_the_person(browser, make, member, answered, dbsession):
    project, runs = answered
    page = browser.get("/account/member/delete", headers=JSON).json
    assert page["template"] == "/account/delete.html" and page["password_needed"] is True
    wrong = post(browser, "/account/member/delete", {"password": "nope", "projects": "delete"}).json
    assert wrong["form"]["errors"] == {"password": ["That is not your password"]} and wrong["form"]["password"] is None
    assert dbsession.get(User, member.id) is not None

    done = post(browser, "/account/member/delete", {"password": PASSWORD, "projects": "delete"}).json
    assert done["next"] == "/" and done["status"] == "success"
    dbsession.expire_all()
    assert dbsession.scalar(sa.select(User).where(User.name == "member")) is None
    kept = dbsession.scalars(sa.select(TaskRun).where(TaskRun.id.in_([run.id for run in runs]))).all()
    assert len(kept) == 2 and {run.user_id for run in kept} == {None}
    pseudonyms = {run.user_ip for run in kept}
    assert len(pseudonyms) == 1 and pseudonyms.pop().startswith("erased-")
    # Signed out with it: the account's pages are gone, and the session is anonymous.
    browser.get("/account/member/update", headers=JSON, status=302)
    assert browser.get("/api/project").status_code == 200


def test_projects_go_to_a_coowner_or_are_deleted(testapp, make, member, dbsession):
    jane = make.user("janedoe")
    shared = make.project(member, "shared")
    shared.owners_ids = [member.id, jane.id]
    alone = make.project(member, "alone")
    sign_in(testapp, member)
    post(testapp, "/project/shared/update", {"name": "Shared", "short_name": "shared", "description": "d"})
    refused = post(testapp, "/account/member/delete", {"password": PASSWORD, "projects": "transfer"}).json
    assert refused["form"]["errors"] == {"projects": ["These projects have no co-owner to take them: alone"]}
    assert dbsession.get(User, member.id) is not None
    bad = post(testapp, "/account/member/delete", {"password": PASSWORD, "projects": "keep"}).json
    assert bad["form"]["errors"] == {"projects": ["Choose what happens to your projects"]}

    post(testapp, "/project/alone/delete", {})
    post(testapp, "/account/member/delete", {"password": PASSWORD, "projects": "transfer"})
    dbsession.expire_all()
    shared = dbsession.get(Project, shared.id)
    assert (shared.owner_id, shared.owners_ids) == (jane.id, [jane.id])
    names = set(dbsession.scalars(sa.select(Auditlog.user_name).where(Auditlog.project_id == shared.id))) - {None}
    assert names and all(name.startswith("erased-") for name in names)
    assert not dbsession.scalars(sa.select(Auditlog).where(Auditlog.user_id == member.id)).all()


def test_an_admin_deletes_a_user_but_not_the_last_admin(testapp, make, member, dbsession):
    boss = as_user(testapp, make, "boss", admin=True)
    assert post(testapp, "/account/member/delete", {"password": PASSWORD, "projects": "delete"}).json["next"] == "/admin/users"
    last = post(testapp, "/account/boss/delete", {"password": PASSWORD, "projects": "delete"}).json
    assert last["status"] == "error" and "last admin" in last["flash"]
    dbsession.expire_all()
    assert dbsession.get(User, member.id) is None and dbsession.get(User, boss.id) is not None
