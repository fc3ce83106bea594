"""``/stats/``: the site's totals and the last 24 hours' most active, kept in the cache until a write."""
from __future__ import annotations

import dataclasses
import datetime
import os
import re
import threading
import uuid

import pytest
import requests
import sqlalchemy as sa

from pybossa_core.db import WRITE
from pybossa_core.interfaces import IStatsCalculators, find_service
from pybossa_core.models import figure_counts
from pybossa_core.models.figures import day_window, project_day, project_hour, user_day, user_hour
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


def day_counters(session) -> dict:
    """The day's counters as the triggers keep them (PostgreSQL's pending ones counted first)."""
    figure_counts.count_own_answers(session)
    return {
        "start": session.scalar(sa.select(day_window.c.start)),
        "users": sorted(map(tuple, session.execute(sa.select(user_day.c.user_id, user_day.c.n)))),
        "projects": sorted(map(tuple, session.execute(sa.select(project_day.c.project_id, project_day.c.n)))),
    }


def summed_hours(session, now) -> dict:
    """The last 24 hours at ``now`` added up from the hour counters: what the day's counters must hold."""
    start = figure_counts.day_start(now)
    users = sa.select(user_hour.c.user_id, sa.func.sum(user_hour.c.n)).where(user_hour.c.hour >= start).group_by(
        user_hour.c.user_id).having(sa.func.sum(user_hour.c.n) > 0)
    projects = sa.select(project_hour.c.project_id, sa.func.sum(project_hour.c.n)).where(
        project_hour.c.hour >= start).group_by(project_hour.c.project_id).having(sa.func.sum(project_hour.c.n) > 0)
    return {"start": start, "users": sorted(map(tuple, session.execute(users))),
            "projects": sorted(map(tuple, session.execute(projects)))}


def test_the_24_hour_lists_stay_exact_across_hour_changes_and_agree_with_a_rebuild(testapp, make, dbsession, monkeypatch):
    clock = [utcnow()]
    monkeypatch.setattr("pybossa_core.views.site.utcnow", lambda: clock[0])
    owner = make.user("owner")
    early, late = make.user("early"), make.user("late")
    first, second = make.project(owner, "first"), make.project(owner, "second")
    oldest = figure_counts.day_start(clock[0]) + datetime.timedelta(minutes=5)  # falls out at the next hour
    for _ in range(3):
        make.task_run(make.task(first), early, created=oldest)
    for _ in range(2):
        make.task_run(make.task(second), late, created=oldest + datetime.timedelta(hours=1))
    make.task_run(make.task(second), None, created=clock[0])

    def tops() -> tuple[list, list]:
        body = testapp.get("/stats/", headers=JSON).json
        return ([(user["name"], user["n_answers"]) for user in body["top5_users_24_hours"]],
                [(project["short_name"], project["n_answers"]) for project in body["top5_projects_24_hours"]])

    def agree() -> None:
        # What the triggers and the hour changes kept is the hour counters' sum, and what a rebuild makes.
        kept = day_counters(dbsession)
        assert kept == summed_hours(dbsession, clock[0])
        figure_counts.rebuild_day(dbsession.connection(), clock[0])
        assert day_counters(dbsession) == kept
        assert tops() == shown

    shown = tops()
    assert shown == ([("early", 3), ("late", 2)], [("first", 3), ("second", 3)])
    agree()
    clock[0] += datetime.timedelta(hours=1)
    shown = tops()
    assert shown == ([("late", 2)], [("second", 3)])
    agree()
    # An answer in the new hour counts at once; the next hour change takes late's two answers away.
    make.task_run(make.task(first), early, created=clock[0])
    assert tops() == ([("late", 2), ("early", 1)], [("second", 3), ("first", 1)])
    clock[0] += datetime.timedelta(hours=1)
    shown = tops()
    assert shown == ([("early", 1)], [("first", 1), ("second", 1)])
    agree()
    # A day and more without a view: every hour passed is subtracted at once.
    clock[0] += datetime.timedelta(hours=30)
    shown = tops()
    assert shown == ([], [])
    agree()


