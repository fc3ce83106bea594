"""``/stats/``: the site's totals and the last 24 hours' most active, kept in the cache until a write."""
from __future__ import annotations

import dataclasses
import datetime
import os
import re
import uuid

import pytest

from pybossa_core.interfaces import IStatsCalculators, find_service
from pybossa_core.models.meta import utcnow
from tests.views.conftest import JSON, PASSWORD_HASH, sign_in

REDIS_URL = os.environ.get("PYBOSSA_TEST_REDIS_URL")
STATS_KEYS = {
    "locs", "projects", "show_locs", "stats", "tasks", "template", "title",
    "top5_projects_24_hours", "top5_users_24_hours", "users",
}


@pytest.fixture(params=["memory", *(["redis"] if REDIS_URL else [])])
def site(request, site_with):
    """A site whose cache is in process memory, or (when the tests have Redis) in Redis under its own prefix."""
    if request.param == "memory":
        return site_with()
    return site_with(**{"redis.url": REDIS_URL, "redis.prefix": f"test-{uuid.uuid4().hex}"})


@pytest.fixture
def figures(make):
    """Three users, a published and a draft project, three tasks, answers old and new, anonymous and not."""
    owner = make.user("owner", passwd_hash=PASSWORD_HASH)
    volunteer = make.user("volunteer", fullname="Vol Unteer")
    make.user("idle")
    birds = make.project(owner, "birds", name="Birds", info={"thumbnail": "b.png", "task_presenter": "<p>x</p>"})
    draft = make.project(owner, "draft", published=False)
    task, other, _ = make.task(birds), make.task(birds), make.task(draft)
    long_ago = utcnow() - datetime.timedelta(days=3)
    make.task_run(task, volunteer)
    make.task_run(other, volunteer, created=long_ago)
    make.task_run(task, owner, created=long_ago)
    make.task_run(task, user_ip="anon-a")
    make.task_run(other, user_ip="anon-a")
    make.task_run(other, user_ip="anon-b", created=long_ago)
    return owner, volunteer, birds


def test_stats_counts_contributors_projects_tasks_and_answers_for_everyone(site, make, figures):
    owner, volunteer, birds = figures
    admin = make.admin("root")
    admin.passwd_hash = PASSWORD_HASH
    anonymous = site.get("/stats/", headers=JSON).json
    assert set(anonymous) == STATS_KEYS
    assert anonymous["template"] == "/stats/global.html" and anonymous["title"] == "Global Statistics"
    assert anonymous["locs"] == "[]" and anonymous["show_locs"] is False
    assert anonymous["stats"] == {
        "n_anon": 2, "n_auth": 4, "n_draft_projects": 1, "n_published_projects": 1,
        "n_task_runs": 6, "n_tasks": 3, "n_total_projects": 2, "n_total_users": 6,
    }
    assert anonymous["users"] == {"label": "User Statistics", "values": [
        {"label": "Anonymous", "value": [0, 2]}, {"label": "Authenticated", "value": [0, 4]}]}
    assert anonymous["projects"] == {"label": "Projects Statistics", "values": [
        {"label": "Published", "value": [0, 1]}, {"label": "Draft", "value": [0, 1]}]}
    assert anonymous["tasks"] == {"label": "Task and Task Run Statistics", "values": [
        {"label": "Tasks", "value": [0, 3]}, {"label": "Answers", "value": [1, 6]}]}
    # The last 24 hours: three answers to Birds, one of them by a signed-in volunteer.
    assert anonymous["top5_projects_24_hours"] == [
        {"id": birds.id, "name": "Birds", "short_name": "birds", "info": {"thumbnail": "b.png"}, "n_answers": 3}
    ]
    assert anonymous["top5_users_24_hours"] == [
        {"id": volunteer.id, "name": "volunteer", "fullname": "Vol Unteer", "n_answers": 1}
    ]

    sign_in(site, owner)
    assert site.get("/stats", headers=JSON).json == anonymous
    sign_in(site, admin)
    assert site.get("/stats/", headers=JSON).json == anonymous


def test_stats_is_served_from_the_cache_and_changes_after_a_new_task_run(site, make, figures, queries, monkeypatch):
    owner, volunteer, birds = figures
    first = site.get("/stats/", headers=JSON).json

    computed = []
    calculators = find_service(site.app.app.registry, IStatsCalculators)
    real = calculators["site"].recompute
    monkeypatch.setitem(calculators, "site", dataclasses.replace(
        calculators["site"], recompute=lambda session, now: computed.append(1) or real(session, now)))
    queries.statements.clear()
    assert site.get("/stats/", headers=JSON).json == first
    assert computed == []
    assert not [statement for statement in queries.statements if "task_run" in statement.lower()]

    # An answer through the API: the owner has answered nothing in the last 24 hours yet (ties: oldest user first).
    task = site.get(f"/api/{birds.id}/newtask", {"api_key": owner.api_key}).json
    answer = {"project_id": birds.id, "task_id": task["id"], "info": {"answer": "yes"}}
    site.post_json(f"/api/taskrun?api_key={owner.api_key}", answer)
    queries.statements.clear()
    after = site.get("/stats/", headers=JSON).json
    assert computed == [1]
    # Recomputed from the counters, the 24-hour lists too: no statement reads the task runs.
    assert queries.statements and not [statement for statement in queries.statements if re.search(r"\btask_run\b", statement)]
    assert after["stats"]["n_task_runs"] == 7 and after["stats"]["n_tasks"] == 3
    assert after["top5_projects_24_hours"][0]["n_answers"] == 4
    assert [(user["name"], user["n_answers"]) for user in after["top5_users_24_hours"]] == [
        ("owner", 1), ("volunteer", 1)
    ]


def test_the_24_hour_tops_keep_five_best_first(testapp, make):
    owner = make.user("owner")
    projects = [make.project(owner, f"p{number}") for number in range(7)]
    for count, project in enumerate(projects, start=1):
        task = make.task(project)
        for _ in range(count):
            make.task_run(task)
    body = testapp.get("/stats/", headers=JSON).json
    assert [(project["short_name"], project["n_answers"]) for project in body["top5_projects_24_hours"]] == [
        ("p6", 7), ("p5", 6), ("p4", 5), ("p3", 4), ("p2", 3)
    ]
    assert body["top5_users_24_hours"] == []


def test_the_24_hour_lists_count_the_answers_of_the_last_day_by_the_hour(testapp, make):
    volunteer = make.user("volunteer")
    project = make.project(make.user("owner"), "p")
    now = utcnow()
    for hours in (0, 23, 26):
        make.task_run(make.task(project), volunteer, created=now - datetime.timedelta(hours=hours))
    body = testapp.get("/stats/", headers=JSON).json
    assert [(project["short_name"], project["n_answers"]) for project in body["top5_projects_24_hours"]] == [("p", 2)]
    assert [(user["name"], user["n_answers"]) for user in body["top5_users_24_hours"]] == [("volunteer", 2)]
