"""``/project/<short_name>/stats``: the project's statistics, for every kind of visitor, computed once and cached."""
from __future__ import annotations

import datetime

import pytest
import sqlalchemy as sa

from pybossa_core.models import TaskRun, User
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


def top_volunteers_recounted(dbsession, project) -> tuple[list, list]:
    """The stats page's top 5 anonymous and signed-in volunteers counted from the task runs: most
    answers first, then by the counters' name of the volunteer (its address, ``u<user id>``)."""
    answers = sa.func.count(TaskRun.id)
    anonymous = dbsession.execute(
        sa.select(TaskRun.user_ip, answers).where(TaskRun.project_id == project.id, TaskRun.user_id.is_(None))
        .group_by(TaskRun.user_ip).order_by(answers.desc(), TaskRun.user_ip).limit(5)).all()
    who = sa.literal("u") + sa.cast(User.id, sa.String)
    signed_in = dbsession.execute(
        sa.select(User.name, User.fullname, answers).join(TaskRun, TaskRun.user_id == User.id)
        .where(TaskRun.project_id == project.id).group_by(User.id, User.name, User.fullname)
        .order_by(answers.desc(), who).limit(5)).all()
    return ([{"ip": ip, "loc": None, "tasks": n} for ip, n in anonymous],
            [{"name": name, "fullname": fullname, "tasks": n} for name, fullname, n in signed_in])


def test_the_top_volunteers_stay_exact_after_answers_deletes_and_the_project_going_private(testapp, make, project,
                                                                                         member, dbsession):
    volunteers = [make.user(f"volunteer{number}") for number in range(7)]
    runs = []
    # Ties in both kinds, more than five of each, the anonymous ones fewer answers than the signed-in.
    for number, count in enumerate((3, 3, 2, 2, 1, 1, 1)):
        runs += [make.task_run(make.task(project), None, user_ip=f"10.0.0.{number}") for _ in range(count)]
    for volunteer, count in zip(volunteers, (4, 5, 4, 6, 2, 2, 9)):
        runs += [make.task_run(make.task(project), volunteer) for _ in range(count)]
    key = f"?api_key={member.api_key}"

    def shown() -> tuple[list, list]:
        figures = testapp.get(f"/project/{project.short_name}/stats{key}", headers=JSON).json["userStats"]
        listed = (figures["anonymous"]["top5"], figures["authenticated"]["top5"])
        assert listed == top_volunteers_recounted(dbsession, project)
        return listed

    anonymous, signed_in = shown()
    assert [volunteer["ip"] for volunteer in anonymous] == ["10.0.0.0", "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"]
    assert [volunteer["tasks"] for volunteer in signed_in] == [9, 6, 5, 4, 4]
    # An anonymous answer and a signed-in one deleted, then a task with its answer.
    first_anonymous = next(run for run in runs if run.user_ip == "10.0.0.0")
    testapp.delete(f"/api/taskrun/{first_anonymous.id}{key}", status=204)
    best = next(run for run in runs if run.user_id == volunteers[6].id)
    testapp.delete(f"/api/taskrun/{best.id}{key}", status=204)
    second = next(run for run in runs if run.user_id == volunteers[3].id)
    testapp.delete(f"/api/task/{second.task_id}{key}", status=204)
    anonymous, signed_in = shown()
    assert [volunteer["ip"] for volunteer in anonymous][:3] == ["10.0.0.1", "10.0.0.0", "10.0.0.2"]
    assert [volunteer["tasks"] for volunteer in signed_in] == [8, 5, 5, 4, 4]
    testapp.put_json(f"/api/project/{project.id}{key}", {"private": True})
    assert shown() == (anonymous, signed_in)
