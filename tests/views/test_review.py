"""Owners review answers: accepted or rejected with a note, and a rejected answer leaves the result."""
from __future__ import annotations

import pytest

from pybossa_core.models import Result, TaskRun
from tests.views.project_fixtures import JSON, as_user, post


@pytest.fixture
def answered(testapp, make, member, project):
    """A task of ``project`` completed by three API answers: two "yes", one "no"."""
    task = make.task(project, n_answers=3)
    for answer in ("yes", "yes", "no"):
        volunteer = make.user()
        testapp.get(f"/api/{project.id}/newtask", {"api_key": volunteer.api_key})
        testapp.post_json(f"/api/taskrun?api_key={volunteer.api_key}",
                          {"project_id": project.id, "task_id": task.id, "info": answer})
    return task


def result_info(dbsession, task):
    dbsession.expire_all()
    return dbsession.query(Result).filter_by(task_id=task.id, last_version=True).one().info


def test_review_is_for_owners(testapp, make, member, project, answered, dbsession):
    run = dbsession.query(TaskRun).filter_by(task_id=answered.id).first()
    assert testapp.get(f"/project/birds/tasks/{answered.id}/review", headers=JSON, status=302).json["status"] == "not_signed_in"
    as_user(testapp, make, "stranger")
    testapp.get(f"/project/birds/tasks/{answered.id}/review", headers=JSON, status=403)
    post(testapp, f"/project/birds/taskrun/{run.id}/review", {"verdict": "rejected"}, status=403)
    dbsession.expire_all()
    assert dbsession.get(TaskRun, run.id).review is None


def test_an_owner_rejects_an_answer_and_the_result_follows(make, member, browser, project, answered, dbsession):
    assert result_info(dbsession, answered)["answer"] == "yes"
    page = browser.get(f"/project/birds/tasks/{answered.id}/review", headers=JSON).json
    assert page["template"] == "/projects/task_review.html" and page["task"]["state"] == "completed"
    runs = page["task_runs"]
    assert [run["info"] for run in runs] == ["yes", "yes", "no"] and {run["review"] for run in runs} == {None}

    for run in runs[:2]:
        saved = post(browser, f"/project/birds/taskrun/{run['id']}/review", {"verdict": "rejected", "note": "spam"}).json
        assert saved == {"next": f"/project/birds/tasks/{answered.id}/review", "flash": "Review saved", "status": "success"}
    assert result_info(dbsession, answered)["answer"] == "no"
    exported = browser.get(f"/api/taskrun/{runs[0]['id']}", {"api_key": member.api_key}).json
    assert (exported["review"], exported["review_note"]) == ("rejected", "spam")

    post(browser, f"/project/birds/taskrun/{runs[0]['id']}/review", {"verdict": ""})
    assert browser.get(f"/project/birds/tasks/{answered.id}/review", headers=JSON).json["task_runs"][0]["review"] is None

    bad = post(browser, f"/project/birds/taskrun/{runs[0]['id']}/review", {"verdict": "maybe"}).json
    assert bad["status"] == "error" and "accepted, rejected" in bad["flash"]
    long = post(browser, f"/project/birds/taskrun/{runs[0]['id']}/review", {"verdict": "accepted", "note": "x" * 2001}).json
    assert long["status"] == "error"
    browser.get(f"/project/birds/taskrun/{runs[0]['id']}/review", headers=JSON, status=405)
    other = make.project(make.user(), "other")
    post(browser, f"/project/other/taskrun/{runs[0]['id']}/review", {"verdict": "accepted"}, status=403)
    browser.get(f"/project/birds/tasks/{make.task(other).id}/review", headers=JSON, status=404)
