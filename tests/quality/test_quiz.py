"""The qualification quiz: gold tasks first, then real work for those who pass, a polite refusal for the others."""
from __future__ import annotations

import pytest

from pybossa_core.services.quiz import REFUSAL
from tests.views.conftest import PASSWORD_HASH, sign_in
from tests.views.project_fixtures import post

GOLD = {"label": "bird"}
WRONG = {"label": "plane"}


def next_task(testapp, project, volunteer):
    query = {"api_key": volunteer.api_key} if volunteer else {}
    return testapp.get(f"/api/{project.id}/newtask", query).json


def answer(testapp, project, volunteer, task, info):
    url = "/api/taskrun" + (f"?api_key={volunteer.api_key}" if volunteer else "")
    testapp.post_json(url, {"project_id": project.id, "task_id": task["id"], "info": info})


@pytest.fixture
def quiz_project(testapp, make):
    """A project with two gold tasks, two ordinary ones, and a two-question quiz to pass with both right."""
    owner = make.user()
    project = make.project(owner, "quizzed", info={"task_presenter": "<p>quiz</p>"})
    gold = [make.task(project, calibration=1, gold_answers=GOLD, info={"g": n}, n_answers=50) for n in range(2)]
    ordinary = [make.task(project, info={"photo": n}, n_answers=3) for n in range(2)]
    testapp.put_json(f"/api/project/{project.id}?api_key={owner.api_key}",
                     {"info": {**project.info, "quiz": {"questions": 2, "pass_rate": 1}}})
    return owner, project, {task.id for task in gold}, {task.id for task in ordinary}


@pytest.mark.parametrize("signed_in", [True, False])
def test_a_volunteer_who_passes_gets_real_tasks(testapp, make, quiz_project, signed_in):
    owner, project, gold, ordinary = quiz_project
    volunteer = make.user() if signed_in else None
    for _ in range(2):
        task = next_task(testapp, project, volunteer)
        assert task["id"] in gold
        answer(testapp, project, volunteer, task, GOLD)
    assert next_task(testapp, project, volunteer)["id"] in ordinary
    [standing] = testapp.get(f"/api/project/{project.id}/quiz", {"api_key": owner.api_key}).json
    assert (standing["answered"], standing["correct"], standing["status"]) == (2, 2, "passed")
    assert standing["volunteer"].startswith("user:" if signed_in else "anon:")


def test_a_volunteer_who_fails_is_refused_politely(testapp, make, quiz_project):
    owner, project, gold, _ = quiz_project
    volunteer = make.user()
    first = next_task(testapp, project, volunteer)
    answer(testapp, project, volunteer, first, GOLD)
    [standing] = testapp.get(f"/api/project/{project.id}/quiz", {"api_key": owner.api_key}).json
    assert standing["status"] == "in_progress"
    second = next_task(testapp, project, volunteer)
    assert second["id"] in gold - {first["id"]}
    answer(testapp, project, volunteer, second, WRONG)
    refused = next_task(testapp, project, volunteer)
    assert refused["id"] is None and refused["info"] == {"error": REFUSAL}
    [standing] = testapp.get(f"/api/project/{project.id}/quiz", {"api_key": owner.api_key}).json
    assert (standing["answered"], standing["correct"], standing["status"]) == (2, 1, "failed")
    page = testapp.get(f"/project/{project.short_name}/newtask", {"api_key": volunteer.api_key},
                       headers={"Accept": "application/json"}).json
    assert (page["flash"], page["status"]) == (REFUSAL, "info")


def test_the_results_are_for_owners(testapp, make, quiz_project):
    _, project, _, _ = quiz_project
    testapp.get(f"/api/project/{project.id}/quiz", status=401)
    testapp.get(f"/api/project/{project.id}/quiz", {"api_key": make.user().api_key}, status=403)
    testapp.get("/api/project/999999/quiz", status=404)


@pytest.mark.parametrize("quiz, message", [
    ({"questions": 3, "pass_rate": 0.5}, "the project has 2 gold task(s), fewer than the 3 asked"),
    ({"questions": 0}, "questions must be a whole number of at least 1"),
    ({"questions": 1, "pass_rate": 2}, "pass_rate must be a number between 0 and 1"),
    ({"questions": 1, "rate": 1}, "must be {"),
    ("five", "must be {"),
])
def test_a_quiz_the_project_cannot_have_is_refused(testapp, quiz_project, quiz, message):
    owner, project, _, _ = quiz_project
    body = testapp.put_json(f"/api/project/{project.id}?api_key={owner.api_key}",
                            {"info": {"quiz": quiz}}, status=415).json
    assert body["exception_cls"] == "ValueError" and body["target"] == "project"
    assert message in body["exception_msg"]
    assert project.info["quiz"] == {"questions": 2, "pass_rate": 1}


