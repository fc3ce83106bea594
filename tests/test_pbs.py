"""pbs, PYBOSSA's command line client (pybossa-pbs 3.0.0), driven for real against a live site.

Each step runs ``pbs --server URL --api-key KEY ...`` in a project folder (project.json,
template.html, results.html, tutorial.html, long_description.md and the task files), as a
project owner would, and checks what the site serves afterwards through the REST API.
``HOME`` points at the folder so a developer's own ``~/.pybossa.cfg`` never takes part.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests

#: pbs lives in a venv of its own (the Makefile makes it): it pins Click 7, which the suite's own
#: tools cannot share.
PBS = Path(sys.executable).parent.parent / "pbs" / "bin" / "pbs"


class Pbs:
    """The pbs command in a project folder, signed in as one owner."""

    def __init__(self, server: str, api_key: str, folder: Path):
        self.server, self.api_key, self.folder = server, api_key, folder

    def __call__(self, *args: str, answer: str = "") -> str:
        completed = subprocess.run(
            [str(PBS), "--server", self.server, "--api-key", self.api_key, *args],
            cwd=self.folder, input=answer, capture_output=True, text=True, timeout=120,
            env={**os.environ, "HOME": str(self.folder)},
        )
        assert completed.returncode == 0, completed.stdout + completed.stderr
        # pbs prints every API answer it checks; a refused call shows as PYBOSSA's error object.
        assert '"status": "failed"' not in completed.stdout and "'status': 'failed'" not in completed.stdout
        return completed.stdout

    def api(self, path: str, **params) -> list | dict:
        response = requests.get(f"{self.server}/api/{path}", params={"api_key": self.api_key, **params}, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def pbs(live_server, live_factories, tmp_path) -> Pbs:
    with live_factories as make:
        owner = make.user()
    short_name = f"pbs{uuid.uuid4().hex[:10]}"
    files = {
        "project.json": json.dumps({"name": f"Pbs {short_name}", "short_name": short_name, "description": "Counting birds"}),
        "template.html": "<div>Is there a bird in {{ task.info.image }}?</div>",
        "results.html": "<div>The results</div>",
        "tutorial.html": "<div>How to count birds</div>",
        "long_description.md": "# Birds\n\nCount them all.\n",
        "tasks.csv": "image,question\nhttps://example.com/1.png,Bird?\nhttps://example.com/2.png,Plane?\n",
        "tasks.json": json.dumps([{"image": "https://example.com/3.png", "size": {"w": 3}}, {"info": {"image": "4.png"}}]),
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return Pbs(live_server.url, owner.api_key, tmp_path)


def project_of(pbs: Pbs) -> dict:
    short_name = json.loads((pbs.folder / "project.json").read_text())["short_name"]
    [project] = pbs.api("project", short_name=short_name)
    return project


def tasks_of(pbs: Pbs, project: dict) -> list[dict]:
    return pbs.api("task", project_id=project["id"], limit=100, orderby="id")


def test_pbs_runs_a_project_through_its_whole_life(pbs):
    assert "created!" in pbs("create-project")
    project = project_of(pbs)
    assert (project["name"], project["description"], project["published"]) == (
        f"Pbs {project['short_name']}", "Counting birds", False
    )

    assert "2 tasks added" in pbs("add-tasks", "--tasks-file", "tasks.csv", "--redundancy", "3")
    assert "2 tasks added" in pbs("add-tasks", "--tasks-file", "tasks.json", "--tasks-type", "json", "--priority", "1")
    tasks = tasks_of(pbs, project)
    assert [task["info"] for task in tasks] == [
        {"image": "https://example.com/1.png", "question": "Bird?"},
        {"image": "https://example.com/2.png", "question": "Plane?"},
        # A JSON task is its object, or the object under its ``info`` key.
        {"image": "https://example.com/3.png", "size": {"w": 3}},
        {"image": "4.png"},
    ]
    assert [(task["n_answers"], task["priority_0"]) for task in tasks] == [(3, 0.0), (3, 0.0), (30, 1.0), (30, 1.0)]

    assert "updated!" in pbs("update-project")
    info = project_of(pbs)["info"]
    assert info["task_presenter"] == "<div>Is there a bird in {{ task.info.image }}?</div>"
    assert (info["results"], info["tutorial"]) == ("<div>The results</div>", "<div>How to count birds</div>")
    assert project_of(pbs)["long_description"] == "# Birds\n\nCount them all.\n"

    assert "updated to 7" in pbs("update-task-redundancy", "--task-id", str(tasks[0]["id"]), "--redundancy", "7")
    assert [task["n_answers"] for task in tasks_of(pbs, project)] == [7, 3, 30, 30]
    assert "All tasks redundancy have been updated" in pbs("update-task-redundancy", "--redundancy", "5", answer="y\n")
    assert [task["n_answers"] for task in tasks_of(pbs, project)] == [5, 5, 5, 5]

    assert "have been deleted" in pbs("delete-tasks", "--task-id", str(tasks[1]["id"]))
    assert [task["id"] for task in tasks_of(pbs, project)] == [tasks[0]["id"], tasks[2]["id"], tasks[3]["id"]]
    assert "All tasks and task_runs have been deleted" in pbs("delete-tasks", answer="y\n")
    assert tasks_of(pbs, project) == []


def test_pbs_refuses_to_create_a_project_twice(pbs):
    pbs("create-project")
    completed = subprocess.run(
        [str(PBS), "--server", pbs.server, "--api-key", pbs.api_key, "create-project"],
        cwd=pbs.folder, capture_output=True, text=True, timeout=60, env={**os.environ, "HOME": str(pbs.folder)},
    )
    # pbs tells an existing project apart by PYBOSSA's DBIntegrityError on the project target.
    assert completed.returncode == 1
    assert "pbsexceptions.ProjectAlreadyExists: PyBossa project already exists." in completed.stderr
    assert "'exception_cls': 'DBIntegrityError'" in completed.stdout
    assert len(pbs.api("project", short_name=project_of(pbs)["short_name"])) == 1
