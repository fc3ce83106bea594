"""Listing: limits, offset, keyset paging, filters, ordering, related data."""
from __future__ import annotations

import datetime

import pytest


@pytest.fixture
def project_with_tasks(make):
    owner = make.user()
    project = make.project(owner)
    tasks = [make.task(project, info={"name": f"item {i}", "kind": "odd" if i % 2 else "even"}, priority_0=i / 10)
             for i in range(30)]
    return owner, project, tasks


def ids(response):
    return [item["id"] for item in response.json]


def test_default_limit_is_20_and_limit_is_capped_at_100(testapp, make, project_with_tasks):
    _, project, tasks = project_with_tasks
    assert ids(testapp.get("/api/task")) == [task.id for task in tasks[:20]]
    for _ in range(100):
        make.task(project)
    assert len(testapp.get("/api/task", {"limit": "100000"}).json) == 100


def test_offset_and_last_id_page_through_in_id_order(testapp, project_with_tasks):
    _, _, tasks = project_with_tasks
    assert ids(testapp.get("/api/task", {"limit": 5, "offset": 5})) == [task.id for task in tasks[5:10]]
    assert ids(testapp.get("/api/task", {"limit": 5, "last_id": tasks[9].id})) == [task.id for task in tasks[10:15]]
    assert ids(testapp.get("/api/task", {"limit": 5, "last_id": tasks[-1].id})) == []


def test_orderby_and_desc(testapp, project_with_tasks):
    _, _, tasks = project_with_tasks
    body = testapp.get("/api/task", {"orderby": "priority_0", "desc": "true", "limit": 3}).json
    assert [item["id"] for item in body] == [task.id for task in reversed(tasks[-3:])]
    assert ids(testapp.get("/api/task", {"orderby": "id", "desc": "true", "limit": 2})) == [tasks[-1].id, tasks[-2].id]


def test_equality_and_list_filters(testapp, make, project_with_tasks):
    _, project, tasks = project_with_tasks
    other = make.project(make.user())
    other_task = make.task(other)
    assert ids(testapp.get("/api/task", {"project_id": other.id})) == [other_task.id]
    body = testapp.get("/api/task", {"project_id": f"[{project.id},{other.id}]", "limit": 100}).json
    assert len(body) == 31
    assert ids(testapp.get("/api/task", {"id": tasks[3].id})) == [tasks[3].id]


def test_info_filters_are_anded(testapp, project_with_tasks):
    _, _, tasks = project_with_tasks
    assert ids(testapp.get("/api/task", {"info": "name::item 3"})) == [tasks[3].id]
    assert ids(testapp.get("/api/task", {"info": "name::item 3|kind::odd"})) == [tasks[3].id]
    assert ids(testapp.get("/api/task", {"info": "name::item 3|kind::even"})) == []


def test_created_filters_by_year_month_and_day(testapp, make, dbsession):
    project = make.project(make.user())
    old = make.task(project, created=datetime.datetime(2015, 5, 3, 10, 0))
    make.task(project, created=datetime.datetime(2016, 1, 1))
    for value in ("2015", "2015-05", "2015-05-03"):
        assert ids(testapp.get("/api/task", {"created": value})) == [old.id], value
    assert ids(testapp.get("/api/task", {"created": "2015-06"})) == []
    testapp.get("/api/task", {"created": "yesterday"}, status=400)


def test_a_timestamp_filter_takes_what_the_description_says(testapp, make):
    project = make.project(make.user())
    old = make.task(project, created=datetime.datetime(2015, 5, 3, 10, 0))
    # An RFC 3339 date-time with a zone is the stored UTC time; the last year there is has no end.
    assert ids(testapp.get("/api/task", {"created": "2015-05-03T12:00:00+02:00"})) == [old.id]
    assert ids(testapp.get("/api/task", {"created": "2015-05-03T10:00:00Z"})) == [old.id]
    assert ids(testapp.get("/api/task", {"created": "9999"})) == []
    assert ids(testapp.get("/api/task", {"created": "9999-12"})) == []


def test_boolean_filter(testapp, make):
    owner = make.user()
    make.project(owner, featured=False)
    featured = make.project(owner, featured=True)
    assert ids(testapp.get("/api/project", {"featured": "true"})) == [featured.id]


