"""Owners mark tasks as gold on the task pages: the browse list says which are (to them only), a
task's review page sets or clears its expected answer."""
from __future__ import annotations

import pytest

from pybossa_core.models import Task
from tests.views.conftest import browser  # noqa: F401
from tests.views.project_fixtures import JSON, as_user, post


@pytest.fixture
def project(make, member):
    return make.project(member, "birds")


def stored(dbsession, task):
    dbsession.expire_all()
    found = dbsession.get(Task, task.id)
    return found.calibration, found.gold_answers


def test_an_owner_marks_a_task_gold_from_its_page_and_unmarks_it(browser, make, project, dbsession):
    task = make.task(project)
    form = browser.get(f"/project/birds/tasks/{task.id}/review").forms[1]
    assert form.action == f"/project/birds/tasks/{task.id}/gold"
    form["gold_answers"] = '{"label": "bird"}'
    page = form.submit("gold", value="1").follow()
    assert "The task is a gold task" in page.text
    assert stored(dbsession, task) == (1, {"label": "bird"})
    # The page shows the expected answer back, and the API now calls the task gold.
    assert page.forms[1]["gold_answers"].value == '{"label": "bird"}'
    assert browser.get(f"/project/birds/tasks/{task.id}/review", headers=JSON).json["task"]["gold"] is True

    page.forms[1].submit("gold", value="0").follow()
    assert stored(dbsession, task) == (0, None)


@pytest.mark.parametrize(("sent", "error"), [
    ("{label: bird", 'The expected answer must be JSON, such as {"label": "bird"} or "bird".'),
    ("", "A gold task (calibration = 1) needs its expected answers (gold_answers)."),
    ("null", "A gold task (calibration = 1) needs its expected answers (gold_answers)."),
])
def test_bad_expected_answers_are_a_form_error_and_nothing_is_saved(browser, make, project, dbsession, sent, error):
    task = make.task(project)
    body = post(browser, f"/project/birds/tasks/{task.id}/gold", {"gold": "1", "gold_answers": sent}).json
    assert body["status"] == "error"
    assert body["gold_form"]["errors"] == {"gold_answers": [error]} and body["gold_form"]["gold_answers"] == sent
    assert stored(dbsession, task) == (0, None)


def test_a_json_client_sends_the_expected_answer_itself(browser, make, project, dbsession):
    task = make.task(project)
    body = post(browser, f"/project/birds/tasks/{task.id}/gold", {"gold": 1, "gold_answers": {"label": "kite"}}).json
    assert body["status"] == "success"
    assert stored(dbsession, task) == (1, {"label": "kite"})


def test_the_browse_list_shows_gold_tasks_to_owners_only(testapp, browser, make, project, dbsession):
    gold, ordinary = make.task(project, calibration=1, gold_answers="bird"), make.task(project)
    listed = browser.get("/project/birds/tasks/browse", headers=JSON).json
    assert [(task["id"], task["gold"]) for task in listed["tasks"]] == [(gold.id, True), (ordinary.id, False)]
    html = browser.get("/project/birds/tasks/browse")
    assert html.html.select_one(f'a[href="/project/birds/tasks/{gold.id}/review#gold"]').text == "Gold"
    assert html.html.select_one(f'a[href="/project/birds/tasks/{ordinary.id}/review#gold"]').text == "Make it gold"

    browser.reset()  # signed out: a volunteer looks
    as_user(testapp, make, "volunteer")
    listed = testapp.get("/project/birds/tasks/browse", headers=JSON).json
    assert ["gold" in task for task in listed["tasks"]] == [False, False] and listed["show_gold"] is False
    assert "review#gold" not in testapp.get("/project/birds/tasks/browse").text


def test_only_owners_mark_gold_tasks_and_only_by_a_post_with_its_token(browser, testapp, make, project, dbsession):
    task = make.task(project)
    refused = browser.post_json(f"/project/birds/tasks/{task.id}/gold", {"gold": "1", "gold_answers": '"bird"'},
                                headers=JSON, status=400)
    assert refused.json["description"] == "CSRF token missing or incorrect."
    browser.get(f"/project/birds/tasks/{task.id}/gold", status=405)
    browser.reset()
    as_user(testapp, make, "stranger")
    post(testapp, f"/project/birds/tasks/{task.id}/gold", {"gold": "1", "gold_answers": '"bird"'}, status=403)
    assert stored(dbsession, task) == (0, None)
