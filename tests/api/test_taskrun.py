"""/api/taskrun: an answer follows a newtask; the server says who answered and when."""
from __future__ import annotations

import datetime

import sqlalchemy as sa

from pybossa_core.models import Result, Task, TaskHandout, TaskRun


def hand(testapp, project, api_key=None, **params):
    if api_key:
        params["api_key"] = api_key
    return testapp.get(f"/api/{project.id}/newtask", params).json


def answer(testapp, task, api_key=None, status=None, **fields):
    url = "/api/taskrun" + (f"?api_key={api_key}" if api_key else "")
    body = {"project_id": task.project_id, "task_id": task.id, "info": {"answer": "yes"}, **fields}
    return testapp.post_json(url, body, status=status).json


def test_anonymous_answer_stores_an_anonymised_ip(testapp, make):
    project = make.project(make.user())
    task = make.task(project)
    assert hand(testapp, project)["id"] == task.id
    body = answer(testapp, task, info=65)
    assert body["info"] == 65 and body["user_id"] is None
    assert body["user_ip"] and "127.0.0.1" not in body["user_ip"]
    assert body["links"][1] == f"<link rel='parent' title='task' href='http://localhost:5000/api/task/{task.id}'/>"


def test_answer_without_a_newtask_is_refused(testapp, make, dbsession):
    volunteer = make.user()
    task = make.task(make.project(make.user()))
    body = answer(testapp, task, volunteer.api_key, status=403)
    assert body["exception_msg"] == "You must request a task first!"
    assert dbsession.scalar(sa.select(sa.func.count(TaskRun.id))) == 0


def test_signed_in_answer_is_the_callers_and_clients_cannot_choose(testapp, make, dbsession):
    volunteer, someone = make.user(), make.user()
    project = make.project(make.user())
    task = make.task(project)
    hand(testapp, project, volunteer.api_key)
    for planted in ({"user_id": someone.id}, {"user_ip": "1.2.3.4"}, {"finish_time": "2001-01-01T00:00:00"}):
        answer(testapp, task, volunteer.api_key, status=415, **planted)
    body = answer(testapp, task, volunteer.api_key)
    stored = dbsession.get(TaskRun, body["id"])
    assert (stored.user_id, stored.user_ip, stored.info) == (volunteer.id, None, {"answer": "yes"})
    handout_time = stored.created
    assert stored.finish_time >= handout_time
    assert dbsession.scalar(sa.select(sa.func.count(TaskHandout.id))) == 0


def test_second_answer_from_same_caller_is_refused(testapp, make, dbsession):
    volunteer = make.user()
    project = make.project(make.user())
    task = make.task(project)
    hand(testapp, project, volunteer.api_key)
    answer(testapp, task, volunteer.api_key)
    body = answer(testapp, task, volunteer.api_key, status=403)
    assert body["exception_cls"] == "Forbidden" and body["exception_msg"] == "You have already answered this task"
    assert dbsession.scalar(sa.select(sa.func.count(TaskRun.id))) == 1


def test_task_must_belong_to_the_project(testapp, make):
    task = make.task(make.project(make.user()))
    other = make.project(make.user())
    body = testapp.post_json("/api/taskrun", {"project_id": other.id, "task_id": task.id}, status=403).json
    assert body["exception_msg"] == "Invalid project_id"


def test_projects_without_anonymous_contributors_refuse_anonymous_answers(testapp, make):
    task = make.task(make.project(make.user(), allow_anonymous_contributors=False))
    testapp.post_json("/api/taskrun", {"project_id": task.project_id, "task_id": task.id}, status=401)


def test_expired_handout_is_refused(testapp, make, dbsession):
    volunteer = make.user()
    project = make.project(make.user(), info={"timeout": 60})
    task = make.task(project)
    hand(testapp, project, volunteer.api_key)
    handout = dbsession.scalar(sa.select(TaskHandout))
    handout.expires = datetime.datetime(2000, 1, 1)
    dbsession.flush()
    assert answer(testapp, task, volunteer.api_key, status=403)["exception_msg"] == "You must request a task first!"


def test_enough_answers_complete_the_task_with_a_result(testapp, make, dbsession):
    project = make.project(make.user())
    task = make.task(project, n_answers=2)
    volunteers = [make.user(), make.user()]
    run_ids = []
    for volunteer in volunteers:
        hand(testapp, project, volunteer.api_key)
        run_ids.append(answer(testapp, task, volunteer.api_key)["id"])
    dbsession.expire_all()
    stored = dbsession.get(Task, task.id)
    assert (stored.state, stored.n_task_runs) == ("completed", 2)
    result = dbsession.scalar(sa.select(Result).where(Result.task_id == task.id))
    assert (result.task_run_ids, result.last_version) == (run_ids, True)
    late = make.user()
    assert hand(testapp, project, late.api_key) == {}
    related = testapp.get(f"/api/task/{task.id}").json
    assert related["state"] == "completed"
    assert testapp.get("/api/task", {"related": "True", "id": task.id}).json[0]["result"]["id"] == result.id


