"""newtask and the schedulers, userprogress, project tokens, favourites, redundancy changes."""
from __future__ import annotations

import datetime

import jwt
import pytest
import sqlalchemy as sa

from pybossa_core.models import Result, Task, TaskHandout
from pybossa_core.plugin_api import SchedulerSpec
from pybossa_core.plugins import hookimpl


def newtask(testapp, project, **params):
    return testapp.get(f"/api/{project.id}/newtask", params).json


def answer(testapp, task, api_key, **extra):
    return testapp.post_json(
        f"/api/taskrun?api_key={api_key}", {"project_id": task.project_id, "task_id": task.id, "info": 1, **extra}
    ).json


@pytest.fixture
def project(make):
    return make.project(make.user())


def test_both_routes_hand_out_one_task_then_a_list_then_nothing(testapp, make, project):
    tasks = [make.task(project) for _ in range(3)]
    volunteer = make.user()
    assert newtask(testapp, project, api_key=volunteer.api_key)["id"] == tasks[0].id
    second = testapp.get(f"/api/project/{project.id}/newtask/", {"api_key": volunteer.api_key}).json
    assert second["id"] == tasks[0].id
    listed = newtask(testapp, project, api_key=volunteer.api_key, limit=200)
    assert [task["id"] for task in listed] == [task.id for task in tasks]
    for task in tasks:
        answer(testapp, task, volunteer.api_key)
    assert newtask(testapp, project, api_key=volunteer.api_key) == {}


def test_offset_orderby_and_desc(testapp, make, project):
    low, high = make.task(project, priority_0=0.1), make.task(project, priority_0=0.9)
    assert newtask(testapp, project)["id"] == high.id
    assert newtask(testapp, project, offset=1)["id"] == low.id
    assert newtask(testapp, project, orderby="id", desc="true")["id"] == high.id
    assert newtask(testapp, project, orderby="id")["id"] == low.id
    testapp.get(f"/api/{project.id}/newtask", {"orderby": "nope"}, status=400)
    testapp.get(f"/api/{project.id}/newtask", {"limit": "x"}, status=400)


def test_unknown_project_is_404_and_post_is_405(testapp):
    assert testapp.get("/api/999999/newtask", status=404).json["exception_cls"] == "NotFound"
    testapp.post_json("/api/1/newtask", {}, status=405)


def test_projects_refusing_anonymous_answer_with_pybossas_error_task(testapp, make):
    project = make.project(make.user(), allow_anonymous_contributors=False)
    make.task(project)
    body = newtask(testapp, project)
    assert body["info"] == {"error": "This project does not allow anonymous contributors"}
    assert body["project_id"] is None and body["id"] is None
    assert newtask(testapp, project, api_key=make.user().api_key)["project_id"] == project.id


def test_a_task_is_never_handed_to_who_answered_it_nor_once_completed(testapp, make, project):
    task = make.task(project, n_answers=2)
    first, second, third = make.user(), make.user(), make.user()
    newtask(testapp, project, api_key=first.api_key)
    answer(testapp, task, first.api_key)
    assert newtask(testapp, project, api_key=first.api_key) == {}
    newtask(testapp, project, api_key=second.api_key)
    answer(testapp, task, second.api_key)
    assert newtask(testapp, project, api_key=third.api_key) == {}


def test_depth_first_counts_answers_in_flight(testapp, make, project):
    busy, free = make.task(project, n_answers=1), make.task(project, n_answers=1)
    assert newtask(testapp, project, api_key=make.user().api_key)["id"] == busy.id
    # busy's only answer is in flight with someone else: the next volunteer gets another task.
    assert newtask(testapp, project, api_key=make.user().api_key)["id"] == free.id


def test_depth_first_prefers_tasks_nearly_done_and_breadth_first_the_least_answered(testapp, make):
    owner = make.user()
    for sched, expected in (("depth_first", "nearly"), ("breadth_first", "fresh")):
        project = make.project(owner, info={"sched": sched})
        fresh = make.task(project, n_answers=3)
        nearly = make.task(project, n_answers=3)
        make.task_run(nearly, make.user())
        make.task_run(nearly, make.user())
        got = newtask(testapp, project, api_key=make.user().api_key)["id"]
        assert got == {"nearly": nearly.id, "fresh": fresh.id}[expected], sched


def test_depth_first_all_offers_completed_tasks(testapp, make):
    project = make.project(make.user(), info={"sched": "depth_first_all"})
    task = make.task(project, n_answers=1)
    make.task_run(task, make.user())
    task.state = "completed"
    volunteer = make.user()
    assert newtask(testapp, project, api_key=volunteer.api_key)["id"] == task.id
    answer(testapp, task, volunteer.api_key)
    assert testapp.get(f"/api/task/{task.id}").json["n_task_runs"] == 2


