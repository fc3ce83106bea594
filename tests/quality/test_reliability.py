"""Volunteer reliability: gold answers scored as they arrive, shown to owners, used by results."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
import sqlalchemy as sa

from pybossa_core.models import Project, VolunteerReliability
from tests.views.conftest import sign_in

GOLD = {"label": "bird"}


def give(testapp, project, volunteer, info):
    """``volunteer`` (a user, or None: anonymous) asks for its next task and answers ``info``."""
    query = {"api_key": volunteer.api_key} if volunteer else {}
    task = testapp.get(f"/api/{project.id}/newtask", query).json
    url = "/api/taskrun" + (f"?api_key={volunteer.api_key}" if volunteer else "")
    testapp.post_json(url, {"project_id": project.id, "task_id": task["id"], "info": info})
    return task["id"]


@pytest.fixture
def gold_project(make, member):
    """A project of ``member`` handing out its two gold tasks first, then one ordinary task."""
    project = make.project(member, "birds", info={"gold_rate": 1})
    gold = [make.task(project, calibration=1, gold_answers=GOLD, info={"g": n}, n_answers=1) for n in range(2)]
    ordinary = make.task(project, info={"photo": 1}, n_answers=3)
    return project, gold, ordinary


def stored(dbsession, project):
    dbsession.expire_all()
    query = sa.select(VolunteerReliability).where(VolunteerReliability.project_id == project.id)
    return {row.volunteer: (row.n_gold, row.n_correct) for row in dbsession.scalars(query)}


def test_each_gold_answer_is_scored_for_its_volunteer(testapp, make, gold_project, dbsession):
    project, gold, _ = gold_project
    right, wrong = make.user(), make.user()
    for answer in (GOLD, {"label": "plane"}):
        give(testapp, project, right, GOLD)
        give(testapp, project, wrong, answer)
    give(testapp, project, None, {"label": "plane"})
    anonymous = next(volunteer for volunteer in stored(dbsession, project) if volunteer.startswith("anon:"))
    assert stored(dbsession, project) == {f"user:{right.id}": (2, 2), f"user:{wrong.id}": (2, 1), anonymous: (1, 0)}


def test_ordinary_answers_are_not_scored(testapp, make, dbsession):
    project = make.project(make.user())
    make.task(project, n_answers=1)
    give(testapp, project, make.user(), GOLD)
    assert stored(dbsession, project) == {}


def test_the_answer_key_scores_one_key_of_the_answer(testapp, make, dbsession):
    project = make.project(make.user(), info={"answer_key": "label", "gold_rate": 1})
    make.task(project, calibration=1, gold_answers={"label": "bird", "note": "easy"})
    volunteer = make.user()
    give(testapp, project, volunteer, {"label": "bird", "seconds": 4})
    assert stored(dbsession, project) == {f"user:{volunteer.id}": (1, 1)}


def test_owners_and_admins_read_the_reliability_api(testapp, make, member, gold_project):
    project, _, _ = gold_project
    volunteer = make.user()
    give(testapp, project, volunteer, GOLD)
    give(testapp, project, volunteer, {"label": "plane"})
    url = f"/api/project/{project.id}/reliability"
    for reader in (member, make.admin()):
        assert testapp.get(url, {"api_key": reader.api_key}).json == [{
            "volunteer": f"user:{volunteer.id}", "user_id": volunteer.id, "external_uid": None,
            "n_gold": 2, "n_correct": 1, "accuracy": 0.5, "reliability": 0.5,
        }]
    assert testapp.get(url, status=401).json["exception_cls"] == "Unauthorized"
    assert testapp.get(url, {"api_key": volunteer.api_key}, status=403).json["status_code"] == 403
    testapp.get("/api/project/999999/reliability", {"api_key": member.api_key}, status=404)


def test_volunteers_below_the_threshold_are_left_out_of_results(testapp, make, gold_project, dbsession):
    project, _, ordinary = gold_project
    project.info = {**project.info, "min_reliability": 0.5}
    dbsession.flush()
    careful, careless = make.user(), [make.user(), make.user()]
    for _ in range(2):
        give(testapp, project, careful, GOLD)
        for volunteer in careless:
            give(testapp, project, volunteer, {"label": "plane"})
    give(testapp, project, careful, {"label": "bird"})
    for volunteer in careless:
        give(testapp, project, volunteer, {"label": "plane"})
    [result] = testapp.get("/api/result", {"task_id": ordinary.id, "all": 1}).json
    assert result["info"] == {"answer": {"label": "bird"}, "confidence": 1.0, "aggregator": "majority"}


def test_a_threshold_outside_zero_to_one_is_refused(testapp, make, dbsession):
    owner = make.user()
    project = make.project(owner)
    body = testapp.put_json(f"/api/project/{project.id}?api_key={owner.api_key}", {"info": {"min_reliability": 2}},
                            status=415).json
    assert body["exception_msg"] == "info.min_reliability: must be a number between 0 and 1"
    dbsession.expire_all()
    assert dbsession.get(Project, project.id).info == {}


def test_owners_see_reliability_in_the_project_stats_and_the_export(testapp, make, member, gold_project):
    project, _, _ = gold_project
    volunteers = [make.user() for _ in range(3)]
    for volunteer, answers in zip(volunteers, ([GOLD, GOLD], [GOLD, {"x": 1}], [{"x": 1}, {"x": 1}])):
        for info in answers:
            give(testapp, project, volunteer, info)
    json_headers = {"Accept": "application/json"}
    assert "reliability" not in testapp.get("/project/birds/stats", headers=json_headers).json
    sign_in(testapp, member)
    stats = testapp.get("/project/birds/stats", headers=json_headers).json["reliability"]
    assert [row["accuracy"] for row in stats["volunteers"]] == [0.0, 0.5, 1.0]
    assert stats["histogram"]["datasets"][0]["data"] == [1, 0, 0, 0, 0, 1, 0, 0, 0, 1]
    page = testapp.get("/project/birds/stats").text
    assert 'id="reliability-histogram"' in page and f"user:{volunteers[0].id}" in page and "50%" in page
    response = testapp.get("/project/birds/tasks/export", {"type": "reliability", "format": "json"})
    with zipfile.ZipFile(io.BytesIO(response.body)) as archive:
        assert archive.namelist() == ["birds_reliability.json"]
        exported = json.loads(archive.read("birds_reliability.json"))
    assert sorted((row["user_id"], row["n_correct"]) for row in exported) == sorted(
        (volunteer.id, right) for volunteer, right in zip(volunteers, (2, 1, 0))
    )
    csv_text = testapp.get("/project/birds/tasks/export", {"type": "reliability", "format": "csv"})
    with zipfile.ZipFile(io.BytesIO(csv_text.body)) as archive:
        assert archive.read("birds_reliability.csv").decode().splitlines()[0] == (
            "volunteer,user_id,external_uid,n_gold,n_correct,accuracy,reliability"
        )


def test_only_owners_may_export_reliability(testapp, make, gold_project):
    testapp.get("/project/birds/tasks/export", {"type": "reliability", "format": "json"}, status=404)
    listed = testapp.get("/project/birds/tasks/export", headers={"Accept": "application/json"}).json["exporters"]
    assert "reliability" not in {download["type"] for download in listed}
