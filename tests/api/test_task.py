"""/api/task: owners write their projects' tasks; moving a task needs both projects."""
from __future__ import annotations

from pybossa_core.models import Task


def test_owner_creates_task_with_pybossa_defaults(testapp, make, dbsession):
    owner = make.user()
    project = make.project(owner)
    body = testapp.post_json(f"/api/task?api_key={owner.api_key}", {"project_id": project.id, "info": {"url": "x"}}).json
    assert (body["state"], body["n_answers"], body["quorum"], body["priority_0"]) == ("ongoing", 30, 0, 0.0)
    assert body["links"] == [f"<link rel='parent' title='project' href='http://localhost:5000/api/project/{project.id}'/>"]
    assert dbsession.get(Task, body["id"]).info == {"url": "x"}


def test_others_cannot_create_tasks(testapp, make, dbsession):
    project = make.project(make.user())
    other = make.user()
    testapp.post_json("/api/task", {"project_id": project.id}, status=401)
    testapp.post_json(f"/api/task?api_key={other.api_key}", {"project_id": project.id}, status=403)
    assert dbsession.query(Task).count() == 0


def test_task_of_a_missing_project_is_not_found(testapp, make):
    user = make.user()
    body = testapp.post_json(f"/api/task?api_key={user.api_key}", {"project_id": 999999}, status=404).json
    assert body["exception_cls"] == "NotFound"


def test_task_fields_are_validated(testapp, make):
    owner = make.user()
    project = make.project(owner)
    for bad in ({"n_answers": 0}, {"n_answers": "three"}, {"n_answers": 1.5}, {"priority_0": "high"},
                {"info": [1, 2]}, {"quorum": -1}, {"state": "completed"}, {"project_id": "one"}):
        body = testapp.post_json(f"/api/task?api_key={owner.api_key}", {"project_id": project.id, **bad}, status=415).json
        assert body["status"] == "failed", bad


def test_admin_updates_any_task(testapp, make, dbsession):
    task = make.task(make.project(make.user()))
    admin = make.admin()
    testapp.put_json(f"/api/task/{task.id}?api_key={admin.api_key}", {"n_answers": 5, "priority_0": 0.9})
    assert (dbsession.get(Task, task.id).n_answers, dbsession.get(Task, task.id).priority_0) == (5, 0.9)


def test_moving_a_task_needs_the_target_project_too(testapp, make, dbsession):
    owner, other = make.user(), make.user()
    task = make.task(make.project(owner))
    foreign = make.project(other)
    testapp.put_json(f"/api/task/{task.id}?api_key={owner.api_key}", {"project_id": foreign.id}, status=403)
    dbsession.expire_all()
    assert dbsession.get(Task, task.id).project_id != foreign.id
    mine = make.project(owner)
    testapp.put_json(f"/api/task/{task.id}?api_key={owner.api_key}", {"project_id": mine.id})
    assert dbsession.get(Task, task.id).project_id == mine.id


def test_delete_task_removes_its_runs(testapp, make, dbsession):
    owner = make.user()
    task = make.task(make.project(owner))
    make.task_run(task, owner)
    testapp.delete(f"/api/task/{task.id}?api_key={owner.api_key}", status=204)
    testapp.get(f"/api/task/{task.id}", status=404)
    assert testapp.get("/api/taskrun").json == []


def test_draft_project_tasks_stay_reachable_by_id(testapp, make):
    task = make.task(make.project(make.user(), published=False))
    assert testapp.get(f"/api/task/{task.id}").json["id"] == task.id