def test_an_answer_to_a_full_task_is_refused(testapp, make, dbsession):
    project = make.project(make.user())
    task = make.task(project, n_answers=1)
    first, second = make.user(), make.user()
    hand(testapp, project, first.api_key)
    hand(testapp, project, second.api_key)  # both were handed the only task
    answer(testapp, task, first.api_key)
    body = answer(testapp, task, second.api_key, status=403)
    assert body["exception_msg"] == "This task already has all the answers it needs"
    assert dbsession.scalar(sa.select(sa.func.count(TaskRun.id))) == 1


def test_external_user_answers_with_the_project_token(testapp, make, dbsession):
    project = make.project(make.user())
    task = make.task(project)
    token = testapp.get(f"/api/auth/project/{project.short_name}/token", headers={"Authorization": project.secret_key}).text
    bearer = {"Authorization": f"Bearer {token}"}
    assert testapp.get(f"/api/{project.id}/newtask", {"external_uid": "1xa"}, headers=bearer).json["id"] == task.id
    body = testapp.post_json(
        "/api/taskrun?external_uid=1xa",
        {"project_id": project.id, "task_id": task.id, "external_uid": "1xa", "info": {"a": 1}},
        headers=bearer,
    ).json
    assert (body["external_uid"], body["user_id"], body["user_ip"]) == ("1xa", None, None)
    testapp.post_json(
        "/api/taskrun", {"project_id": project.id, "task_id": task.id, "external_uid": "1xa"}, status=401
    )


def test_only_author_owner_or_admin_change_an_answer(testapp, make, dbsession):
    owner, author, stranger = make.user(), make.user(), make.user()
    project = make.project(owner, info={"allow_taskrun_edit": True})
    task = make.task(project, n_answers=2)
    run = make.task_run(task, author)
    testapp.put_json(f"/api/taskrun/{run.id}?api_key={stranger.api_key}", {"info": "x"}, status=403)
    testapp.delete(f"/api/taskrun/{run.id}", status=401)
    testapp.put_json(f"/api/taskrun/{run.id}?api_key={author.api_key}", {"info": "fixed"})
    assert dbsession.get(TaskRun, run.id).info == "fixed"
    reviewed = testapp.put_json(f"/api/taskrun/{run.id}?api_key={author.api_key}", {"review": "accepted"}, status=415).json
    assert reviewed["exception_cls"] == "AttributeError"
    testapp.put_json(f"/api/taskrun/{run.id}?api_key={owner.api_key}", {"info": "by the owner"})
    testapp.delete(f"/api/taskrun/{run.id}?api_key={owner.api_key}", status=204)


def test_volunteers_change_answers_only_where_the_project_allows_and_until_completion(testapp, make, dbsession):
    owner, author = make.user(), make.user()
    project = make.project(owner)
    task = make.task(project, n_answers=2)
    run = make.task_run(task, author, info="first")
    refused = testapp.put_json(f"/api/taskrun/{run.id}?api_key={author.api_key}", {"info": "second"}, status=403).json
    assert refused["exception_msg"] == "This project does not let volunteers change their answers"
    project.info = {"allow_taskrun_edit": True}
    testapp.put_json(f"/api/taskrun/{run.id}?api_key={author.api_key}", {"info": "second"})
    task.state = "completed"
    dbsession.flush()
    done = testapp.put_json(f"/api/taskrun/{run.id}?api_key={author.api_key}", {"info": "third"}, status=403).json
    assert done["exception_msg"] == "The task is completed: its answers can no longer change"
    assert dbsession.get(TaskRun, run.id).info == "second"


def test_an_answer_cannot_be_moved_to_another_task(testapp, make, dbsession):
    author = make.user()
    project = make.project(make.user(), info={"allow_taskrun_edit": True})
    task, other = make.task(project), make.task(project)
    run = make.task_run(task, author)
    body = testapp.put_json(f"/api/taskrun/{run.id}?api_key={author.api_key}", {"task_id": other.id}, status=415).json
    assert body["exception_cls"] == "AttributeError"
    testapp.put_json(f"/api/taskrun/{run.id}?api_key={author.api_key}", {"task_id": task.id, "info": "same task"})
    dbsession.expire_all()
    assert (dbsession.get(TaskRun, run.id).task_id, dbsession.get(Task, other.id).n_task_runs) == (task.id, 0)


def test_deleting_an_answer_reopens_its_task(testapp, make, dbsession):
    owner = make.user()
    project = make.project(owner)
    task = make.task(project, n_answers=1)
    volunteer = make.user()
    hand(testapp, project, volunteer.api_key)
    run = answer(testapp, task, volunteer.api_key)
    assert testapp.get(f"/api/task/{task.id}").json["state"] == "completed"
    testapp.delete(f"/api/taskrun/{run['id']}?api_key={owner.api_key}", status=204)
    served = testapp.get(f"/api/task/{task.id}").json
    assert (served["state"], served["n_task_runs"]) == ("ongoing", 0)
    assert hand(testapp, project, make.user().api_key)["id"] == task.id
