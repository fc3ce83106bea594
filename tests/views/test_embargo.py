"""An embargo (issue 19): a public project's answers, results and exports hidden from all but its
owners until a day, through every API route that carries them, the export and the results page."""
from __future__ import annotations

import datetime

import pytest

from pybossa_core.models.meta import utcnow
from tests.views.conftest import PASSWORD_HASH, sign_in
from tests.views.project_fixtures import JSON, as_user, post

LATER = utcnow().replace(microsecond=0) + datetime.timedelta(days=30)


@pytest.fixture
def embargoed(make):
    """A published project under embargo, with a completed task, its answer and its result."""
    owner = make.user("embargoowner", passwd_hash=PASSWORD_HASH)
    project = make.project(owner, "sealed", embargo_until=LATER, info={"task_presenter": "<p>"})
    task = make.task(project, n_answers=1, state="completed")
    run = make.task_run(task, make.user("volunteer"), info={"answer": "yes"})
    result = make.result(task, [run], info={"answer": "yes"})
    return {"owner": owner, "project": project, "task": task, "task_run": run, "result": result}


def sees_the_data(testapp, embargoed, query: dict) -> dict[str, bool]:
    """What of the embargoed data a caller (``query``: its api_key, or nothing) reaches, route by route."""
    project, task = embargoed["project"], embargoed["task"]
    run, result = embargoed["task_run"], embargoed["result"]
    listed = {name: [item["id"] for item in testapp.get(f"/api/{name}", {"project_id": project.id, "all": 1, **query}).json]
              for name in ("taskrun", "result")}
    related = testapp.get(f"/api/task/{task.id}", {"related": 1, **query}).json
    run_related = testapp.get("/api/taskrun", {"all": 1, "related": 1, **query}).json
    return {
        "taskrun list": listed["taskrun"] == [run.id],
        "result list": listed["result"] == [result.id],
        "taskrun item": testapp.get(f"/api/taskrun/{run.id}", query, status="*").status_code == 200,
        "result item": testapp.get(f"/api/result/{result.id}", query, status="*").status_code == 200,
        "task related": bool(related["task_runs"]) and related["result"] is not None,
        "taskrun related": bool(run_related),
        "export": testapp.get("/project/sealed/tasks/export", {"type": "result", "format": "json", **query},
                              status="*").status_code == 200,
    }


def test_outsiders_reach_none_of_it_until_the_day(testapp, make, embargoed):
    everything = dict.fromkeys(sees_the_data(testapp, embargoed, {"api_key": embargoed["owner"].api_key}), True)
    assert sees_the_data(testapp, embargoed, {"api_key": embargoed["owner"].api_key}) == everything
    assert sees_the_data(testapp, embargoed, {"api_key": make.user("admin", admin=True).api_key}) == everything
    nothing = dict.fromkeys(everything, False)
    assert sees_the_data(testapp, embargoed, {}) == nothing
    assert sees_the_data(testapp, embargoed, {"api_key": make.user("stranger").api_key}) == nothing
    # The task itself stays public: volunteers still contribute.
    assert testapp.get(f"/api/task/{embargoed['task'].id}").json["id"] == embargoed["task"].id

    embargoed["project"].embargo_until = utcnow() - datetime.timedelta(minutes=1)
    assert sees_the_data(testapp, embargoed, {}) == everything


def test_the_export_and_results_pages_say_until_when(testapp, make, embargoed):
    day = LATER.date().isoformat()
    page = testapp.get("/project/sealed/tasks/export", headers=JSON).json
    assert page["exporters"] == [] and page["status"] == "info"
    assert page["flash"] == f"The data of this project is under embargo until {day}: it can be downloaded from then on."
    refused = testapp.get("/project/sealed/tasks/export", {"type": "task", "format": "csv"}, headers=JSON, status=403).json
    assert refused["description"] == page["flash"]
    assert testapp.get("/project/sealed/results", headers=JSON).json["embargo_until"] == day
    assert f"under embargo until {day}" in testapp.get("/project/sealed/results").text

    sign_in(testapp, embargoed["owner"])
    assert "embargo_until" not in testapp.get("/project/sealed/results", headers=JSON).json
    assert len(testapp.get("/project/sealed/tasks/export", headers=JSON).json["exporters"]) == 8


def test_owners_set_and_lift_the_embargo_on_the_update_form_and_the_api(testapp, make, dbsession):
    owner = as_user(testapp, make, "sealer")
    project = make.project(owner, "sealing")
    form = testapp.get("/project/sealing/update").forms[0]
    form["embargo_until"] = "2031-05-17"
    assert form.submit().status_int == 302
    dbsession.refresh(project)
    assert project.embargo_until == datetime.datetime(2031, 5, 17)
    assert testapp.get("/project/sealing/update", headers=JSON).json["form"]["embargo_until"] == "2031-05-17"
    log = testapp.get("/project/sealing/auditlog", headers=JSON).json["logs"]
    assert [entry["attribute"] for entry in log] == ["embargo_until"]

    body = post(testapp, "/project/sealing/update", {"name": "Sealing", "short_name": "sealing", "embargo_until": "soon"}).json
    assert body["status"] == "error" and body["form"]["errors"] == {"embargo_until": ["Type the day as YYYY-MM-DD"]}
    dbsession.refresh(project)
    assert project.embargo_until == datetime.datetime(2031, 5, 17)

    api = f"/api/project/{project.id}?api_key={owner.api_key}"
    assert testapp.put_json(api, {"embargo_until": "2032-01-02T10:00:00+02:00"}).json["embargo_until"] == "2032-01-02T08:00:00.000000"
    refused = testapp.put_json(api, {"embargo_until": "next week"}, status=415).json
    assert refused["exception_msg"].startswith("embargo_until: 'next week' is not a date")
    assert testapp.put_json(api, {"embargo_until": None}).json["embargo_until"] is None
    assert testapp.put_json(api, {"assigns_tasks": True}, status=415).json["exception_msg"] == "Reserved keys in payload: assigns_tasks"
