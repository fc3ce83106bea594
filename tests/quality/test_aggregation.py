"""Results filled by the project's aggregator the moment a task completes (``majority`` by default)."""
from __future__ import annotations

import logging
import types

import pytest
import sqlalchemy as sa

from pybossa_core.config import configure
from pybossa_core.models import Project, Result
from pybossa_core.plugin_api import Aggregate, AggregatorSpec
from pybossa_core.plugins import hookimpl
from tests.conftest import app_settings, in_test_transaction
from tests.views.conftest import sign_in
from tests.views.project_fixtures import post


def contribute(testapp, project, answers, make) -> list[dict]:
    """Each answer from a new volunteer, to the task newtask hands it; return the task runs."""
    runs = []
    for info in answers:
        volunteer = make.user()
        task = testapp.get(f"/api/{project.id}/newtask", {"api_key": volunteer.api_key}).json
        runs.append(testapp.post_json(f"/api/taskrun?api_key={volunteer.api_key}",
                                      {"project_id": project.id, "task_id": task["id"], "info": info}).json)
    return runs


def result_of(testapp, task) -> dict:
    [result] = testapp.get("/api/result", {"task_id": task.id, "all": 1}).json
    return result


def test_a_completed_task_gets_the_majority_answer(testapp, make):
    project = make.project(make.user())
    task = make.task(project, n_answers=3)
    contribute(testapp, project, [{"label": "cat"}, {"label": "dog"}, {"label": "cat"}], make)
    info = result_of(testapp, task)["info"]
    assert info == {"answer": {"label": "cat"}, "confidence": pytest.approx(2 / 3), "aggregator": "majority"}


def test_the_answer_key_picks_what_is_aggregated_and_ties_are_reported(testapp, make):
    project = make.project(make.user(), info={"answer_key": "label"})
    task = make.task(project, n_answers=2)
    contribute(testapp, project, [{"label": "dog", "seconds": 3}, {"label": "cat", "seconds": 5}], make)
    info = result_of(testapp, task)["info"]
    assert info == {"answer": "dog", "confidence": 0.5, "aggregator": "majority", "ties": ["dog", "cat"]}


def test_an_answer_that_is_not_an_object_is_aggregated_whole(testapp, make):
    project = make.project(make.user())
    task = make.task(project, n_answers=2)
    contribute(testapp, project, ["yes", "yes"], make)
    assert result_of(testapp, task)["info"]["answer"] == "yes"
    assert result_of(testapp, task)["info"]["confidence"] == 1.0


def test_lowering_n_answers_fills_the_result_too(testapp, make):
    owner = make.user()
    project = make.project(owner)
    task = make.task(project, n_answers=5)
    contribute(testapp, project, ["a", "b", "b"], make)
    testapp.put_json(f"/api/task/{task.id}?api_key={owner.api_key}", {"n_answers": 3})
    assert result_of(testapp, task)["info"]["answer"] == "b"


def test_the_redundancy_page_fills_the_results_it_completes(testapp, make, member):
    project = make.project(member, "birds")
    task = make.task(project, n_answers=5)
    contribute(testapp, project, ["x", "x"], make)
    sign_in(testapp, member)
    post(testapp, "/project/birds/tasks/redundancy", {"n_answers": 2})
    assert result_of(testapp, task)["info"] == {"answer": "x", "confidence": 1.0, "aggregator": "majority"}


# -- aggregators from plugins ---------------------------------------------------------------


def _broken(task, votes):
    raise RuntimeError("the aggregator is broken")


def _first(task, votes):
    return Aggregate(votes[0].answer, 0.25, {"n_votes": len(votes)})


@hookimpl(specname="register_aggregators")
def _register() -> list[AggregatorSpec]:
    return [AggregatorSpec("broken", "Broken", _broken), AggregatorSpec("first", "First answer", _first)]


@pytest.fixture
def plugin_site(dbengine, uploads_dir, tm, dbsession):
    plugin = types.ModuleType("test_aggregators")
    plugin.register_aggregators = _register
    site = configure(app_settings(dbengine, uploads_dir), plugins=[plugin], environ={}).make_wsgi_app()
    return in_test_transaction(site, tm, dbsession)


