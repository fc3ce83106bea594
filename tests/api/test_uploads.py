"""Multipart bodies with a file: stored by the uploader, served under /uploads/, checked first."""
from __future__ import annotations

import json

from pybossa_core.models import HelpingMaterial

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_helping_material_with_a_file(testapp, make, dbsession, uploads_dir):
    owner = make.user()
    project = make.project(owner)
    body = testapp.post(
        f"/api/helpingmaterial?api_key={owner.api_key}",
        {"project_id": str(project.id), "info": json.dumps({"caption": "a bird"})},
        upload_files=[("file", "bird.png", PNG)],
    ).json
    assert body["media_url"].startswith(f"/uploads/user_{owner.id}/") and body["media_url"].endswith("_bird.png")
    assert body["info"]["caption"] == "a bird" and body["info"]["container"] == f"user_{owner.id}"
    assert testapp.get(body["media_url"]).body == PNG
    assert dbsession.get(HelpingMaterial, body["id"]).media_url == body["media_url"]


def test_file_type_and_size_are_checked(testapp, make, dbsession, uploads_dir):
    owner = make.user()
    project = make.project(owner)
    url = f"/api/helpingmaterial?api_key={owner.api_key}"
    fields = {"project_id": str(project.id)}
    error = testapp.post(url, fields, upload_files=[("file", "run.exe", b"MZ")], status=400).json
    assert error["exception_cls"] == "BadRequest" and "not allowed" in error["exception_msg"]
    testapp.post(url, fields, upload_files=[("file", "big.png", b"x" * 5000)], status=400)
    assert dbsession.query(HelpingMaterial).count() == 0


def test_refused_upload_leaves_no_file(testapp, make, uploads_dir):
    owner, other = make.user(), make.user()
    project = make.project(owner)
    before = set(uploads_dir.rglob("*"))
    testapp.post(
        f"/api/helpingmaterial?api_key={other.api_key}",
        {"project_id": str(project.id)},
        upload_files=[("file", "bird.png", PNG)],
        status=403,
    )
    assert set(uploads_dir.rglob("*")) == before


def test_anonymous_task_run_with_a_file(testapp, make):
    project = make.project(make.user())
    task = make.task(project)
    testapp.get(f"/api/{project.id}/newtask")
    body = testapp.post(
        "/api/taskrun",
        {"project_id": str(task.project_id), "task_id": str(task.id), "info": json.dumps({"answer": 1})},
        upload_files=[("file", "recording.mp3", b"ID3")],
    ).json
    assert body["media_url"].startswith("/uploads/anonymous/") and body["info"]["answer"] == 1
