"""Adaptive retirement: a task completes when its aggregate is sure enough, or at ``info.max_answers``."""
from __future__ import annotations

import pytest
import requests
import sqlalchemy as sa

from pybossa_core.models import Project, Task
from tests.functional.test_contribution_live import at_once, newtask, post_answer
from tests.views.conftest import sign_in
from tests.views.project_fixtures import post

RETIRING = {"retire_confidence": 0.9, "min_answers": 2, "max_answers": 5}


def give(testapp, project, make, answer):
    volunteer = make.user()
    task = testapp.get(f"/api/{project.id}/newtask", {"api_key": volunteer.api_key}).json
    if task == {}:
        return None
    testapp.post_json(f"/api/taskrun?api_key={volunteer.api_key}",
                      {"project_id": project.id, "task_id": task["id"], "info": answer})
    return task["id"]


def new_task(testapp, owner, project, **fields):
    return testapp.post_json(f"/api/task?api_key={owner.api_key}", {"project_id": project.id, "info": {}, **fields}).json


@pytest.fixture
def owner(make):
    return make.user()


def test_agreeing_answers_complete_a_task_at_the_fewest_answers(testapp, make, owner, dbsession):
    project = make.project(owner, info=RETIRING)
    task = new_task(testapp, owner, project)
    assert task["n_answers"] == 5  # capped by max_answers
    assert give(testapp, project, make, "cat") == task["id"]
    assert testapp.get(f"/api/task/{task['id']}").json["state"] == "ongoing"  # fewer than min_answers
    give(testapp, project, make, "cat")
    served = testapp.get(f"/api/task/{task['id']}").json
    assert (served["state"], served["n_task_runs"], served["n_answers"]) == ("completed", 2, 2)
    [result] = testapp.get("/api/result", {"task_id": task["id"]}).json
    assert result["info"] == {"answer": "cat", "confidence": 1.0, "aggregator": "majority"}
    assert len(result["task_run_ids"]) == 2
    assert give(testapp, project, make, "cat") is None


def test_disagreeing_answers_take_more_answers_up_to_the_most(testapp, make, owner, dbsession):
    project = make.project(owner, info=RETIRING)
    task = new_task(testapp, owner, project)
    for number, answer in enumerate(["cat", "dog", "cat", "dog"], start=1):
        give(testapp, project, make, answer)
        served = testapp.get(f"/api/task/{task['id']}").json
        assert (served["state"], served["n_task_runs"]) == ("ongoing", number)
    give(testapp, project, make, "cat")
    served = testapp.get(f"/api/task/{task['id']}").json
    assert (served["state"], served["n_task_runs"], served["n_answers"]) == ("completed", 5, 5)
    [result] = testapp.get("/api/result", {"task_id": task["id"]}).json
    assert result["info"]["answer"] == "cat" and result["info"]["confidence"] == pytest.approx(0.6)
    assert give(testapp, project, make, "cat") is None


def test_setting_the_most_answers_applies_to_open_tasks(testapp, make, owner, dbsession):
    project = make.project(owner)
    crowded, fresh = make.task(project, n_answers=30), make.task(project, n_answers=30)
    done = make.task(project, n_answers=1, state="completed")
    for _ in range(3):
        make.task_run(crowded, make.user(), info="x")
    make.task_run(done, make.user(), info="x")
    testapp.put_json(f"/api/project/{project.id}?api_key={owner.api_key}",
                     {"info": {"retire_confidence": 0.99, "max_answers": 3}})
    dbsession.expire_all()
    states = {task.id: (task.state, task.n_answers) for task in dbsession.scalars(sa.select(Task))}
    assert states == {crowded.id: ("completed", 3), fresh.id: ("ongoing", 3), done.id: ("completed", 1)}
    [result] = testapp.get("/api/result", {"task_id": crowded.id}).json
    assert result["info"]["answer"] == "x"


def test_imported_tasks_are_capped_by_the_most_answers(testapp, make, member, dbsession):
    project = make.project(member, "birds", info=RETIRING)
    sign_in(testapp, member)
    post(testapp, "/project/birds/tasks/import", {"type": "csv", "csv_text": "q,n_answers\nA,\nB,9\nC,2\n"})
    dbsession.expire_all()
    limits = dbsession.scalars(sa.select(Task.n_answers).where(Task.project_id == project.id).order_by(Task.id))
    assert list(limits) == [5, 5, 2]


@pytest.mark.parametrize(("info", "message"), [
    ({"retire_confidence": 1.5}, "info.retire_confidence: must be a number between 0 and 1"),
    ({"retire_confidence": 0.8, "min_answers": 4, "max_answers": 3}, "info.min_answers: must not be more than max_answers"),
    ({"retire_confidence": 0.8, "max_answers": 0}, "info.max_answers: must be a whole number between 1 and 1000"),
    ({"min_answers": "two"}, "info.min_answers: must be a whole number between 1 and 1000"),
])
def test_bad_retirement_settings_are_refused(testapp, make, owner, dbsession, info, message):
    project = make.project(owner)
    task = make.task(project, n_answers=30)
    body = testapp.put_json(f"/api/project/{project.id}?api_key={owner.api_key}", {"info": info}, status=415).json
    assert body["exception_msg"] == message
    dbsession.expire_all()
    assert dbsession.get(Project, project.id).info == {} and dbsession.get(Task, task.id).n_answers == 30


