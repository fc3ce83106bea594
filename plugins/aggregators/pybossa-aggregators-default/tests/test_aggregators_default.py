"""``weighted`` on a site with only this plugin: reliable volunteers outvote unreliable ones."""

from __future__ import annotations

import pybossa_aggregators_default

from pybossa_core.plugins import load_plugins
from pybossa_core.testing import answer_next_task, create_project, create_tasks, create_user


def test_entry_point_registers_weighted():
    assert "aggregators-default" in [plugin.name for plugin in load_plugins({}).list_plugins()]
    mine = load_plugins({}, autoload=False, extra_plugins=[pybossa_aggregators_default]).register_aggregators()
    assert [(spec.name, spec.uses_reliability) for spec in mine] == [("weighted", True), ("majority", False)]


def test_volunteers_right_on_gold_tasks_outvote_a_wrong_majority(pybossa_testapp):
    testapp = pybossa_testapp
    owner = create_user(testapp, "owner")
    project = create_project(testapp, owner, "birds", info={"aggregator": "weighted", "gold_rate": 1})
    create_tasks(testapp, owner, project, [{"gold": n} for n in range(2)], calibration=1,
                 gold_answers={"label": "bird"}, n_answers=1)
    [task] = create_tasks(testapp, owner, project, [{"photo": 1}], n_answers=3)
    careful, careless = create_user(testapp, "careful"), [create_user(testapp, f"careless{n}") for n in range(2)]
    # Both gold tasks first (gold_rate 1): the careful volunteer gets them right, the others wrong.
    for _ in range(2):
        answer_next_task(testapp, careful, project, {"label": "bird"})
        for volunteer in careless:
            answer_next_task(testapp, volunteer, project, {"label": "plane"})
    answer_next_task(testapp, careful, project, {"label": "bird"})
    for volunteer in careless:
        answer_next_task(testapp, volunteer, project, {"label": "plane"})

    [result] = testapp.get("/api/result", {"task_id": task["id"], "all": 1}).json
    assert result["info"]["answer"] == {"label": "bird"} and result["info"]["aggregator"] == "weighted"
    assert 0.5 < result["info"]["confidence"] < 1
    reliability = testapp.get(f"/api/project/{project['id']}/reliability", {"api_key": owner.api_key}).json
    assert {(row["volunteer"], row["n_gold"], row["n_correct"]) for row in reliability} == {
        (f"user:{careful.id}", 2, 2), *((f"user:{volunteer.id}", 2, 0) for volunteer in careless)
    }


def test_unknown_volunteers_get_their_plurality(pybossa_testapp):
    testapp = pybossa_testapp
    owner = create_user(testapp, "owner")
    project = create_project(testapp, owner, "birds", info={"aggregator": "weighted"})
    [task] = create_tasks(testapp, owner, project, [{"photo": 1}], n_answers=3)
    for name, label in (("ann", "plane"), ("ben", "bird"), ("cat", "bird")):
        answer_next_task(testapp, create_user(testapp, name), project, label)
    [result] = testapp.get("/api/result", {"task_id": task["id"], "all": 1}).json
    assert result["info"]["answer"] == "bird"
    assert abs(result["info"]["confidence"] - 2 / 3) < 1e-9