def test_incremental_shows_the_previous_answer(testapp, make, dbsession):
    project = make.project(make.user(), info={"sched": "incremental"})
    task = make.task(project, info={"page": 1})
    make.task_run(task, make.user(), info={"text": "first draft"})
    body = newtask(testapp, project, api_key=make.user().api_key)
    assert body["info"] == {"page": 1, "last_answer": {"text": "first draft"}}
    dbsession.expire_all()
    assert dbsession.get(Task, task.id).info == {"page": 1}


def test_locked_scheduler_reserves_at_most_n_answers_callers(testapp, make, dbsession):
    project = make.project(make.user(), info={"sched": "locked", "timeout": 600})
    task = make.task(project, n_answers=2)
    first, second, third = make.user(), make.user(), make.user()
    assert newtask(testapp, project, api_key=first.api_key)["id"] == task.id
    assert newtask(testapp, project, api_key=first.api_key)["id"] == task.id  # keeps its reservation
    assert newtask(testapp, project, api_key=second.api_key)["id"] == task.id
    assert newtask(testapp, project, api_key=third.api_key) == {}
    # An expired reservation frees its place.
    dbsession.execute(sa.update(TaskHandout).where(TaskHandout.caller == f"user:{first.id}")
                      .values(expires=datetime.datetime(2000, 1, 1)))
    assert newtask(testapp, project, api_key=third.api_key)["id"] == task.id


def test_a_plugin_scheduler_is_used_by_name(dbengine, uploads_dir, tm, dbsession, make):
    from pybossa_core.config import configure
    from tests.conftest import app_settings, in_test_transaction

    class NewestFirst:
        @hookimpl
        def register_schedulers(self):
            return [SchedulerSpec("newest", "Newest first", lambda request: request.fetch(
                request.ordered(request.open_tasks(), Task.id.desc())))]

    app = configure(app_settings(dbengine, uploads_dir), plugins=[NewestFirst()], environ={}).make_wsgi_app()
    testapp = in_test_transaction(app, tm, dbsession)
    project = make.project(make.user(), info={"sched": "newest"})
    make.task(project)
    newest = make.task(project)
    assert newtask(testapp, project)["id"] == newest.id


def test_userprogress_by_id_and_short_name(testapp, make, project):
    tasks = [make.task(project) for _ in range(3)]
    volunteer = make.user()
    newtask(testapp, project, api_key=volunteer.api_key)
    answer(testapp, tasks[0], volunteer.api_key)
    expected = {"done": 1, "total": 3}
    assert testapp.get(f"/api/project/{project.id}/userprogress", {"api_key": volunteer.api_key}).json == expected
    assert testapp.get(f"/api/project/{project.short_name}/userprogress", {"api_key": volunteer.api_key}).json == expected
    assert testapp.get(f"/api/project/{project.id}/userprogress").json == {"done": 0, "total": 3}
    testapp.get("/api/project/nosuch/userprogress", status=404)


def test_participated_leaves_out_answered_tasks(testapp, make, project):
    answered, other = make.task(project), make.task(project)
    volunteer = make.user()
    newtask(testapp, project, api_key=volunteer.api_key)
    answer(testapp, answered, volunteer.api_key)
    body = testapp.get("/api/task", {"api_key": volunteer.api_key, "all": 1, "participated": 1}).json
    assert [task["id"] for task in body] == [other.id]


def test_changing_n_answers_completes_and_reopens(testapp, make, dbsession):
    owner = make.user()
    project = make.project(owner)
    task = make.task(project, n_answers=3)
    runs = [make.task_run(task, make.user()) for _ in range(2)]
    url = f"/api/task/{task.id}?api_key={owner.api_key}"
    assert testapp.put_json(url, {"n_answers": 2}).json["state"] == "completed"
    result = dbsession.scalar(sa.select(Result).where(Result.task_id == task.id))
    assert result.task_run_ids == [run.id for run in runs] and result.last_version
    assert testapp.put_json(url, {"n_answers": 4}).json["state"] == "ongoing"
    volunteer = make.user()
    assert newtask(testapp, project, api_key=volunteer.api_key)["id"] == task.id


