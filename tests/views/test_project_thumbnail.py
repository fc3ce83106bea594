"""Uploading a project's thumbnail from its update page (``btn=Upload``), and how the stored pictures are kept."""
from __future__ import annotations

import io
import os
import re
import struct
import zlib

import pytest
import transaction
from PIL import Image

from pybossa_core.interfaces import IUploader, find_service
from pybossa_core.services.avatars import store_picture
from pybossa_core.services.uploads import Uploads
from tests.views.conftest import csrf_of
from tests.views.project_fixtures import JSON, as_user

UPDATED = "Your project thumbnail has been updated! It may take some minutes to refresh..."
NO_FILE = "You must provide a file to change the avatar"


def png(width: int = 40, height: int = 30) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(output, format="PNG")
    return output.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A PNG that announces ``width`` x ``height`` pixels but carries none (a decompression bomb's front)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def upload(testapp, content, *, filename="thumb.png", **fields):
    data = {"btn": "Upload", "csrf_token": csrf_of(testapp), **{key: str(value) for key, value in fields.items()}}
    return testapp.post("/project/birds/update", data, upload_files=[("avatar", filename, content)], headers=JSON)


def stored_size(uploads_dir, info) -> tuple[int, int]:
    with Image.open(os.path.join(uploads_dir, info["container"], info["thumbnail"])) as image:
        return image.size


def test_thumbnail_is_cropped_stored_and_set_on_the_project(browser, member, project, dbsession, uploads_dir):
    body = upload(browser, png(40, 30), x1=5, y1=4, x2=20, y2=10).json

    assert body == {"flash": UPDATED, "next": "/project/birds/update", "status": "success"}
    dbsession.refresh(project)
    info = project.info
    assert info["task_presenter"] == "<div>birds</div>"
    assert info["container"] == f"user_{member.id}"
    assert re.fullmatch(rf"[0-9a-f]{{8}}_project_{project.id}_thumbnail_\d+\.png", info["thumbnail"])
    assert info["thumbnail_url"] == f"/uploads/user_{member.id}/{info['thumbnail']}"
    assert stored_size(uploads_dir, info) == (20, 10)
    assert browser.get(info["thumbnail_url"]).content_type == "image/png"
    # Everyone sees the thumbnail on the project's public face.
    public = browser.get("/project/birds/", headers=JSON).json["project"]["info"]
    assert public["thumbnail"] == info["thumbnail"]


def test_a_large_picture_is_shrunk_to_fit_512_pixels(browser, project, dbsession, uploads_dir):
    assert upload(browser, png(1024, 300)).json["status"] == "success"
    dbsession.refresh(project)
    assert stored_size(uploads_dir, project.info) == (512, 150)


def test_a_new_thumbnail_replaces_the_old_one(browser, project, dbsession):
    upload(browser, png())
    dbsession.refresh(project)
    first = project.info["thumbnail"]
    upload(browser, png(12, 12))
    dbsession.refresh(project)
    assert project.info["thumbnail"] != first


def test_an_admin_uploads_into_their_own_folder(testapp, make, project, dbsession):
    boss = as_user(testapp, make, "boss", admin=True)
    assert upload(testapp, png()).json["status"] == "success"
    dbsession.refresh(project)
    assert project.info["container"] == f"user_{boss.id}"


@pytest.mark.parametrize(
    ("content", "fields", "message"),
    [
        (b"not an image at all", {}, "You have to provide an image file to update your avatar"),
        (b"\x89PNG" + b"0" * 4096, {}, "The file is too large: the limit is 2048 bytes."),
        (png_header(8000, 8000), {}, "The picture is too large."),
        (None, {"x1": 30, "y1": 0, "x2": 20, "y2": 10}, "The crop area must lie inside the picture."),
    ],
)
def test_refused_pictures_change_nothing(browser, project, dbsession, uploads_dir, content, fields, message):
    before = dict(project.info)
    body = upload(browser, content if content is not None else png(40, 30), **fields).json

    assert body["status"] == "error" and body["flash"] == message
    assert body["upload_form"]["errors"] == {"avatar": [message]}
    assert body["upload_form"]["avatar"] == "thumb.png" and body["form"]["errors"] == {}
    dbsession.refresh(project)
    assert project.info == before


def test_upload_without_a_file_or_with_bad_crop_numbers(browser, project, dbsession):
    body = browser.post("/project/birds/update", {"btn": "Upload", "csrf_token": csrf_of(browser)}, headers=JSON).json
    assert body["flash"] == NO_FILE and body["upload_form"]["errors"] == {"avatar": [NO_FILE]}

    body = upload(browser, png(), x1="left", y1=-1).json
    assert body["flash"] == NO_FILE and set(body["upload_form"]["errors"]) == {"x1", "y1"}
    assert body["upload_form"]["x1"] == "left"
    dbsession.refresh(project)
    assert "thumbnail" not in project.info


def test_only_owners_and_admins_upload(testapp, make, project, dbsession):
    body = testapp.post("/project/birds/update", {"btn": "Upload"}, upload_files=[("avatar", "t.png", png())],
                        headers={**JSON, "X-CSRFToken": csrf_of(testapp)}, status=302).json
    assert body["next"].startswith("/account/signin")
    as_user(testapp, make, "other")
    testapp.post("/project/birds/update", {"btn": "Upload", "csrf_token": csrf_of(testapp)},
                 upload_files=[("avatar", "t.png", png())], headers=JSON, status=403)
    dbsession.refresh(project)
    assert "thumbnail" not in project.info


def test_upload_without_csrf_is_refused(browser, project, dbsession):
    browser.post("/project/birds/update", {"btn": "Upload"}, upload_files=[("avatar", "t.png", png())],
                 headers=JSON, status=400)
    dbsession.refresh(project)
    assert "thumbnail" not in project.info


def test_stored_pictures_follow_the_transaction(app):
    """The previous picture goes once the change commits; a new picture goes if the change aborts."""
    manager = transaction.TransactionManager(explicit=True)
    uploads = Uploads(find_service(app.registry, IUploader), manager)
    manager.begin()
    old = store_picture(uploads, io.BytesIO(png()), box=(0, 0, 0, 0), container="user_test", file_name="a.png")
    manager.commit()
    manager.begin()
    new = store_picture(uploads, io.BytesIO(png()), box=(0, 0, 0, 0), container="user_test",
                        file_name="b.png", previous=(old.container, old.file_name))
    manager.commit()
    assert not os.path.exists(old.path) and os.path.exists(new.path)

    manager.begin()
    dropped = store_picture(uploads, io.BytesIO(png()), box=(0, 0, 0, 0), container="user_test",
                            file_name="c.png", previous=(new.container, new.file_name))
    manager.abort()
    assert not os.path.exists(dropped.path) and os.path.exists(new.path)
