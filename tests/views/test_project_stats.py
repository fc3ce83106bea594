"""``/project/<short_name>/stats``: the project's statistics, for every kind of visitor, computed once and cached."""
from __future__ import annotations

import datetime

import pytest

from pybossa_core.models.meta import utcnow
from tests.views.conftest import sign_in
from tests.views.project_fixtures import JSON, as_user

STATS_KEYS = {
    "avg_contrib_time", "last_activity", "n_completed_tasks", "n_task_runs", "n_tasks", "n_volunteers",
    "overall_progress", "owner", "pro_features", "project", "projectStats", "template", "title", "userStats",
}


@pytest.fixture
def answered(make, project):
    """Two tasks of ``project``: three answers from alice, bob and one anonymous caller, 10, 20 and 30 s long."""
    first, second = make.task(project, n_answers=2), make.task(project, n_answers=5)
    alice, bob = make.user("alice", fullname="Alice A"), make.user("bob")
    now = utcnow()
    start = now - datetime.timedelta(minutes=5)
    make.task_run(first, alice, created=start, finish_time=start + datetime.timedelta(seconds=10))
    make.task_run(second, alice, created=start, finish_time=start + datetime.timedelta(seconds=20))
    make.task_run(first, bob, created=start, finish_time=start + datetime.timedelta(seconds=30))
    make.task_run(second, None, user_ip="10.0.0.x", created=start, finish_time=start + datetime.timedelta(seconds=40))
    first.state = "completed"
    return start


def test_stats_of_an_answered_project_for_anonymous(testapp, answered):
    body = testapp.get("/project/birds/stats", headers=JSON).json
    assert set(body) == STATS_KEYS
    assert body["template"] == "/projects/stats.html" and body["title"] == "Project: Birds &middot; Statistics"
    assert body["avg_contrib_time"] == 25.0
    assert (body["n_tasks"], body["n_completed_tasks"], body["n_volunteers"], body["overall_progress"]) == (2, 1, 3, 50)
    assert body["userStats"] == {
        "geo": False,
        "anonymous": {"users": 1, "taskruns": 1, "pct_taskruns": 25, "top5": [{"ip": "10.0.0.x", "loc": None, "tasks": 1}]},
        "authenticated": {"users": 2, "taskruns": 3, "pct_taskruns": 75, "top5": [
            {"name": "alice", "fullname": "Alice A", "tasks": 2}, {"name": "bob", "fullname": "Bob", "tasks": 1},
        ]},
    }
    charts = body["projectStats"]
    assert charts["userStats"]["values"] == [{"label": "Anonymous", "value": [0, 1]}, {"label": "Authenticated", "value": [0, 2]}]
    assert charts["userAuthStats"]["values"] == [{"label": "alice", "value": [2]}, {"label": "bob", "value": [1]}]
    day = int(datetime.datetime(answered.year, answered.month, answered.day, tzinfo=datetime.UTC).timestamp()) * 1000
    assert [series["values"] for series in charts["dayStats"]] == [[[day, 4]], [[day, 1]], [[day, 3]]]
    hours = charts["hourStats"]
    assert [series["label"] for series in hours] == ["Anon + Auth", "Anonymous", "Authenticated"]
    assert hours[0]["max"] == 4 and hours[0]["values"][answered.hour] == [answered.hour, 4, 5.0]
    assert all(len(series["values"]) == 24 for series in hours)
    assert body["project"]["short_name"] == "birds" and "secret_key" not in body["project"]
    assert body["pro_features"]["better_stats_enabled"] is False


def test_stats_for_owner_other_user_and_admin(testapp, make, member, answered):
    sign_in(testapp, member)
    body = testapp.get("/project/birds/stats/", headers=JSON).json
    assert "secret_key" in body["project"] and body["pro_features"]["better_stats_enabled"] is True
    assert body["userStats"]["authenticated"]["taskruns"] == 3
    as_user(testapp, make, "other")
    body = testapp.get("/project/birds/stats", headers=JSON).json
    assert "secret_key" not in body["project"] and body["avg_contrib_time"] == 25.0
    as_user(testapp, make, "boss", admin=True)
    assert "secret_key" in testapp.get("/project/birds/stats", headers=JSON).json["project"]


def test_a_project_without_answers_has_no_statistics(testapp, make, project):
    make.task(project)
    body = testapp.get("/project/birds/stats", headers=JSON).json
    assert body["template"] == "/projects/non_stats.html"
    assert not {"avg_contrib_time", "projectStats", "userStats"} & set(body)
    assert (body["n_tasks"], body["n_volunteers"], body["n_completed_tasks"]) == (1, 0, 0)


def test_unknown_projects_and_drafts_are_not_found(testapp, make, project):
    testapp.get("/project/nothere/stats", headers=JSON, status=404)
    project.published = False
    testapp.get("/project/birds/stats", headers=JSON, status=404)
    as_user(testapp, make, "other")
    testapp.get("/project/birds/stats", headers=JSON, status=404)


def test_warm_stats_are_read_from_the_cache_until_a_new_answer(testapp, make, project, answered, queries):
    testapp.get("/project/birds/stats", headers=JSON)
    queries.statements.clear()
    warm = testapp.get("/project/birds/stats", headers=JSON).json
    assert not any("project_counts" in statement or "group by" in statement.lower() for statement in queries.statements)
    assert warm["userStats"]["anonymous"]["taskruns"] == 1
    make.task_run(make.task(project), None, user_ip="10.0.0.y")
    queries.statements.clear()
    fresh = testapp.get("/project/birds/stats", headers=JSON).json
    # Recomputed from the counters, never from the task runs.
    assert any("project_counts" in statement for statement in queries.statements)
    assert not any("from task_run" in statement.lower() for statement in queries.statements), queries.statements
    assert fresh["userStats"]["anonymous"] == {**warm["userStats"]["anonymous"], "users": 2, "taskruns": 2, "pct_taskruns": 40,
                                               "top5": fresh["userStats"]["anonymous"]["top5"]}