class TestProjectTokens:
    def token(self, testapp, project, key=None, status=200):
        headers = {"Authorization": key} if key is not None else {}
        return testapp.get(f"/api/auth/project/{project.short_name}/token", headers=headers, status=status)

    def test_secret_key_gets_a_token_for_external_users(self, testapp, make, project):
        task = make.task(project)
        token = self.token(testapp, project, project.secret_key).text
        assert jwt.decode(token, project.secret_key, algorithms=["HS256"])["project_id"] == project.id
        got = testapp.get(f"/api/{project.id}/newtask", {"external_uid": "1xa"},
                          headers={"Authorization": f"Bearer {token}"}).json
        assert got["id"] == task.id

    def test_wrong_or_missing_secret_key(self, testapp, project):
        assert self.token(testapp, project, "wrong", status=403).json["exception_cls"] == "Forbidden"
        assert self.token(testapp, project, status=401).json["exception_cls"] == "Unauthorized"

    @pytest.mark.parametrize("make_token", [
        lambda p: jwt.encode({"project_id": p.id, "exp": 2**31}, "not-the-secret-of-this-project-at-all", algorithm="HS256"),
        lambda p: jwt.encode({"project_id": p.id, "exp": 1}, p.secret_key, algorithm="HS256"),
        lambda p: jwt.encode({"project_id": p.id, "exp": 2**31}, None, algorithm="none"),
        lambda p: jwt.encode({"project_id": p.id, "exp": 2**31}, p.secret_key, algorithm="HS256")[:-3] + "abc",
        lambda p: "garbage",
        lambda p: "",
    ])
    def test_bad_tokens_are_refused(self, testapp, make, project, make_token):
        make.task(project)
        body = testapp.get(f"/api/{project.id}/newtask", {"external_uid": "u"},
                           headers={"Authorization": f"Bearer {make_token(project)}"}, status=401).json
        assert body["status"] == "failed"

    def test_another_projects_token_is_forbidden(self, testapp, make, project):
        other = make.project(make.user())
        token = self.token(testapp, other, other.secret_key).text
        forged = jwt.encode({"project_id": other.id, "exp": 2**31}, project.secret_key, algorithm="HS256")
        testapp.get(f"/api/{project.id}/newtask", {"external_uid": "u"},
                    headers={"Authorization": f"Bearer {token}"}, status=401)
        testapp.get(f"/api/{project.id}/newtask", {"external_uid": "u"},
                    headers={"Authorization": f"Bearer {forged}"}, status=403)

    def test_participated_leaves_out_what_the_external_user_answered(self, testapp, make, project):
        tasks = {task.id: task for task in (make.task(project, n_answers=2), make.task(project, n_answers=2))}
        bearer = {"Authorization": f"Bearer {self.token(testapp, project, project.secret_key).text}"}
        handed = testapp.get(f"/api/{project.id}/newtask", {"external_uid": "1xa"}, headers=bearer).json["id"]
        answered, other = tasks.pop(handed), tasks.popitem()[1]
        testapp.post_json("/api/taskrun?external_uid=1xa", {
            "project_id": project.id, "task_id": answered.id, "info": "yes", "external_uid": "1xa"}, headers=bearer)
        for query in ({"project_id": project.id}, {}):
            body = testapp.get("/api/task", {**query, "participated": 1, "external_uid": "1xa"}, headers=bearer).json
            assert [task["id"] for task in body] == [other.id]
        others = testapp.get("/api/task", {"participated": 1, "external_uid": "2zb"}, headers=bearer).json
        assert {task["id"] for task in others} == {answered.id, other.id}
        refused = testapp.get("/api/task", {"participated": 1, "external_uid": "1xa"}, status=401).json
        assert refused["exception_cls"] == "Unauthorized" and refused["target"] == "task"


def test_favorites(testapp, make, project, dbsession):
    task = make.task(project)
    user = make.user()
    testapp.get("/api/favorites", status=401)
    testapp.post_json("/api/favorites", {"task_id": task.id}, status=401)
    assert testapp.post_json(f"/api/favorites?api_key={user.api_key}", {"task_id": task.id}).json["fav_user_ids"] == [user.id]
    assert [t["id"] for t in testapp.get("/api/favorites", {"api_key": user.api_key}).json] == [task.id]
    testapp.post_json(f"/api/favorites?api_key={user.api_key}", {"task_id": 999999}, status=404)
    testapp.post_json(f"/api/favorites?api_key={user.api_key}", {"task_id": "x"}, status=400)
    testapp.delete(f"/api/favorites/{task.id}?api_key={user.api_key}")
    assert testapp.get("/api/favorites", {"api_key": user.api_key}).json == []
    testapp.delete(f"/api/favorites/{task.id}?api_key={user.api_key}", status=404)


def test_an_offset_beyond_sql_integers_is_refused_not_failed(testapp, make):
    # Found by schemathesis on PostgreSQL: the schedulers bind the offset as an SQL integer.
    project = make.project(make.user())
    make.task(project)
    testapp.get(f"/api/{project.id}/newtask", {"offset": str(2**31 - 1)})
    refused = testapp.get(f"/api/{project.id}/newtask", {"offset": str(2**31)}, status=400).json
    assert refused["exception_cls"] == "BadRequest"