def test_timestamps_are_utc_without_zone(testapp, make):
    make.project(make.user(), created=datetime.datetime(2015, 1, 21, 11, 59, 36, 519541))
    assert testapp.get("/api/project").json[0]["created"] == "2015-01-21T11:59:36.519541"


def test_api_key_lists_own_tasks_and_task_runs_unless_all(testapp, make):
    owner, volunteer = make.user(), make.user()
    mine = make.task(make.project(owner))
    theirs = make.task(make.project(volunteer))
    run = make.task_run(theirs, owner)
    assert ids(testapp.get("/api/task", {"api_key": owner.api_key})) == [mine.id]
    assert ids(testapp.get("/api/task", {"api_key": owner.api_key, "all": 1})) == [mine.id, theirs.id]
    assert ids(testapp.get("/api/taskrun", {"api_key": owner.api_key})) == []
    assert ids(testapp.get("/api/taskrun", {"api_key": volunteer.api_key})) == [run.id]


def test_related_task_has_its_task_runs_and_result(testapp, make):
    owner = make.user()
    task = make.task(make.project(owner))
    runs = [make.task_run(task, make.user()) for _ in range(2)]
    result = make.result(task, runs)
    body = testapp.get("/api/task", {"related": "True"}).json[0]
    assert [run["id"] for run in body["task_runs"]] == [run.id for run in runs]
    assert body["result"]["id"] == result.id
    run_body = testapp.get("/api/taskrun", {"related": "True", "id": runs[0].id}).json[0]
    assert run_body["task"]["id"] == task.id and run_body["result"]["id"] == result.id
    result_body = testapp.get("/api/result", {"related": "True"}).json[0]
    assert result_body["task"]["id"] == task.id and len(result_body["task_runs"]) == 2


def test_related_on_a_single_item(testapp, make):
    task = make.task(make.project(make.user()))
    runs = [make.task_run(task, make.user()) for _ in range(2)]
    result = make.result(task, runs)
    body = testapp.get(f"/api/task/{task.id}", {"related": "True"}).json
    assert [run["id"] for run in body["task_runs"]] == [run.id for run in runs]
    assert body["result"]["id"] == result.id
    run_body = testapp.get(f"/api/taskrun/{runs[1].id}", {"related": "True"}).json
    assert run_body["task"]["id"] == task.id and run_body["result"]["id"] == result.id
    result_body = testapp.get(f"/api/result/{result.id}", {"related": "True"}).json
    assert result_body["task"]["id"] == task.id and len(result_body["task_runs"]) == 2
    assert "task_runs" not in testapp.get(f"/api/task/{task.id}").json
    bad = testapp.get(f"/api/task/{task.id}", {"related": "perhaps"}, status=400).json
    assert bad["exception_cls"] == "BadRequest" and bad["target"] == "task"


def test_task_without_runs_has_empty_related(testapp, make):
    make.task(make.project(make.user()))
    body = testapp.get("/api/task", {"related": "1"}).json[0]
    assert body["task_runs"] == [] and body["result"] is None


@pytest.mark.parametrize(
    "query, status",
    [
        ({"limit": "abc"}, 400),
        ({"limit": "-1"}, 400),
        ({"offset": "x"}, 400),
        ({"last_id": "1; DROP TABLE task"}, 400),
        ({"orderby": "id; DROP TABLE task"}, 400),
        ({"orderby": "info"}, 400),
        ({"desc": "maybe"}, 400),
        ({"project_id": "abc"}, 400),
        ({"project_id": "[1,"}, 400),
        ({"project_id": "1 OR 1=1"}, 400),
        ({"info": "no-separator"}, 400),
        ({"nosuchcolumn": "1"}, 415),
        ({"state": "x\x00"}, 400),
    ],
)
def test_bad_query_strings_answer_the_error_json(testapp, project_with_tasks, query, status):
    body = testapp.get("/api/task", query, status=status).json
    assert body["status"] == "failed" and body["status_code"] == status and body["target"] == "task"


def test_sql_looking_filter_values_are_just_values(testapp, project_with_tasks):
    assert testapp.get("/api/task", {"state": "ongoing' OR '1'='1"}).json == []
    assert testapp.get("/api/task", {"info": "name::' OR 1=1 --"}).json == []