def test_the_quality_page_sets_retirement_and_refuses_min_above_max(testapp, make, member, dbsession):
    project = make.project(member, "birds")
    task = make.task(project, n_answers=30)
    sign_in(testapp, member)
    body = post(testapp, "/project/birds/tasks/quality",
                {"retire_confidence": "0.8", "min_answers": "4", "max_answers": "3"}).json
    assert body["form"]["errors"] == {"min_answers": ["must not be more than max_answers"]}
    dbsession.expire_all()
    assert dbsession.get(Project, project.id).info == {}
    form = testapp.get("/project/birds/tasks/quality").forms[0]
    form["retire_confidence"], form["min_answers"], form["max_answers"] = "0.8", "2", "4"
    form.submit()
    dbsession.expire_all()
    assert dbsession.get(Project, project.id).info == {"retire_confidence": 0.8, "min_answers": 2, "max_answers": 4}
    assert dbsession.get(Task, task.id).n_answers == 4


def test_racing_volunteers_never_exceed_the_limit_in_force(live_server, live_factories):
    """The first answer retires each task (confidence 1 of 1 answer): the racing second is refused."""
    rounds = []
    with live_factories as make:
        owner = make.user()
        racers = [make.user(), make.user(), make.user()]
        for _ in range(6):
            project = make.project(owner, info={"retire_confidence": 0.5, "min_answers": 1, "max_answers": 3})
            rounds.append(make.task(project, n_answers=3))
    url = live_server.url
    for task in rounds:
        handed = [newtask(url, task.project_id, racer.api_key) for racer in racers]
        assert [item["id"] for item in handed] == [task.id] * 3
        responses = at_once([lambda racer=racer, item=item: post_answer(url, item, racer.api_key)
                             for racer, item in zip(racers, handed)])
        assert sorted(response.status_code for response in responses) == [200, 403, 403]
        served = requests.get(f"{url}/api/task/{task.id}", timeout=30).json()
        assert (served["state"], served["n_task_runs"], served["n_answers"]) == ("completed", 1, 1)
        runs = requests.get(f"{url}/api/taskrun", params={"task_id": task.id, "all": 1}, timeout=30).json()
        assert len(runs) == 1




def hand(testapp, project, volunteer):
    return testapp.get(f"/api/{project.id}/newtask", {"api_key": volunteer.api_key}).json["id"]


def answer(testapp, project, volunteer, task_id, label):
    testapp.post_json(f"/api/taskrun?api_key={volunteer.api_key}",
                      {"project_id": project.id, "task_id": task_id, "info": label})


@pytest.mark.parametrize(("sched", "later"), [("default", ["first", "second"]), ("breadth_first", ["second", "first"])])
def test_a_retiring_task_is_handed_out_only_for_the_answers_it_still_needs(testapp, make, owner, sched, later):
    """``min_answers`` (2) at first, then one at a time while the answers disagree."""
    project = make.project(owner, info={**RETIRING, "sched": sched})
    tasks = {"first": make.task(project, n_answers=5).id, "second": make.task(project, n_answers=5).id}
    volunteers = [make.user() for _ in range(5)]
    # Without retirement the third volunteer would get the first task too (its n_answers is 5).
    assert [hand(testapp, project, volunteer) for volunteer in volunteers[:3]] == [tasks["first"], tasks["first"], tasks["second"]]
    answer(testapp, project, volunteers[0], tasks["first"], "cat")
    answer(testapp, project, volunteers[1], tasks["first"], "dog")
    # The first task has its two answers, which disagree: it needs one more, handed to one volunteer
    # only; the second has its two handouts. Each scheduler keeps its order among those with room.
    assert [hand(testapp, project, volunteer) for volunteer in volunteers[3:]] == [tasks[name] for name in later]


def test_without_retirement_a_task_is_handed_out_up_to_its_answers(testapp, make, owner):
    project = make.project(owner)
    first, _ = make.task(project, n_answers=5), make.task(project, n_answers=5)
    assert [hand(testapp, project, make.user()) for _ in range(3)] == [first.id] * 3


def test_racing_newtask_calls_reserve_only_what_retiring_tasks_still_need(live_server, live_factories):
    """Six volunteers at once on the ``locked`` scheduler, two tasks needing two answers each
    (``min_answers``) for now: two each and nothing for the others, where a fixed ``n_answers``
    of 5 would hand out all six. (The other schedulers give a task without room rather than
    nothing, so on PostgreSQL racing calls that find every candidate locked may share one.)"""
    with live_factories as make:
        project = make.project(make.user(), info={**RETIRING, "sched": "locked"})
        tasks = [make.task(project, n_answers=5) for _ in range(2)]
        volunteers = [make.user() for _ in range(6)]
    url = live_server.url
    handed = at_once([lambda volunteer=volunteer: newtask(url, project.id, volunteer.api_key) for volunteer in volunteers])
    assert sorted(item.get("id", 0) for item in handed) == [0, 0] + sorted([tasks[0].id] * 2 + [tasks[1].id] * 2)
