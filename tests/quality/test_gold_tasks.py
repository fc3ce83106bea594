"""Gold tasks: owners set expected answers; nobody else reads them; newtask mixes them in at ``info.gold_rate``."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
import sqlalchemy as sa

from pybossa_core.models import Project, Task, TaskRun
from tests.views.conftest import sign_in
from tests.views.project_fixtures import post

GOLD = {"answer": "bird"}


def hand(testapp, project, api_key=None):
    return testapp.get(f"/api/{project.id}/newtask", {"api_key": api_key} if api_key else {}).json


def answer(testapp, task_id, project, api_key, info=None, status=None):
    body = {"project_id": project.id, "task_id": task_id, "info": info or {"answer": "bird"}}
    return testapp.post_json(f"/api/taskrun?api_key={api_key}", body, status=status).json


@pytest.fixture
def owner(make):
    return make.user()


@pytest.fixture
def gold_task(testapp, make, owner):
    project = make.project(owner)
    body = testapp.post_json(
        f"/api/task?api_key={owner.api_key}",
        {"project_id": project.id, "info": {"question": "What is it?"}, "calibration": 1, "gold_answers": GOLD},
    ).json
    return project, body


# -- the task field -------------------------------------------------------------------------


def test_owner_creates_a_gold_task_and_reads_its_answers(testapp, gold_task, owner, dbsession):
    project, body = gold_task
    assert (body["calibration"], body["gold_answers"]) == (1, GOLD)
    assert dbsession.get(Task, body["id"]).gold_answers == GOLD
    assert testapp.get(f"/api/task/{body['id']}?api_key={owner.api_key}").json["gold_answers"] == GOLD


def test_volunteers_and_anonymous_never_read_gold_answers(testapp, gold_task, make):
    project, body = gold_task
    volunteer = make.user()
    for key in (None, volunteer.api_key):
        query = f"?api_key={key}" if key else ""
        assert testapp.get(f"/api/task/{body['id']}{query}").json["gold_answers"] is None
        listed = testapp.get(f"/api/task{query}", {"project_id": project.id, "all": 1}).json
        assert [task["gold_answers"] for task in listed] == [None]
    handed = hand(testapp, project, volunteer.api_key)
    assert (handed["id"], handed["gold_answers"]) == (body["id"], None)
    run = answer(testapp, body["id"], project, volunteer.api_key)
    related = testapp.get("/api/taskrun", {"id": run["id"], "related": "True", "all": 1}).json[0]
    assert related["task"]["id"] == body["id"] and related["task"]["gold_answers"] is None


def test_an_admin_reads_gold_answers(testapp, gold_task, make):
    admin = make.admin()
    assert testapp.get(f"/api/task/{gold_task[1]['id']}?api_key={admin.api_key}").json["gold_answers"] == GOLD


def test_gold_answers_cannot_be_filtered_by(testapp, gold_task, make):
    body = testapp.get("/api/task", {"gold_answers": json.dumps(GOLD)}, status=400).json
    assert body["exception_msg"] == "cannot filter by gold_answers"


def test_a_gold_task_without_expected_answers_is_refused(testapp, make, owner, dbsession):
    project = make.project(owner)
    url = f"/api/task?api_key={owner.api_key}"
    body = testapp.post_json(url, {"project_id": project.id, "info": {}, "calibration": 1}, status=415).json
    assert body["exception_msg"] == "gold_answers: a gold task (calibration = 1) needs its expected answers"
    assert (body["status"], body["action"], body["target"]) == ("failed", "POST", "task")
    assert dbsession.scalar(sa.select(sa.func.count(Task.id))) == 0
    plain = testapp.post_json(url, {"project_id": project.id, "info": {}}).json
    testapp.put_json(f"/api/task/{plain['id']}?api_key={owner.api_key}", {"calibration": 1}, status=415)
    dbsession.expire_all()
    assert dbsession.get(Task, plain["id"]).calibration == 0


def test_a_volunteer_cannot_set_gold_answers(testapp, gold_task, make, dbsession):
    volunteer = make.user()
    testapp.put_json(f"/api/task/{gold_task[1]['id']}?api_key={volunteer.api_key}", {"gold_answers": "x"}, status=403)
    dbsession.expire_all()
    assert dbsession.get(Task, gold_task[1]["id"]).gold_answers == GOLD


# -- the gold rate --------------------------------------------------------------------------


@pytest.mark.parametrize("rate", [-0.1, 1.5, "half", True])
def test_a_gold_rate_outside_zero_to_one_is_refused(testapp, make, owner, dbsession, rate):
    project = make.project(owner, info={"task_presenter": "x"})
    body = testapp.put_json(f"/api/project/{project.id}?api_key={owner.api_key}", {"info": {"gold_rate": rate}},
                            status=415).json
    assert body["exception_msg"] == "info.gold_rate: must be a number between 0 and 1"
    dbsession.expire_all()
    assert dbsession.get(Project, project.id).info == {"task_presenter": "x"}
    created = testapp.post_json(f"/api/project?api_key={owner.api_key}",
                                {"name": "G", "short_name": "g", "info": {"gold_rate": rate}}, status=415).json
    assert created["exception_cls"] == "ValueError"
    assert dbsession.scalar(sa.select(Project.id).where(Project.short_name == "g")) is None


def _project_with(make, owner, rate, n_ordinary, n_gold):
    project = make.project(owner, info={"gold_rate": rate} if rate is not None else {})
    ordinary = [make.task(project, n_answers=1, info={"n": n}) for n in range(n_ordinary)]
    gold = [make.task(project, n_answers=1, calibration=1, gold_answers=GOLD, info={"gold": n}) for n in range(n_gold)]
    return project, [task.id for task in ordinary], [task.id for task in gold]


def _answer_all(testapp, project, volunteer) -> list[int]:
    """Ask for tasks and answer them until none is left; return the ids in the order handed out."""
    handed = []
    while (task := hand(testapp, project, volunteer.api_key)) != {}:
        assert task["id"] not in handed
        handed.append(task["id"])
        answer(testapp, task["id"], project, volunteer.api_key)
    return handed


def test_without_a_gold_rate_gold_tasks_are_ordinary_tasks(testapp, make, owner):
    project, ordinary, gold = _project_with(make, owner, None, 2, 1)
    # Depth first, by id: exactly as before gold tasks existed.
    assert _answer_all(testapp, project, make.user()) == [*ordinary, *gold]
    assert hand(testapp, project, make.user().api_key) == {}  # each task got its one answer


def test_gold_tasks_come_at_the_gold_rate_and_never_twice(testapp, make, owner, dbsession):
    project, ordinary, gold = _project_with(make, owner, 0.5, 4, 2)
    first, second = make.user(), make.user()
    handed = _answer_all(testapp, project, first)
    # Half the answers gold, counting the one asked for: gold, ordinary, gold, ordinary, then what is left.
    assert [task_id in gold for task_id in handed] == [True, False, True, False, False, False]
    assert sorted(handed) == sorted(ordinary + gold)
    # The ordinary tasks are complete; the gold tasks still take a second volunteer's answers.
    assert _answer_all(testapp, project, second) == sorted(gold, key=lambda task_id: (0, task_id))
    counts = dict(dbsession.execute(sa.select(TaskRun.task_id, sa.func.count()).group_by(TaskRun.task_id)).all())
    assert [counts[task_id] for task_id in gold] == [2, 2] and all(counts[task_id] == 1 for task_id in ordinary)


def test_a_gold_rate_of_one_gives_every_gold_task_first(testapp, make, owner):
    project, ordinary, gold = _project_with(make, owner, 1, 2, 3)
    handed = _answer_all(testapp, project, make.user())
    assert handed[:3] == gold and sorted(handed[3:]) == ordinary


# -- the CSV importer and exports ----------------------------------------------------------


def test_csv_columns_ending_in_gold_make_gold_tasks(testapp, make, member, dbsession):
    project = make.project(member, "birds")
    sign_in(testapp, member)
    csv_text = "question,answer_gold\nBird?,bird\nPlane?,\n"
    post(testapp, "/project/birds/tasks/import", {"type": "csv", "csv_text": csv_text})
    dbsession.expire_all()
    tasks = dbsession.scalars(sa.select(Task).where(Task.project_id == project.id).order_by(Task.id)).all()
    assert [(task.info, task.calibration, task.gold_answers) for task in tasks] == [
        ({"question": "Bird?"}, 1, {"answer": "bird"}),
        ({"question": "Plane?"}, 0, None),
    ]


def test_a_csv_gold_row_without_answers_imports_nothing(testapp, make, member, dbsession):
    project = make.project(member, "birds")
    sign_in(testapp, member)
    body = post(testapp, "/project/birds/tasks/import",
                {"type": "csv", "csv_text": "question,calibration\nBird?,0\nPlane?,1\n"}).json
    assert body["flash"] == "A gold task (calibration = 1) needs its expected answers (gold_answers)."
    assert dbsession.scalar(sa.select(sa.func.count(Task.id)).where(Task.project_id == project.id)) == 0


def test_task_exports_show_gold_answers_to_owners_only(testapp, make, member):
    project = make.project(member, "birds")
    make.task(project, calibration=1, gold_answers=GOLD)

    def exported():
        response = testapp.get("/project/birds/tasks/export", {"type": "task", "format": "json"})
        with zipfile.ZipFile(io.BytesIO(response.body)) as archive:
            return [task["gold_answers"] for task in json.loads(archive.read(archive.namelist()[0]))]

    assert exported() == [None]
    sign_in(testapp, member)
    assert exported() == [GOLD]
