"""Multipart bodies with a file: checked by their bytes, stored by the uploader, served inert under /uploads/."""
from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from pybossa_core.models import HelpingMaterial, Page

INERT = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox"}
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>fetch("/account/profile")</script></svg>'


def picture(format_: str) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (4, 3), (10, 120, 200)).save(output, format=format_)
    return output.getvalue()


PNG = picture("PNG")


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


def upload(testapp, owner, project, name, content, *declared_type, **kw):
    return testapp.post(f"/api/helpingmaterial?api_key={owner.api_key}", {"project_id": str(project.id)},
                        upload_files=[("file", name, content, *declared_type)], **kw)


@pytest.mark.parametrize(("name", "content"), [
    ("bird.png", b"<html><script>alert(document.cookie)</script></html>"),
    ("bird.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),  # the signature, but no picture
    ("bird.jpg", PNG),  # a picture, but not the kind its name says
    ("bird.gif", picture("JPEG")),
    ("paper.pdf", b"<script>alert(1)</script>"),
    ("song.mp3", b"<html></html>"),
    ("clip.mp4", b"<html></html>"),
    ("clip.webm", b"GIF89a"),
    ("sound.wav", b"RIFF\x00\x00\x00\x00AVI "),
    ("notes.txt", b"\xff\xfe\x00<\x00h\x00t\x00m\x00l"),
    ("data.json", b"{not json"),
    ("data.csv", b"a,b\x00c"),
])
def test_a_file_whose_bytes_are_not_its_kind_is_refused(testapp, make, dbsession, uploads_dir, name, content):
    owner = make.user()
    project = make.project(owner)
    before = set(uploads_dir.rglob("*"))
    error = upload(testapp, owner, project, name, content, status=400).json
    extension = name.rsplit(".", 1)[1]
    assert (error["exception_cls"], error["exception_msg"]) == ("BadRequest", f"the file's content is not a {extension} file")
    assert dbsession.query(HelpingMaterial).count() == 0 and set(uploads_dir.rglob("*")) == before


def test_the_declared_type_is_not_believed(testapp, make):
    owner = make.user()
    project = make.project(owner)
    error = upload(testapp, owner, project, "bird.png", b"<html><script>alert(1)</script>", "image/png", status=400)
    assert error.json["exception_msg"] == "the file's content is not a png file"


def test_svg_is_refused_by_default(testapp, make, dbsession):
    owner = make.user()
    project = make.project(owner)
    error = upload(testapp, owner, project, "logo.svg", SVG, status=400).json
    assert error["exception_msg"] == "file type 'svg' is not allowed"
    assert dbsession.query(HelpingMaterial).count() == 0


@pytest.mark.parametrize(("name", "content", "content_type", "disposition"), [
    ("bird.png", PNG, "image/png", None),
    ("bird.jpeg", picture("JPEG"), "image/jpeg", None),
    ("bird.webp", picture("WEBP"), "image/webp", None),
    ("paper.pdf", b"%PDF-1.4\n", "application/pdf", None),
    ("song.mp3", b"ID3\x03", "audio/mpeg", None),
    ("notes.txt", "<html><script>alert(1)</script>".encode(), "text/plain", "attachment"),
    ("data.json", b'{"a": "<script>alert(1)</script>"}', "application/json", "attachment"),
    ("data.csv", b"a,b\n1,2\n", "text/csv", "attachment"),
])
def test_every_upload_is_served_inert(testapp, make, name, content, content_type, disposition):
    owner = make.user()
    project = make.project(owner)
    stored = upload(testapp, owner, project, name, content).json["media_url"]
    served = testapp.get(stored)
    assert served.body == content and served.content_type == content_type
    assert {header: served.headers.get(header) for header in INERT} == INERT
    if disposition:
        assert served.headers["Content-Disposition"] == f'attachment; filename="{stored.rsplit("/", 1)[1]}"'
    else:
        assert "Content-Disposition" not in served.headers
    assert testapp.head(stored).headers["Content-Security-Policy"] == INERT["Content-Security-Policy"]


def test_an_allowed_svg_is_served_only_as_an_inert_attachment(site_with, make):
    site = site_with(**{"uploads.allowed_extensions": "png svg zip"})
    owner = make.user()
    project = make.project(owner)
    stored = upload(site, owner, project, "logo.svg", SVG).json["media_url"]
    served = site.get(stored)
    assert served.content_type == "image/svg+xml" and served.headers["Content-Disposition"].startswith("attachment;")
    assert {header: served.headers.get(header) for header in INERT} == INERT
    # A kind the site allows but the uploader does not know: opaque bytes, an attachment.
    other = site.get(upload(site, owner, project, "pack.zip", b"<html>").json["media_url"])
    assert other.content_type == "application/octet-stream" and other.headers["Content-Disposition"].startswith("attachment;")
    assert upload(site, owner, project, "fake.svg", b"<html><script>alert(1)</script>", status=400).json[
        "exception_msg"] == "the file's content is not a svg file"


@pytest.mark.parametrize(("name", "stored"), [
    ("../../etc/bird.png", "bird.png"),
    ("..\\..\\windows\\bird.png", "bird.png"),
    ("bi\x07rd\x1b\t.png", "bi_rd.png"),
    ("\u202egnp.exe.png", "gnp.exe.png"),
    ("ｂｉｒｄ.png", "bird.png"),
    ("." * 3 + "hidden.png", "hidden.png"),
    ("b" * 300 + ".png", "b" * 107 + ".png"),
])
def test_file_names_are_normalised(testapp, make, uploads_dir, name, stored):
    owner = make.user()
    project = make.project(owner)
    body = upload(testapp, owner, project, name, PNG).json
    file_name = body["info"]["file_name"]
    assert file_name[9:] == stored and len(file_name) <= 120
    assert (uploads_dir / f"user_{owner.id}" / file_name).read_bytes() == PNG


def test_uploads_base_url_points_links_at_another_origin(site_with, make):
    site = site_with(**{"uploads.base_url": "https://files.example.org/uploads/"})
    owner = make.user()
    project = make.project(owner)
    body = upload(site, owner, project, "bird.png", PNG).json
    assert body["media_url"] == f"https://files.example.org/uploads/user_{owner.id}/{body['info']['file_name']}"
    # This site serves the same files (the other origin may be a host name of its own).
    assert site.get(f"/uploads/user_{owner.id}/{body['info']['file_name']}").body == PNG


@pytest.mark.parametrize("path", ["/uploads/user_1/..", "/uploads/../setup.cfg", "/uploads/.hidden/x.png",
                                  "/uploads/user_1/missing.png", "/uploads/user_1/a/b.png", "/uploads/user_1/%00.png"])
def test_nothing_outside_the_uploads_is_served(testapp, path):
    testapp.get(path, status=404)


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
        upload_files=[("file", "recording.mp3", b"ID3\x03")],
    ).json
    assert body["media_url"].startswith("/uploads/anonymous/") and body["info"]["answer"] == 1


@pytest.mark.parametrize("info", ['{"a\\u0000b": 1}', '{"a": "x\\u0000"}', '{"a": "x\u0000"}'])
def test_nul_in_a_form_field_is_refused_as_in_json(testapp, make, dbsession, info):
    owner = make.user()
    project = make.project(owner)
    body = testapp.post(f"/api/page?api_key={owner.api_key}", {"project_id": str(project.id), "slug": "about", "info": info},
                        status=400).json
    assert body["exception_cls"] == "BadRequest" and "NUL" in body["exception_msg"]
    assert dbsession.query(Page).count() == 0


def test_a_missing_upload_is_the_sites_404_page_as_any_unknown_address(testapp):
    # The uploads service raises the domain's NotFound; outside /api it is answered as Pyramid's 404.
    missing = testapp.get("/uploads/user_1/missing.png", headers={"Accept": "application/json"}, status=404)
    unknown = testapp.get("/no/such/page", headers={"Accept": "application/json"}, status=404)
    assert missing.json == unknown.json and missing.json["template"] == "404.html"
    page = testapp.get("/uploads/user_1/missing.png", headers={"Accept": "text/html"}, status=404)
    assert page.content_type == "text/html"
