"""A fuzz pass over every upload and import form (issue 15): hostile names, types, sizes and
broken bodies always get a clear refusal (a 4xx with the error JSON, or the form's errors),
never a 500, and leave nothing stored: no row, no file.

The cases are written out (each says what it tries) and a derandomized Hypothesis pass adds
generated names and bodies on top, the same on every run.
"""
from __future__ import annotations

import gc
import io
import json
import warnings

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings, strategies as st
from PIL import Image

from pybossa_core.models import Blogpost, HelpingMaterial, Project, Task, TaskRun, User
from tests.views.conftest import csrf_of

BOUNDARY = "fuzzboundary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


def png() -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (4, 3), (1, 2, 3)).save(output, format="PNG")
    return output.getvalue()


def multipart(*parts: tuple[str, str | None, bytes], closing: bool = True) -> bytes:
    """A multipart body of ``(field, file name or None, content)`` parts."""
    body = b""
    for field, filename, content in parts:
        disposition = f'form-data; name="{field}"' + (f'; filename="{filename}"' if filename is not None else "")
        body += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode("utf-8", "surrogateescape") + content + b"\r\n"
    return body + (f"--{BOUNDARY}--\r\n".encode() if closing else b"")


@pytest.fixture(autouse=True)
def collect_spooled_parts():
    """WebOb's cgi-based parser spools text parts over 1000 bytes to temporary files it never
    closes; collect them after each test, so their ResourceWarning is not blamed on a later one."""
    yield
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


@pytest.fixture
def scene(make, member, project):
    """``member`` owns ``birds`` (the ``project`` fixture), which has a task to answer."""
    task = make.task(project)
    return member, project, task


def stored_state(dbsession, uploads_dir, user: User, project: Project):
    """Everything an upload or an import could leave behind."""
    dbsession.expire_all()
    counts = tuple(dbsession.scalar(sa.select(sa.func.count()).select_from(model)) for model in
                   (HelpingMaterial, Blogpost, TaskRun, Task))
    files = sorted(str(path) for path in uploads_dir.rglob("*"))
    return counts, files, dict(dbsession.get(User, user.id).info or {}), dict(dbsession.get(Project, project.id).info or {})


def raw_post(app, url, body: bytes, content_type: str, **headers: str):
    """POST ``body`` exactly as given (WebTest would re-encode a multipart body it is handed)."""
    return app.post(url, params=body, headers={"Content-Type": content_type, **headers}, expect_errors=True)


def assert_refused(response):
    """A clear refusal: a 4xx (under /api with PYBOSSA's error JSON), or a page answer that did not succeed
    (the form's errors, or the page again for a body that carried no form at all)."""
    assert response.status_int < 500, response.text[:500]
    if response.status_int >= 400:
        if response.request.path.startswith("/api/"):
            body = response.json
            assert body["status"] == "failed" and body["status_code"] == response.status_int, body
            assert body["exception_msg"] and body["exception_cls"]
        return
    body = response.json
    assert body.get("status") != "success", body
    if body.get("status") == "error":
        assert body.get("flash") or any((body.get(key) or {}).get("errors") for key in ("form", "upload_form")), body


def part(field: str, filename: str | None, content: bytes) -> bytes:
    return multipart((field, filename, content), closing=False)