# -- the quality settings page ---------------------------------------------------------------


def test_owners_set_the_quiz_on_the_quality_page_and_see_the_standings(testapp, make, dbsession):
    owner = make.user("quizowner", passwd_hash=PASSWORD_HASH)
    project = make.project(owner, "quizzed", info={"task_presenter": "<p>quiz</p>"})
    for n in range(2):
        make.task(project, calibration=1, gold_answers=GOLD, info={"g": n})
    make.task(project, info={"photo": 1})
    sign_in(testapp, owner)
    form = testapp.get("/project/quizzed/tasks/quality").forms[0]
    form["quiz_questions"], form["quiz_pass_rate"] = "2", "0.5"
    assert form.submit().status_int == 302
    dbsession.expire_all()
    assert project.info["quiz"] == {"questions": 2, "pass_rate": 0.5}

    volunteer = make.user()
    answer(testapp, project, volunteer, next_task(testapp, project, volunteer), GOLD)
    page = testapp.get("/project/quizzed/tasks/quality", headers={"Accept": "application/json"}).json
    assert (page["form"]["quiz_questions"], page["form"]["quiz_pass_rate"]) == (2, 0.5)
    assert [(row["volunteer"], row["answered"], row["status"]) for row in page["quiz_results"]] == [
        (f"user:{volunteer.id}", 1, "in_progress")]
    assert "in progress" in testapp.get("/project/quizzed/tasks/quality").html.select_one("#quiz-results").get_text()

    # An empty number of questions ends the quiz; the other settings are kept.
    form = testapp.get("/project/quizzed/tasks/quality").forms[0]
    form["quiz_questions"], form["gold_rate"] = "", "0.2"
    assert form.submit().status_int == 302
    dbsession.expire_all()
    assert "quiz" not in project.info and project.info["gold_rate"] == 0.2


@pytest.mark.parametrize(("fields", "errors"), [
    ({"quiz_questions": "3"}, {"quiz_questions": ["questions: the project has 2 gold task(s), fewer than the 3 asked"]}),
    ({"quiz_questions": "0"}, {"quiz_questions": ["questions must be a whole number of at least 1"]}),
    ({"quiz_questions": "two"}, {"quiz_questions": ["questions must be a whole number of at least 1"]}),
    ({"quiz_questions": "1", "quiz_pass_rate": "2"}, {"quiz_pass_rate": ["pass_rate must be a number between 0 and 1"]}),
    ({"quiz_questions": "1", "quiz_pass_rate": "most"}, {"quiz_pass_rate": ["pass_rate must be a number between 0 and 1"]}),
])
def test_a_quiz_the_page_cannot_set_is_a_form_error_and_nothing_changes(testapp, make, dbsession, fields, errors):
    owner = make.user("quizowner", passwd_hash=PASSWORD_HASH)
    project = make.project(owner, "quizzed", info={"gold_rate": 0.1})
    for n in range(2):
        make.task(project, calibration=1, gold_answers=GOLD, info={"g": n})
    sign_in(testapp, owner)
    body = post(testapp, "/project/quizzed/tasks/quality", {"gold_rate": "0.3", **fields}).json
    assert body["status"] == "error" and body["form"]["errors"] == errors
    dbsession.expire_all()
    assert project.info == {"gold_rate": 0.1}


def test_an_external_user_takes_the_quiz_by_their_external_uid(testapp, quiz_project):
    owner, project, gold, ordinary = quiz_project
    token = testapp.get(f"/api/auth/project/{project.short_name}/token", headers={"Authorization": project.secret_key}).text
    bearer = {"Authorization": f"Bearer {token}"}

    def ask(uid):
        return testapp.get(f"/api/{project.id}/newtask", {"external_uid": uid}, headers=bearer).json

    for _ in range(2):
        task = ask("app-user-1")
        assert task["id"] in gold
        testapp.post_json("/api/taskrun?external_uid=app-user-1", {
            "project_id": project.id, "task_id": task["id"], "info": GOLD, "external_uid": "app-user-1"}, headers=bearer)
    assert ask("app-user-1")["id"] in ordinary
    # Another user of the same app starts the quiz afresh.
    assert ask("app-user-2")["id"] in gold
    standings = {row["volunteer"]: row["status"]
                 for row in testapp.get(f"/api/project/{project.id}/quiz", {"api_key": owner.api_key}).json}
    assert [status for volunteer, status in standings.items() if "app-user-1" in volunteer] == ["passed"]
