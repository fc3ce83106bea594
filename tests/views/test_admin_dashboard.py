"""``/admin/dashboard/``: the weekly figures a job computes, checked against the rows each test makes."""
from __future__ import annotations

import datetime

import pytest

from pybossa_core.interfaces import IStatsCalculators, find_service
from pybossa_core.models import Auditlog
from pybossa_core.models.meta import utcnow
from pybossa_core.services import figures
from tests.views.admin_fixtures import JSON

CHARTS = ("active_anon_last_week", "active_users_last_week", "new_users_week", "new_tasks_week", "new_task_runs_week")
LISTS = ("draft_projects_last_week", "published_projects_last_week", "update_projects_last_week")
KEYS = {*CHARTS, *LISTS, "returning_users_week", "template", "title", "update_feed", "wait"}


def _day(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%d")


def test_before_the_first_computation_the_dashboard_waits_with_every_key(testapp, boss):
    page = testapp.get("/admin/dashboard/", headers=JSON).json

    assert KEYS <= set(page)
    assert page["wait"] is True
    assert (page["template"], page["title"]) == ("admin/dashboard.html", "Dashboard")
    for chart in CHARTS:
        assert page[chart] == {"labels": [_day(utcnow())], "series": [[0]]}
    assert all(page[name] == [] for name in LISTS)
    assert page["returning_users_week"]["series"] == [[0] * 7]
    assert page["flash"] == "Dashboard data will be updated shortly"


@pytest.fixture
def week(make, boss, dbsession):
    """A week of activity: what each figure should count is in the test below."""
    now = utcnow()
    yesterday, two_days_ago, long_ago = (now - datetime.timedelta(days=n) for n in (1, 2, 30))
    alice = make.user("alice")
    bob = make.user("bob")
    make.user("shadow", restrict=True)
    old_owner = make.user("old", created=long_ago)
    birds = make.project(alice, "birds", name="Birds", created=long_ago, updated=yesterday)
    make.project(bob, "sketch", name="Sketch", published=False, created=two_days_ago, updated=two_days_ago)
    make.project(old_owner, "stale", created=long_ago, updated=long_ago)
    dbsession.add(Auditlog(project_id=birds.id, project_short_name="birds", user_id=alice.id, user_name="alice",
                           action="update", caller="web", attribute="published", old_value="False", new_value="True",
                           created=yesterday))
    tasks = [make.task(birds, created=long_ago) for _ in range(3)] + [make.task(birds) for _ in range(2)]
    # Three answers by two users yesterday, one by alice today, two anonymous answers from one address today.
    for task, user, when in ((tasks[0], alice, yesterday), (tasks[1], alice, yesterday), (tasks[0], bob, yesterday),
                             (tasks[2], alice, now)):
        make.task_run(task, user, created=when, finish_time=when)
    for task in tasks[3:]:
        make.task_run(task, user_ip="10.0.0.9", created=now, finish_time=now)
    # An answer older than a week counts nowhere.
    make.task_run(tasks[4], bob, created=long_ago, finish_time=long_ago)
    dbsession.flush()
    return {"now": now, "yesterday": yesterday, "two_days_ago": two_days_ago, "alice": alice, "bob": bob}


def test_the_figures_count_the_week(testapp, app, dbsession, week):
    figures.store(dbsession, "dashboard", find_service(app.registry, IStatsCalculators)["dashboard"].recompute)
    page = testapp.get("/admin/dashboard", headers=JSON).json

    today, yesterday = _day(week["now"]), _day(week["yesterday"])
    assert page["wait"] is False and "flash" not in page
    assert page["active_users_last_week"] == {"labels": [yesterday, today], "series": [[2, 1]]}
    assert page["active_anon_last_week"] == {"labels": [today], "series": [[1]]}
    assert page["new_task_runs_week"] == {"labels": [yesterday, today], "series": [[3, 3]]}
    assert page["new_tasks_week"] == {"labels": [today], "series": [[2]]}
    # boss, alice and bob registered today; the restricted user is left out, as PYBOSSA does.
    assert page["new_users_week"] == {"labels": [today], "series": [[3]]}
    # alice answered on two days, bob on one.
    assert page["returning_users_week"]["series"] == [[1, 1, 0, 0, 0, 0, 0]]
    assert page["returning_users_week"]["labels"][:2] == ["1 day", "2 days"]
    [draft] = page["draft_projects_last_week"]
    assert draft == {"day": _day(week["two_days_ago"]), "id": draft["id"], "short_name": "sketch", "p_name": "Sketch",
                     "owner_id": week["bob"].id, "u_name": "bob", "email_addr": "bob@example.com"}
    assert [(entry["short_name"], entry["day"]) for entry in page["published_projects_last_week"]] == [("birds", yesterday)]
    assert [entry["short_name"] for entry in page["update_projects_last_week"]] == ["birds", "sketch"]
    assert {"User", "Project"} <= {event["action_updated"] for event in page["update_feed"]}


def test_a_fresh_snapshot_is_served_without_a_refresh_until_asked(testapp, app, dbsession, week):
    figures.store(dbsession, "dashboard", find_service(app.registry, IStatsCalculators)["dashboard"].recompute)

    assert "flash" not in testapp.get("/admin/dashboard/", headers=JSON).json
    asked = testapp.get("/admin/dashboard/", {"refresh": "1"}, headers=JSON).json
    assert asked["flash"] == "Dashboard data will be updated shortly" and asked["wait"] is False


def test_a_day_old_snapshot_starts_a_refresh(testapp, app, dbsession, week):
    kept = figures.store(dbsession, "dashboard", find_service(app.registry, IStatsCalculators)["dashboard"].recompute)
    kept.computed = utcnow() - datetime.timedelta(days=1, minutes=1)
    dbsession.flush()

    assert testapp.get("/admin/dashboard/", headers=JSON).json["flash"] == "Dashboard data will be updated shortly"


def test_the_admin_index(testapp, boss):
    page = testapp.get("/admin/", headers=JSON).json

    assert (page["template"], page["title"]) == ("/admin/index.html", "Admin")


def test_the_refresh_job_computes_and_keeps_the_figures_on_a_live_site(live_server, live_factories):
    """The whole loop with committed rows: inline jobs run after the request that asks for them."""
    import requests

    with live_factories as make:
        admin = make.user(admin=True)
        volunteer = make.user()
        task = make.task(make.project(volunteer))
        make.task_run(task, volunteer)
    url = f"{live_server.url}/admin/dashboard/"
    params = {"api_key": admin.api_key, "refresh": "1"}
    requests.get(url, params=params, headers=JSON, timeout=30).raise_for_status()
    page = requests.get(url, params={"api_key": admin.api_key}, headers=JSON, timeout=30).json()

    assert page["wait"] is False
    assert page["active_users_last_week"]["series"][0][-1] >= 1
    assert page["new_task_runs_week"]["series"][0][-1] >= 1