#: Multipart bodies that are broken or hostile, for every form that takes a file: each is
#: built from ``fields`` (the parts a valid request of that form has besides its file) and
#: ``file`` (the file field's name).
BAD_MULTIPART = {
    "no boundary": lambda fields, file: (b"--x\r\n\r\n", "multipart/form-data"),
    "garbage": lambda fields, file: (b"\x00\xff" * 100, MULTIPART),
    "empty": lambda fields, file: (b"", MULTIPART),
    "truncated part": lambda fields, file: (
        fields + f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{file}"; filename="a.png"\r\n'.encode(), MULTIPART),
    "file as text": lambda fields, file: (fields + multipart((file, None, b"not a file")), MULTIPART),
    "empty file name": lambda fields, file: (fields + multipart((file, "", png())), MULTIPART),
    "no extension": lambda fields, file: (fields + multipart((file, "README", b"hello")), MULTIPART),
    "path in the name": lambda fields, file: (fields + multipart((file, "../../../../etc/passwd", b"root:x:0:0")), MULTIPART),
    "control characters": lambda fields, file: (fields + multipart((file, "a\x00\x01\x1b.png", b"<script>")), MULTIPART),
    "non-UTF-8 name": lambda fields, file: (fields + multipart((file, "\udcff\udcfe.png", b"x")), MULTIPART),
    "HTML as a picture": lambda fields, file: (
        fields + multipart((file, "a.png", b"<html><script>alert(1)</script></html>")), MULTIPART),
    "SVG": lambda fields, file: (fields + multipart((file, "a.svg", b"<svg><script>alert(1)</script></svg>")), MULTIPART),
    "executable": lambda fields, file: (fields + multipart((file, "a.exe", b"MZ\x90\x00")), MULTIPART),
    "too large": lambda fields, file: (fields + multipart((file, "a.png", b"\x89PNG\r\n\x1a\n" + b"x" * 5000)), MULTIPART),
    "two files": lambda fields, file: (fields + multipart((file, "a.png", b"<html>"), (file, "b.png", b"<html>")), MULTIPART),
    "huge field": lambda fields, file: (fields + multipart(("info", None, b"{" * 100_000), (file, "a.png", b"<html>")), MULTIPART),
    "bad info JSON": lambda fields, file: (fields + multipart(("info", None, b"{not json"), (file, "a.png", b"<html>")), MULTIPART),
    "many fields": lambda fields, file: (
        fields + multipart(*[(f"f{number}", None, b"x") for number in range(2000)], (file, "a.png", b"<html>")), MULTIPART),
    "wrong body type": lambda fields, file: (b'{"info": {}}', "text/plain"),
}
#: Broken bodies a multipart parser may still read: the file in them is a valid picture.
MAY_SUCCEED = {"no closing boundary"}

API_UPLOADS = {
    "helpingmaterial": lambda project, task: part("project_id", None, str(project.id).encode()),
    "blogpost": lambda project, task: part("project_id", None, str(project.id).encode())
    + part("title", None, b"Hi") + part("body", None, b"Hello"),
    "taskrun": lambda project, task: part("project_id", None, str(project.id).encode())
    + part("task_id", None, str(task.id).encode()),
}


@pytest.mark.parametrize("resource", API_UPLOADS)
@pytest.mark.parametrize("case", BAD_MULTIPART)
def test_api_uploads_refuse_hostile_bodies(testapp, dbsession, uploads_dir, scene, resource, case):
    owner, project, task = scene
    body, content_type = BAD_MULTIPART[case](API_UPLOADS[resource](project, task), "file")
    testapp.get(f"/api/{project.id}/newtask?api_key={owner.api_key}")
    before = stored_state(dbsession, uploads_dir, owner, project)
    response = raw_post(testapp, f"/api/{resource}?api_key={owner.api_key}", body, content_type)
    assert_refused(response)
    assert 400 <= response.status_int < 500
    assert stored_state(dbsession, uploads_dir, owner, project) == before


def test_a_valid_upload_passes_the_same_harness(testapp, dbsession, uploads_dir, scene):
    owner, project, task = scene
    body = API_UPLOADS["helpingmaterial"](project, task) + multipart(("file", "a.png", png()))
    before = stored_state(dbsession, uploads_dir, owner, project)
    response = raw_post(testapp, f"/api/helpingmaterial?api_key={owner.api_key}", body, MULTIPART)
    assert response.json["media_url"].endswith("_a.png")
    assert stored_state(dbsession, uploads_dir, owner, project) != before


PICTURE_FORMS = {"avatar": "/account/member/update", "thumbnail": "/project/birds/update"}


@pytest.mark.parametrize("form", PICTURE_FORMS)
@pytest.mark.parametrize("case", BAD_MULTIPART)
def test_picture_forms_refuse_hostile_bodies(browser, dbsession, uploads_dir, scene, form, case):
    owner, project, _ = scene
    body, content_type = BAD_MULTIPART[case](part("btn", None, b"Upload"), "avatar")
    before = stored_state(dbsession, uploads_dir, owner, project)
    response = raw_post(browser, PICTURE_FORMS[form], body, content_type,
                        **{"X-CSRFToken": csrf_of(browser), "Accept": "application/json"})
    assert_refused(response)
    assert stored_state(dbsession, uploads_dir, owner, project) == before


#: Import form bodies (JSON) of the wrong shape or size, for each bundled importer.
IMPORT_CASES = {
    "type as a list": {"type": ["csv"], "csv_text": "a\nb\n"},
    "type as an object": {"type": {"csv": 1}},
    "unknown type": {"type": "../../etc/passwd"},
    "csv_text as a list": {"type": "csv", "csv_text": ["a", "b"]},
    "csv_url as an object": {"type": "csv", "csv_url": {"href": "http://127.0.0.1/"}},
    "csv_url null": {"type": "csv", "csv_url": None},
    "csv_url with a newline": {"type": "csv", "csv_url": "http://example.org/\r\nHost: 127.0.0.1"},
    "csv_url file scheme": {"type": "csv", "csv_url": "file:///etc/passwd"},
    "csv_url loopback": {"type": "csv", "csv_url": "http://127.0.0.1:1/a.csv"},
    "csv_url bad port": {"type": "csv", "csv_url": "http://example.org:99999/a.csv"},
    "csv_url bad IPv6": {"type": "csv", "csv_url": "http://[::1/a.csv"},
    "csv_text binary": {"type": "csv", "csv_text": "\x00\x01\x02,\x00\n\x00"},
    "csv_text with a NUL header": {"type": "csv", "csv_text": "a\x00b\nc\n"},
    "csv_text huge field": {"type": "csv", "csv_text": "question\n" + "x" * 2_000_000 + "\n"},
    "csv_text bad n_answers": {"type": "csv", "csv_text": "question,n_answers\nx,99999999999999999999999\n"},
    "gdocs not a sheet": {"type": "gdocs", "googledocs_url": "http://127.0.0.1/spreadsheets/d/x"},
    "gdocs as a list": {"type": "gdocs", "googledocs_url": ["https://docs.google.com/spreadsheets/d/x"]},
    "iiif loopback": {"type": "iiif", "manifest_uri": "http://localhost/manifest.json"},
    "iiif number": {"type": "iiif", "manifest_uri": 3},
    "dropbox not JSON": {"type": "dropbox", "files": ["{not json"]},
    "dropbox object": {"type": "dropbox", "files": {"name": "a"}},
    "dropbox file URL": {"type": "dropbox", "files": [json.dumps({"name": "a.png", "link": "file:///etc/passwd"})]},
    "s3 bucket path": {"type": "s3", "bucket": "../../x"},
    "flickr album list": {"type": "flickr", "album_id": [1, 2]},
    "twitter huge count": {"type": "twitter", "source": "#birds", "max_tweets": 10**30},
    "youtube not a playlist": {"type": "youtube", "playlist_url": "javascript:alert(1)"},
    "epicollect object": {"type": "epicollect", "epicollect_project": {"a": 1}},
}


@pytest.mark.parametrize("case", IMPORT_CASES)
def test_import_forms_refuse_hostile_fields(browser, dbsession, uploads_dir, scene, case):
    owner, project, _ = scene
    before = stored_state(dbsession, uploads_dir, owner, project)
    response = browser.post_json("/project/birds/tasks/import", IMPORT_CASES[case], expect_errors=True,
                                 headers={"X-CSRFToken": csrf_of(browser), "Accept": "application/json"})
    assert_refused(response)
    assert stored_state(dbsession, uploads_dir, owner, project) == before


RAW_IMPORT_BODIES = {
    "invalid JSON": (b'{"type": "csv", ', "application/json"),
    "JSON array": (b'[{"type": "csv"}]', "application/json"),
    "non-UTF-8 JSON": (b'{"type": "csv", "csv_text": "\xff\xfe"}', "application/json"),
    "multipart garbage": (b"\x00\xff" * 50, MULTIPART),
    "multipart without boundary": (b"--x--", "multipart/form-data"),
    "multipart csv file": (multipart(("type", None, b"csv"), ("csv_text", "a.csv", b"question\nx\n")), MULTIPART),
    "form with a huge field": (b"type=csv&csv_text=" + b"%00" * 300_000, "application/x-www-form-urlencoded"),
    "form with bad percent escapes": (b"type=csv&csv_url=%zz%ff", "application/x-www-form-urlencoded"),
}


@pytest.mark.parametrize("case", RAW_IMPORT_BODIES)
def test_import_forms_refuse_broken_bodies(browser, dbsession, uploads_dir, scene, case):
    owner, project, _ = scene
    body, content_type = RAW_IMPORT_BODIES[case]
    before = stored_state(dbsession, uploads_dir, owner, project)
    response = raw_post(browser, "/project/birds/tasks/import", body, content_type,
                        **{"X-CSRFToken": csrf_of(browser), "Accept": "application/json"})
    assert_refused(response)
    assert stored_state(dbsession, uploads_dir, owner, project) == before


# -- generated -------------------------------------------------------------------------------

names = st.text(st.characters(codec="utf-8"), max_size=300)
contents = st.one_of(st.binary(max_size=3000), st.sampled_from([png(), b"%PDF-1.4", b"ID3", b"<svg>", b"{}"]))


@settings(derandomize=True, max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(name=names, extension=st.sampled_from(["png", "jpg", "gif", "pdf", "mp3", "txt", "json", "csv", "svg", "html", ""]),
       content=contents)
def test_generated_uploads_are_stored_inert_or_refused(testapp, dbsession, uploads_dir, scene, name, extension, content):
    owner, project, _ = scene
    filename = f"{name}.{extension}" if extension else name
    response = testapp.post(f"/api/helpingmaterial?api_key={owner.api_key}", {"project_id": str(project.id)},
                            upload_files=[("file", filename.encode("utf-8", "surrogateescape").decode("latin-1"), content)],
                            expect_errors=True)
    assert_refused(response) if response.status_int >= 400 else None
    assert response.status_int in (200, 400), response.text[:300]
    if response.status_int == 200:
        stored = response.json["media_url"]
        assert "/" not in response.json["info"]["file_name"] and len(response.json["info"]["file_name"]) <= 120
        served = testapp.get(stored)
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        assert served.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"


@settings(derandomize=True, max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(fields=st.dictionaries(st.sampled_from(["type", "csv_url", "csv_text", "googledocs_url", "manifest_uri", "files"]),
                              st.one_of(st.none(), st.integers(), st.text(max_size=200), st.lists(st.text(max_size=20), max_size=3),
                                        st.sampled_from(["csv", "gdocs", "iiif", "dropbox", "http://127.0.0.1/x.csv",
                                                         "http://[::1]:80/", "https://docs.google.com/spreadsheets/d/x"]))))
def test_generated_import_forms_never_fail_the_server(browser, dbsession, scene, fields):
    response = browser.post_json("/project/birds/tasks/import", fields, expect_errors=True,
                                 headers={"X-CSRFToken": csrf_of(browser), "Accept": "application/json"})
    assert response.status_int < 500, response.text[:300]
    if response.status_int == 200 and response.json.get("status") == "success":
        assert isinstance(fields.get("csv_text"), str)
