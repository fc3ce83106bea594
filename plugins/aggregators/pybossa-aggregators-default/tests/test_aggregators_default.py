"""``weighted`` on a site with only this plugin: reliable volunteers outvote unreliable ones."""

from __future__ import annotations

import pybossa_aggregators_default

from pybossa_core.testing import (
    answer_next_task,
    create_project,
    create_tasks,
    create_user,
    load_plugins,
)


def test_entry_point_registers_weighted():
    assert "aggregators-default" in [plugin.name for plugin in load_plugins({}).list_plugins()]
    mine = load_plugins({}, autoload=False, extra_plugins=[pybossa_aggregators_default]).register_aggregators()
    assert [(spec.name, spec.uses_reliability) for spec in mine] == [
        ("weighted", True), ("dawid-skene", False), ("majority", False)
    ]


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
    # The posterior, not the vote share (2/3): each unknown vote has odds 3 (a 75 % volunteer), 3² : 3.
    assert abs(result["info"]["confidence"] - 9 / 12) < 1e-9


def test_agreeing_unknown_volunteers_are_as_sure_as_their_combined_odds(pybossa_testapp):
    testapp = pybossa_testapp
    owner = create_user(testapp, "owner")
    project = create_project(testapp, owner, "birds", info={"aggregator": "weighted"})
    [task] = create_tasks(testapp, owner, project, [{"photo": 1}], n_answers=2)
    for name in ("ann", "ben"):
        answer_next_task(testapp, create_user(testapp, name), project, "bird")
    [result] = testapp.get("/api/result", {"task_id": task["id"], "all": 1}).json
    # Not 1 (the vote share): against one other possible answer, odds of 3 each make 9 : 1.
    assert result["info"]["answer"] == "bird" and abs(result["info"]["confidence"] - 0.9) < 1e-9


def test_dawid_skene_sees_through_a_volunteer_who_always_answers_the_same(pybossa_testapp):
    testapp = pybossa_testapp
    owner = create_user(testapp, "owner")
    project = create_project(testapp, owner, "birds", info={"aggregator": "dawid-skene"})
    truths = ["bird", "plane", "kite", "bird", "plane", "kite"]
    clear = [create_tasks(testapp, owner, project, [{"n": n}], n_answers=3, priority_0=1 - n / 10)[0]
             for n in range(len(truths))]
    [tied] = create_tasks(testapp, owner, project, [{"n": "tied"}], n_answers=2, priority_0=0)
    stubborn, careful, other = (create_user(testapp, name) for name in ("stubborn", "careful", "other"))
    for _ in range(len(truths) + 1):
        answer_next_task(testapp, stubborn, project, "bird")
    for truth in [*truths, "plane"]:
        answer_next_task(testapp, careful, project, truth)
    for truth in truths:
        answer_next_task(testapp, other, project, truth)

    def answers():
        results = {result["task_id"]: result["info"] for result in
                   testapp.get("/api/result", {"project_id": project["id"], "all": 1, "limit": 100}).json}
        return [results[task["id"]]["answer"] for task in [*clear, tied]], results[tied["id"]]

    # When each task completes: its plurality; the tie goes to the answer given first.
    assert answers()[0] == [*truths, "bird"]
    queued = testapp.post_json(f"/api/project/{project['id']}/aggregate?api_key={owner.api_key}", {}).json
    assert queued == {"status": "queued", "aggregator": "dawid-skene"}
    found, tied_info = answers()
    assert found == [*truths, "plane"]
    assert tied_info["aggregator"] == "dawid-skene" and 0.5 < tied_info["confidence"] <= 1
