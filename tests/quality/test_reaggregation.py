"""``POST /api/project/<id>/aggregate``: the project's results filled again, in a background job."""
from __future__ import annotations

import types

import pytest

from pybossa_core.plugin_api import Aggregate, AggregatorSpec, plurality
from pybossa_core.plugins import hookimpl
from pybossa_core.testing import answer_next_task, create_project, create_tasks, create_user


def _project_wide(votes_by_task):
    """Every task's answer is the project's most given answer (a whole-project aggregator)."""
    overall = plurality([vote for votes in votes_by_task.values() for vote in votes])
    return {task_id: Aggregate(overall.answer, 0.5, {"tasks": len(votes_by_task)}) for task_id in votes_by_task}


def _failing(votes_by_task):
    raise RuntimeError("the project aggregator is broken")


@hookimpl(specname="register_aggregators")
def _register():
    return [
        AggregatorSpec("project-wide", "Project-wide", lambda task, votes: plurality(votes), aggregate_project=_project_wide),
        AggregatorSpec("failing", "Failing", lambda task, votes: plurality(votes), aggregate_project=_failing),
    ]


@pytest.fixture
def pybossa_plugins():
    plugin = types.ModuleType("test_project_aggregators")
    plugin.register_aggregators = _register
    return [plugin]


def _answered(testapp, aggregator):
    owner = create_user(testapp, "owner")
    project = create_project(testapp, owner, "birds", info={"aggregator": aggregator})
    tasks = create_tasks(testapp, owner, project, [{"n": n} for n in range(3)], n_answers=1)
    volunteer = create_user(testapp, "volunteer")
    for answer in ("cat", "dog", "cat"):
        answer_next_task(testapp, volunteer, project, answer)
    return owner, project, tasks


def _results(testapp, project):
    return {result["task_id"]: result["info"]
            for result in testapp.get("/api/result", {"project_id": project["id"], "all": 1}).json}


def test_a_whole_project_aggregator_fills_every_result_and_keeps_the_owners_keys(pybossa_testapp):
    owner, project, tasks = _answered(pybossa_testapp, "project-wide")
    assert [_results(pybossa_testapp, project)[task["id"]]["answer"] for task in tasks] == ["cat", "dog", "cat"]
    [dog] = [result_id for result_id in pybossa_testapp.get("/api/result", {"task_id": tasks[1]["id"]}).json]
    pybossa_testapp.put_json(f"/api/result/{dog['id']}?api_key={owner.api_key}",
                             {"info": {**dog["info"], "checked_by": "owner"}})
    body = pybossa_testapp.post_json(f"/api/project/{project['id']}/aggregate?api_key={owner.api_key}", {}).json
    assert body == {"status": "queued", "aggregator": "project-wide"}
    results = _results(pybossa_testapp, project)
    assert [results[task["id"]]["answer"] for task in tasks] == ["cat", "cat", "cat"]
    assert results[tasks[1]["id"]] == {"answer": "cat", "confidence": 0.5, "aggregator": "project-wide", "tasks": 3,
                                       "checked_by": "owner"}


def test_a_failing_project_aggregator_leaves_the_results_as_they_were(pybossa_testapp, caplog):
    owner, project, tasks = _answered(pybossa_testapp, "failing")
    before = _results(pybossa_testapp, project)
    pybossa_testapp.post_json(f"/api/project/{project['id']}/aggregate?api_key={owner.api_key}", {})
    assert _results(pybossa_testapp, project) == before
    assert "aggregator failing failed on project" in caplog.text


def test_only_owners_ask_for_aggregation(pybossa_testapp):
    owner, project, _ = _answered(pybossa_testapp, "project-wide")
    url = f"/api/project/{project['id']}/aggregate"
    assert pybossa_testapp.post_json(url, {}, status=401).json["exception_cls"] == "Unauthorized"
    other = create_user(pybossa_testapp, "other")
    assert pybossa_testapp.post_json(f"{url}?api_key={other.api_key}", {}, status=403).json["status_code"] == 403
    pybossa_testapp.post_json(f"/api/project/999999/aggregate?api_key={owner.api_key}", {}, status=404)
    pybossa_testapp.get(f"{url}?api_key={owner.api_key}", status=405)


def test_the_quality_page_asks_for_aggregation_again(pybossa_testapp):
    from pybossa_core.testing import signed_in_browser

    owner, project, tasks = _answered(pybossa_testapp, "project-wide")
    browser = signed_in_browser(pybossa_testapp, owner)
    page = browser.get("/project/birds/tasks/quality")
    response = page.forms[1].submit()
    assert response.status_int == 302 and response.location.endswith("/project/birds/tasks/quality")
    assert "The results are being aggregated again." in response.follow().text
    assert [_results(pybossa_testapp, project)[task["id"]]["answer"] for task in tasks] == ["cat", "cat", "cat"]
