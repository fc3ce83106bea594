"""Tasks assigned to named volunteers (issue 19): only they get them, from newtask with every
bundled scheduler and from the task page; owners assign on the task's review page."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from pybossa_core.models import Project, TaskAssignment
from tests.views.conftest import PASSWORD_HASH, sign_in
from tests.views.project_fixtures import JSON, as_user, post


@pytest.fixture
def assigning(make):
    """A project with two tasks, and its owner and three volunteers (alice and bob to be assignees)."""
    owner = make.user("assigner", passwd_hash=PASSWORD_HASH)
    project = make.project(owner, "assigned", info={"task_presenter": "<p>"})
    named, free = make.task(project, info={"n": 1}, priority_0=1.0), make.task(project, info={"n": 2})
    people = {name: make.user(name, email_addr=f"{name}@example.org") for name in ("alice", "bob", "carol")}
    return {"owner": owner, "project": project, "named": named, "free": free, **people}


def given(testapp, project, query: dict) -> set[int]:
    answer = testapp.get(f"/api/{project.id}/newtask", {"limit": 10, **query}).json
    return {task["id"] for task in ([answer] if isinstance(answer, dict) else answer) if task}


def assign(testapp, task, users: str):
    return post(testapp, f"/project/assigned/tasks/{task.id}/assign", {"users": users})


def test_only_the_assignees_get_an_assigned_task(testapp, assigning, dbsession):
    project, named, free = assigning["project"], assigning["named"], assigning["free"]
    assert given(testapp, project, {"api_key": assigning["carol"].api_key}) == {named.id, free.id}
    sign_in(testapp, assigning["owner"])
    done = assign(testapp, named, "alice, bob@example.org").json
    assert (done["status"], done["flash"]) == ("success", "Task assigned to alice, bob")
    page = testapp.get(f"/project/assigned/tasks/{named.id}/review", headers=JSON).json
    assert [user["name"] for user in page["assignees"]] == ["alice", "bob"]
    assert page["assign_form"]["users"] == "alice bob"
    dbsession.expire_all()
    assert dbsession.get(Project, project.id).assigns_tasks is True

    for name in ("alice", "bob"):
        assert given(testapp, project, {"api_key": assigning[name].api_key}) == {named.id, free.id}
    assert given(testapp, project, {"api_key": assigning["carol"].api_key}) == {free.id}
    testapp.get("/account/signout", headers={**JSON, "X-CSRFToken": page["form"]["csrf"]})
    assert given(testapp, project, {}) == {free.id}

    # Empty: the task is everyone's again, and the project no longer pays for the test.
    sign_in(testapp, assigning["owner"])
    assert assign(testapp, named, "").json["flash"] == "The task is open to every volunteer again"
    dbsession.expire_all()
    assert dbsession.get(Project, project.id).assigns_tasks is False
    assert given(testapp, project, {"api_key": assigning["carol"].api_key}) == {named.id, free.id}
    logged = [(entry["attribute"], entry["old_value"], entry["new_value"])
              for entry in testapp.get("/project/assigned/auditlog", headers=JSON).json["logs"]]
    ids = f"[{assigning['alice'].id}, {assigning['bob'].id}]"
    assert logged[:2] == [(f"task.{named.id}.assigned_to", ids, "[]"), (f"task.{named.id}.assigned_to", "[]", ids)]


@pytest.mark.parametrize("scheduler", ["default", "breadth_first", "depth_first_all", "incremental", "locked"])
def test_every_bundled_scheduler_keeps_assigned_tasks_for_their_assignees(testapp, assigning, dbsession, scheduler):
    project, named, free = assigning["project"], assigning["named"], assigning["free"]
    project.info = {**project.info, "sched": scheduler}
    dbsession.add(TaskAssignment(task_id=named.id, user_id=assigning["alice"].id))
    project.assigns_tasks = True
    dbsession.flush()
    for _ in range(2):  # a second call meets the first one's handout (locked gives it again)
        assert given(testapp, project, {"api_key": assigning["carol"].api_key}) == {free.id}
        assert given(testapp, project, {}) == {free.id}
    assert named.id in given(testapp, project, {"api_key": assigning["alice"].api_key})


def test_gold_tasks_and_the_quiz_respect_assignments(testapp, make, assigning, dbsession):
    project, named = assigning["project"], assigning["named"]
    named.calibration, named.gold_answers = 1, {"n": 1}
    make.task(project, calibration=1, gold_answers={"n": 3})
    dbsession.add(TaskAssignment(task_id=named.id, user_id=assigning["alice"].id))
    project.assigns_tasks = True
    for info in ({"gold_rate": 1}, {"quiz": {"questions": 1}}):
        project.info = {"task_presenter": "<p>", **info}
        dbsession.flush()
        assert named.id not in given(testapp, project, {"api_key": assigning["carol"].api_key})
        assert named.id in given(testapp, project, {"api_key": assigning["alice"].api_key})


def test_the_task_page_turns_away_who_is_not_assigned(testapp, assigning, dbsession):
    named = assigning["named"]
    dbsession.add(TaskAssignment(task_id=named.id, user_id=assigning["alice"].id))
    assigning["project"].assigns_tasks = True
    dbsession.flush()
    refused = testapp.get(f"/project/assigned/task/{named.id}", headers=JSON, status=403).json
    assert refused["description"] == "This task is assigned to other volunteers."
    testapp.get(f"/project/assigned/task/{named.id}", {"api_key": assigning["carol"].api_key}, headers=JSON, status=403)
    testapp.get(f"/project/assigned/task/{named.id}", {"api_key": assigning["alice"].api_key}, headers=JSON)
    testapp.get(f"/project/assigned/task/{assigning['free'].id}", headers=JSON)


def test_unknown_users_are_a_form_error_and_nothing_changes(testapp, assigning, dbsession):
    named = assigning["named"]
    sign_in(testapp, assigning["owner"])
    body = assign(testapp, named, "alice nobody ghost@example.org").json
    assert body["status"] == "error"
    assert body["assign_form"]["errors"] == {"users": ["We didn't find these users: nobody, ghost@example.org"]}
    assert body["assign_form"]["users"] == "alice nobody ghost@example.org"
    assert dbsession.scalars(sa.select(TaskAssignment)).all() == []
    html = testapp.post(f"/project/assigned/tasks/{named.id}/assign",
                        {"users": "nobody", "csrf_token": body["form"]["csrf"]})
    assert "We didn&#39;t find these users: nobody" in html.text or "We didn't find these users: nobody" in html.text


def test_assigning_is_for_owners_with_a_post(testapp, make, assigning):
    named = assigning["named"]
    path = f"/project/assigned/tasks/{named.id}/assign"
    assert post(testapp, path, {"users": "alice"}, status=302).json["status"] == "not_signed_in"
    as_user(testapp, make, "outsider")
    post(testapp, path, {"users": "alice"}, status=403)
    testapp.get(path, status=405)
    sign_in(testapp, assigning["owner"])
    testapp.post(path, {"users": "alice"}, status=400)  # no CSRF token
    post(testapp, f"/project/assigned/tasks/{named.id + 1000}/assign", {"users": "alice"}, status=404)
    html = testapp.get(f"/project/assigned/tasks/{named.id}/review")
    form = next(form for form in html.forms.values() if form.action.endswith("/assign"))
    form["users"] = "carol"
    assert form.submit().status_int == 302
    assert "Only carol get this task." in testapp.get(f"/project/assigned/tasks/{named.id}/review").html.select_one(
        "#assignment").get_text(" ", strip=True).replace("  ", " ")


@pytest.mark.parametrize("who", ["coowner", "admin"])
def test_coowners_and_admins_assign_too(testapp, make, assigning, dbsession, who):
    project, named = assigning["project"], assigning["named"]
    manager = as_user(testapp, make, who, admin=(who == "admin"))
    if who == "coowner":
        project.owners_ids = [*project.owners_ids, manager.id]
        dbsession.flush()
    assert assign(testapp, named, "carol").json["flash"] == "Task assigned to carol"
    assert given(testapp, project, {"api_key": assigning["alice"].api_key}) == {assigning["free"].id}