def test_a_plugins_aggregator_fills_the_result(plugin_site, make):
    owner = make.user()
    project = make.project(owner)
    plugin_site.put_json(f"/api/project/{project.id}?api_key={owner.api_key}", {"info": {"aggregator": "first"}})
    task = make.task(project, n_answers=2)
    contribute(plugin_site, project, ["b", "a"], make)
    info = result_of(plugin_site, task)["info"]
    assert info == {"answer": "b", "confidence": 0.25, "aggregator": "first", "n_votes": 2}


def test_an_aggregator_that_raises_leaves_the_result_empty_and_the_answer_saved(plugin_site, make, dbsession, caplog):
    project = make.project(make.user(), info={"aggregator": "broken"})
    task = make.task(project, n_answers=1)
    with caplog.at_level(logging.ERROR, logger="pybossa_core.aggregation"):
        [run] = contribute(plugin_site, project, ["a"], make)
    assert run["id"] is not None
    assert result_of(plugin_site, task)["info"] is None
    assert "aggregator broken failed on task" in caplog.text


def test_an_unknown_aggregator_is_refused_by_the_api(testapp, make, dbsession):
    owner = make.user()
    project = make.project(owner)
    body = testapp.put_json(f"/api/project/{project.id}?api_key={owner.api_key}",
                            {"info": {"aggregator": "nonesuch"}}, status=415).json
    assert body["exception_msg"] == "info.aggregator: 'nonesuch' is not an aggregator of this site"
    dbsession.expire_all()
    assert dbsession.get(Project, project.id).info == {}


def test_a_project_whose_aggregator_is_gone_uses_majority_and_says_so(testapp, make, member, dbsession):
    project = make.project(member, "birds", info={"aggregator": "uninstalled"})
    task = make.task(project, n_answers=1)
    contribute(testapp, project, ["a"], make)
    assert result_of(testapp, task)["info"]["aggregator"] == "majority"
    # The project's other settings still change.
    testapp.put_json(f"/api/project/{project.id}?api_key={member.api_key}",
                     {"description": "still editable", "info": {"aggregator": "uninstalled"}})
    sign_in(testapp, member)
    page = testapp.get("/project/birds/tasks/quality", headers={"Accept": "application/json"}).json
    assert page["status"] == "warning"
    assert page["flash"] == "The aggregator 'uninstalled' is not installed on this site: results use 'majority'."
    html = testapp.get("/project/birds/tasks/quality").text
    assert "is not installed on this site" in html


# -- the settings page ----------------------------------------------------------------------


def test_owner_sets_gold_rate_aggregator_and_answer_key_on_the_settings_page(testapp, make, member, dbsession):
    project = make.project(member, "birds", info={"task_presenter": "<p>"})
    sign_in(testapp, member)
    page = testapp.get("/project/birds/tasks/quality")
    assert '<option value="majority">Majority vote</option>' in page.text
    form = page.forms[0]
    form["gold_rate"], form["aggregator"], form["answer_key"] = "0.1", "majority", "label"
    assert form.submit().status_int == 302
    dbsession.expire_all()
    assert dbsession.get(Project, project.id).info == {
        "task_presenter": "<p>", "gold_rate": 0.1, "aggregator": "majority", "answer_key": "label"
    }
    # Empty fields put the defaults back.
    post(testapp, "/project/birds/tasks/quality", {"gold_rate": "", "aggregator": "", "answer_key": ""})
    dbsession.expire_all()
    assert dbsession.get(Project, project.id).info == {"task_presenter": "<p>"}


@pytest.mark.parametrize(("field", "value", "message"), [
    ("gold_rate", "2", "must be a number between 0 and 1"),
    ("gold_rate", "lots", "must be a number between 0 and 1"),
    ("aggregator", "nonesuch", "'nonesuch' is not an aggregator of this site"),
])
def test_bad_settings_are_form_errors_and_nothing_is_saved(testapp, make, member, dbsession, field, value, message):
    project = make.project(member, "birds")
    sign_in(testapp, member)
    body = post(testapp, "/project/birds/tasks/quality", {field: value}).json
    assert body["form"]["errors"] == {field: [message]} and body["status"] == "error"
    dbsession.expire_all()
    assert dbsession.get(Project, project.id).info == {}


def test_only_owners_see_the_quality_settings(testapp, make, member):
    make.project(member, "birds")
    assert testapp.get("/project/birds/tasks/quality").status_int == 302
    sign_in(testapp, make.user("someone", passwd_hash=member.passwd_hash))
    testapp.get("/project/birds/tasks/quality", status=403)
