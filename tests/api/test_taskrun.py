"""/api/taskrun in its simple form: the server decides who answered and when."""
from __future__ import annotations

from pybossa_core.models import TaskRun


def test_anonymous_answer_stores_an_anonymised_ip(testapp, make, dbsession):
    task = make.task(make.project(make.user()))
    body = testapp.post_json("/api/taskrun", {"project_id": task.project_id, "task_id": task.id, "info": 65}).json
    assert body["info"] == 65 and body["user_id"] is None
    assert body["user_ip"] and "127.0.0.1" not in body["user_ip"]
    assert body["links"][1] == f"<link rel='parent' title='task' href='http://localhost:5000/api/task/{task.id}'/>"


def test_signed_in_answer_is_the_callers_and_clients_cannot_choose(testapp, make, dbsession):
    volunteer, someone = make.user(), make.user()
    task = make.task(make.project(make.user()))
    url = f"/api/taskrun?api_key={volunteer.api_key}"
    for planted in ({"user_id": someone.id}, {"user_ip": "1.2.3.4"}, {"finish_time": "2001-01-01T00:00:00"}):
        testapp.post_json(url, {"project_id": task.project_id, "task_id": task.id, **planted}, status=415)
    body = testapp.post_json(url, {"project_id": task.project_id, "task_id": task.id, "info": {"answer": "yes"}}).json
    stored = dbsession.get(TaskRun, body["id"])
    assert (stored.user_id, stored.user_ip, stored.info) == (volunteer.id, None, {"answer": "yes"})


def test_task_must_belong_to_the_project(testapp, make):
    task = make.task(make.project(make.user()))
    other = make.project(make.user())
    body = testapp.post_json("/api/taskrun", {"project_id": other.id, "task_id": task.id}, status=403).json
    assert body["exception_msg"] == "Invalid project_id"


def test_projects_without_anonymous_contributors_refuse_anonymous_answers(testapp, make):
    task = make.task(make.project(make.user(), allow_anonymous_contributors=False))
    testapp.post_json("/api/taskrun", {"project_id": task.project_id, "task_id": task.id}, status=401)


def test_only_author_owner_or_admin_change_an_answer(testapp, make, dbsession):
    owner, author, stranger = make.user(), make.user(), make.user()
    run = make.task_run(make.task(make.project(owner)), author)
    testapp.put_json(f"/api/taskrun/{run.id}?api_key={stranger.api_key}", {"info": "x"}, status=403)
    testapp.delete(f"/api/taskrun/{run.id}", status=401)
    testapp.put_json(f"/api/taskrun/{run.id}?api_key={author.api_key}", {"info": "fixed"})
    assert dbsession.get(TaskRun, run.id).info == "fixed"
    testapp.delete(f"/api/taskrun/{run.id}?api_key={owner.api_key}", status=204)