@pytest.mark.functional
def test_concurrent_answers_and_views_across_an_hour_change_subtract_the_passed_hour_once(
        live_server, live_factories, monkeypatch):
    real_now = utcnow()
    with live_factories as make:
        owner = make.user()
        project = make.project(owner)
        volunteers = [make.user() for _ in range(6)]
        ids = [volunteer.id for volunteer in volunteers]
        keys = [volunteer.api_key for volunteer in volunteers]
        project_id = project.id
        oldest = figure_counts.day_start(real_now) + datetime.timedelta(minutes=1)
        for volunteer in volunteers:
            # Two answers in the hour that falls out, three in the next (counted on: a double
            # subtraction would show, not be hidden by a row dropped at zero).
            for _ in range(2):
                make.task_run(make.task(project), volunteer, created=oldest)
            for _ in range(3):
                make.task_run(make.task(project), volunteer, created=oldest + datetime.timedelta(hours=1))
        for _ in range(len(volunteers)):
            make.task(project, n_answers=1)
    manager, session = live_server.session()
    with manager:
        # The window as the current hour has it (another test may have moved it).
        figure_counts.rebuild_day(session.connection(), real_now)
    assert requests.get(f"{live_server.url}/stats/", headers=JSON, timeout=30).status_code == 200

    clock = [real_now + datetime.timedelta(hours=1)]
    monkeypatch.setattr("pybossa_core.views.site.utcnow", lambda: clock[0])
    start = threading.Barrier(3 * len(volunteers))
    failures = []

    def answer(api_key: str) -> None:
        try:
            start.wait(timeout=30)
            task = requests.get(f"{live_server.url}/api/{project_id}/newtask", params={"api_key": api_key}, timeout=30).json()
            requests.post(f"{live_server.url}/api/taskrun", params={"api_key": api_key}, timeout=30, json={
                "project_id": project_id, "task_id": task["id"], "info": {"answer": 1}}).raise_for_status()
        except Exception as error:  # noqa: BLE001 - reported by the test below
            failures.append(error)

    def view() -> None:
        try:
            start.wait(timeout=30)
            requests.get(f"{live_server.url}/stats/", headers=JSON, timeout=30).raise_for_status()
        except Exception as error:  # noqa: BLE001
            failures.append(error)

    def advance() -> None:
        # Readers of the counters of their own, beside the pages (whose cache lets one view of a
        # generation compute): all of them at once, and only one subtracts (on SQLite, each a
        # writer from its BEGIN, as a writing request is).
        try:
            own_manager, own_session = live_server.session()
            start.wait(timeout=30)
            with own_manager:
                if own_session.get_bind().dialect.name == "sqlite":
                    own_session.connection(execution_options={WRITE: True})
                figure_counts.advance_day(own_session, clock[0])
        except Exception as error:  # noqa: BLE001
            failures.append(error)

    threads = [threading.Thread(target=answer, args=(key,)) for key in keys]
    threads += [threading.Thread(target=view) for _ in volunteers] + [threading.Thread(target=advance) for _ in volunteers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []

    body = requests.get(f"{live_server.url}/stats/", headers=JSON, timeout=30).json()
    manager, session = live_server.session()
    with manager:
        kept = day_counters(session)
        # Each volunteer: two answers passed out of the window, subtracted once; one new answer counted.
        assert [n for user_id, n in kept["users"] if user_id in ids] == [4] * len(ids)
        assert dict(kept["projects"])[project_id] == 4 * len(ids)
        assert kept == summed_hours(session, clock[0])
        figure_counts.rebuild_day(session.connection(), clock[0])
        assert day_counters(session) == kept
        figure_counts.rebuild_day(session.connection(), real_now)
    assert {user["id"]: user["n_answers"] for user in body["top5_users_24_hours"] if user["id"] in ids} == {
        user["id"]: 4 for user in body["top5_users_24_hours"] if user["id"] in ids}
