"""pbclient, the real PYBOSSA client (pybossa-client 3.0.0), against a live site.

Each test drives ``pbclient`` over HTTP against the ``live_server`` fixture and
checks both what pbclient hands back and what the site serves afterwards (read
back with plain ``requests``).  Setup that is not the point of a test (users,
projects, hundreds of tasks and task runs) is committed straight to the live
site's database with ``live_factories``.

pbclient keeps state in two module-level places: ``pbclient._opts`` (endpoint,
api_key) and the ``params={}`` default argument of ``pbclient._pybossa_req``,
one dict shared by every call that passes no params of its own (get_project,
create_*, update_*, delete_*).  pbclient writes ``params['api_key']`` into that
dict and never removes it, so once any test has signed in, later "anonymous"
calls would still send the old key.  The ``client`` fixture empties both before
and after each test, and its ``sign_out`` does the same mid-test.
"""
from __future__ import annotations

import inspect
import struct
import urllib.parse
import uuid
import warnings
import zlib

import pbclient
import pytest
import requests

#: The dict pbclient's _pybossa_req uses when a caller passes no params (shared by all such calls).
SHARED_PARAMS = inspect.signature(pbclient._pybossa_req).parameters["params"].default


def tiny_png() -> bytes:
    """Return a valid 1x1 RGBA PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00\xff")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


class Client:
    """pbclient pointed at the live site, with helpers to sign in and out and read back."""

    def __init__(self, live_server):
        self.url = live_server.url
        self.api_key = None

    def reset(self) -> None:
        pbclient._opts.clear()
        SHARED_PARAMS.clear()
        pbclient.set("endpoint", self.url)
        self.api_key = None

    def sign_in(self, user) -> None:
        self.api_key = user.api_key
        pbclient.set("api_key", user.api_key)

    def sign_out(self) -> None:
        self.reset()

    def served(self, path: str, **params):
        """GET ``path`` from the live site (as the signed-in user, if any); return (status, JSON)."""
        if self.api_key:
            params.setdefault("api_key", self.api_key)
        response = requests.get(self.url + path, params=params, timeout=10)
        return response.status_code, response.json()


@pytest.fixture
def client(live_server):
    client = Client(live_server)
    client.reset()
    yield client
    pbclient._opts.clear()
    SHARED_PARAMS.clear()


def ids_of(result) -> list[int]:
    """Return the ids of a list pbclient returned (failing with the error object if it is not a list)."""
    assert isinstance(result, list), result
    return [item.id for item in result]


# -- projects ------------------------------------------------------------------------------


def test_project_create_find_get_update_delete(client, live_factories):
    with live_factories as make:
        owner = make.user()
    client.sign_in(owner)
    short_name = unique("pbc_")

    created = pbclient.create_project(f"Project {short_name}", short_name, "first description")
    assert isinstance(created, pbclient.Project)
    assert (created.name, created.short_name, created.description) == (
        f"Project {short_name}", short_name, "first description"
    )
    assert created.owner_id == owner.id and created.owners_ids == [owner.id]
    assert created.published is False and created.secret_key
    assert created.link == f"<link rel='self' title='project' href='{client.url}/api/project/{created.id}'/>"
    status, served = client.served(f"/api/project/{created.id}")
    assert status == 200 and served == created.data

    found = pbclient.find_project(short_name=short_name)
    assert ids_of(found) == [created.id]
    assert isinstance(found[0], pbclient.Project)

    project = pbclient.get_project(created.id)
    assert isinstance(project, pbclient.Project) and project.data == created.data

    project.description = "second description"
    project.info = {"task_presenter": "<div>presenter</div>", "thumbnail": "thumb.png"}
    updated = pbclient.update_project(project)
    assert isinstance(updated, pbclient.Project)
    assert updated.id == created.id
    assert updated.description == "second description"
    assert updated.info == {"task_presenter": "<div>presenter</div>", "thumbnail": "thumb.png"}
    assert updated.secret_key == created.secret_key and updated.owner_id == owner.id
    status, served = client.served(f"/api/project/{created.id}")
    assert status == 200
    assert served["description"] == "second description"
    assert served["info"] == {"task_presenter": "<div>presenter</div>", "thumbnail": "thumb.png"}
    assert served["short_name"] == short_name and served["created"] == created.created

    assert pbclient.delete_project(created.id) is True
    status, served = client.served(f"/api/project/{created.id}")
    assert status == 404
    assert served == {
        "status": "failed", "action": "GET", "target": "project", "exception_msg": "404 Not Found",
        "status_code": 404, "exception_cls": "NotFound",
    }
    assert pbclient.find_project(short_name=short_name) == []
    error = pbclient.get_project(created.id)
    assert error["status_code"] == 404 and error["exception_cls"] == "NotFound"


def test_project_error_objects(client, live_factories):
    with live_factories as make:
        owner, other = make.user(), make.user()
        existing = make.project(owner, description="the owner's")

    client.sign_in(owner)
    duplicate = pbclient.create_project(unique("Another "), existing.short_name, "same short name")
    assert isinstance(duplicate, dict)
    assert duplicate["status"] == "failed"
    assert duplicate["status_code"] == 415
    assert duplicate["exception_cls"] == "DBIntegrityError"
    assert (duplicate["action"], duplicate["target"]) == ("POST", "project")
    assert ids_of(pbclient.find_project(short_name=existing.short_name)) == [existing.id]

    client.sign_out()
    client.sign_in(other)
    project = pbclient.get_project(existing.id)
    assert isinstance(project, pbclient.Project) and "secret_key" not in project.data
    project.description = "hijacked"
    forbidden = pbclient.update_project(project)
    assert isinstance(forbidden, dict)
    assert forbidden["status"] == "failed"
    assert forbidden["status_code"] == 403
    assert forbidden["exception_cls"] == "Forbidden"
    assert (forbidden["action"], forbidden["target"]) == ("PUT", "project")
    refused = pbclient.delete_project(existing.id)
    assert refused["status_code"] == 403 and refused["action"] == "DELETE"
    status, served = client.served(f"/api/project/{existing.id}")
    assert status == 200 and served["description"] == "the owner's"

    client.sign_out()
    anonymous = pbclient.create_project(unique("Anon "), unique("anon_"), "no key")
    assert anonymous["status_code"] == 401 and anonymous["exception_cls"] == "Unauthorized"
    missing = pbclient.get_project(existing.id + 10**6)
    assert missing["status_code"] == 404 and missing["exception_cls"] == "NotFound"


def test_signing_out_really_drops_the_key_despite_pbclients_shared_params(client, live_factories):
    """pbclient leaves ``api_key`` in its shared default params; after sign_out a draft is hidden again."""
    with live_factories as make:
        owner = make.user()
        draft = make.project(owner, published=False)
    client.sign_in(owner)
    assert pbclient.get_project(draft.id).id == draft.id
    assert pbclient.get_tasks(draft.id, limit=5, last_id=0) == []
    assert pbclient.find_tasks(draft.id, state="ongoing") == []
    # The leak the fixture works around: only the key stays (get_tasks and find_tasks pass their own dicts).
    assert SHARED_PARAMS == {"api_key": owner.api_key}
    client.sign_out()
    hidden = pbclient.get_project(draft.id)
    assert hidden["status_code"] == 404 and hidden["exception_cls"] == "NotFound"


# -- categories ----------------------------------------------------------------------------


def test_category_create_update_find_delete_as_admin(client, live_factories):
    with live_factories as make:
        admin, user = make.admin(), make.user()
    name = unique("Cat ")

    client.sign_in(user)
    refused = pbclient.create_category(name, "not an admin")
    assert refused["status_code"] == 403 and refused["exception_cls"] == "Forbidden"

    client.sign_out()
    client.sign_in(admin)
    category = pbclient.create_category(name, "first")
    assert isinstance(category, pbclient.Category)
    short_name = name.lower().replace(" ", "")
    assert (category.name, category.short_name, category.description) == (name, short_name, "first")
    status, served = client.served(f"/api/category/{category.id}")
    assert status == 200 and served == category.data

    category.description = "second"
    category.info = {"thumbnail": "cat.png"}
    updated = pbclient.update_category(category)
    assert isinstance(updated, pbclient.Category)
    assert (updated.id, updated.description, updated.info) == (category.id, "second", {"thumbnail": "cat.png"})
    status, served = client.served(f"/api/category/{category.id}")
    assert status == 200 and (served["description"], served["info"]) == ("second", {"thumbnail": "cat.png"})

    found = pbclient.find_category(short_name=short_name)
    assert ids_of(found) == [category.id] and found[0].description == "second"

    assert pbclient.delete_category(category.id) is True
    status, served = client.served(f"/api/category/{category.id}")
    assert status == 404 and served["exception_cls"] == "NotFound"
    assert pbclient.find_category(short_name=short_name) == []


# -- tasks ---------------------------------------------------------------------------------


def test_task_create_find_update_delete(client, live_factories):
    with live_factories as make:
        owner = make.user()
        project = make.project(owner)
    client.sign_in(owner)

    first = pbclient.create_task(project.id, {"question": "cat?", "url": "https://example.com/1.png"},
                                 n_answers=3, priority_0=0.5)
    second = pbclient.create_task(project.id, {"question": "dog?", "url": "https://example.com/2.png"})
    assert isinstance(first, pbclient.Task)
    assert first.project_id == project.id
    assert first.info == {"question": "cat?", "url": "https://example.com/1.png"}
    assert (first.n_answers, first.priority_0, first.quorum, first.calibration) == (3, 0.5, 0, 0)
    assert first.state == "ongoing"
    assert first.links == [f"<link rel='parent' title='project' href='{client.url}/api/project/{project.id}'/>"]
    assert second.n_answers == 30
    status, served = client.served(f"/api/task/{first.id}")
    assert status == 200 and served == first.data

    found = pbclient.find_tasks(project.id, info="question::cat?")
    assert ids_of(found) == [first.id]
    assert isinstance(found[0], pbclient.Task)
    assert set(ids_of(pbclient.find_tasks(project.id))) == {first.id, second.id}

    first.info = {"question": "bird?", "url": "https://example.com/1.png"}
    first.n_answers = 5
    updated = pbclient.update_task(first)
    assert isinstance(updated, pbclient.Task)
    assert (updated.info["question"], updated.n_answers, updated.project_id) == ("bird?", 5, project.id)
    status, served = client.served(f"/api/task/{updated.id}")
    assert status == 200 and (served["info"]["question"], served["n_answers"]) == ("bird?", 5)
    assert pbclient.find_tasks(project.id, info="question::cat?") == []
    assert ids_of(pbclient.find_tasks(project.id, info="question::bird?")) == [updated.id]

    assert pbclient.delete_task(second.id) is True
    status, served = client.served(f"/api/task/{second.id}")
    assert status == 404 and served["exception_cls"] == "NotFound"
    assert ids_of(pbclient.find_tasks(project.id)) == [updated.id]


def test_get_tasks_pages_with_last_id(client, live_factories):
    with live_factories as make:
        owner = make.user()
        project, elsewhere = make.project(owner), make.project(owner)
        expected = []
        for number in range(250):
            expected.append(make.task(project, info={"n": number}).id)
            if number % 60 == 0:  # interleave another project's tasks: they must not show up
                make.task(elsewhere)
    client.sign_in(owner)

    pages = [pbclient.get_tasks(project.id, limit=100)]
    while pages[-1]:
        assert isinstance(pages[-1], list), pages[-1]
        pages.append(pbclient.get_tasks(project.id, limit=100, last_id=pages[-1][-1].id))
    assert [len(page) for page in pages] == [100, 100, 50, 0]
    ids = [task.id for page in pages for task in page]
    assert ids == expected
    assert len(set(ids)) == 250
    assert all(isinstance(task, pbclient.Task) and task.project_id == project.id for page in pages for task in page)
    assert [task.info["n"] for task in pages[2]] == list(range(200, 250))


def test_get_taskruns_pages_with_last_id(client, live_factories):
    with live_factories as make:
        owner, volunteers = make.user(), [make.user(), make.user(), make.user()]
        project = make.project(owner)
        expected = []
        for _ in range(50):
            task = make.task(project)
            for volunteer in volunteers:
                expected.append(make.task_run(task, volunteer, info={"answer": "yes"}).id)
    client.sign_in(owner)

    pages = [pbclient.get_taskruns(project.id, limit=100)]
    while pages[-1]:
        pages.append(pbclient.get_taskruns(project.id, limit=100, last_id=pages[-1][-1].id))
    assert [len(page) for page in pages] == [100, 50, 0]
    ids = [run.id for page in pages for run in page]
    assert ids == expected
    assert len(set(ids)) == 150
    runs = [run for page in pages for run in page]
    assert all(isinstance(run, pbclient.TaskRun) and run.project_id == project.id for run in runs)
    assert {run.user_id for run in runs} == {volunteer.id for volunteer in volunteers}


# -- helping materials ---------------------------------------------------------------------


def test_helping_material_with_info_get_find_update(client, live_factories):
    with live_factories as make:
        owner = make.user()
        project = make.project(owner)
    client.sign_in(owner)

    text = pbclient.create_helpingmaterial(project.id, {"text": "Look for the cat's ears"})
    assert isinstance(text, pbclient.HelpingMaterial)
    assert (text.project_id, text.info, text.media_url) == (project.id, {"text": "Look for the cat's ears"}, None)
    status, served = client.served(f"/api/helpingmaterial/{text.id}")
    assert status == 200 and served == text.data
    other = pbclient.create_helpingmaterial(project.id, {"text": "Count the legs"})

    listed = pbclient.get_helping_materials(project.id)
    assert ids_of(listed) == [text.id, other.id]
    assert all(isinstance(item, pbclient.HelpingMaterial) for item in listed)
    found = pbclient.find_helping_materials(project.id, info="text::Look for the cat's ears")
    assert ids_of(found) == [text.id]

    text_id = text.id  # pbclient's update strips id and created from the object it is given
    text.info = {"text": "Look for whiskers"}
    text.priority = 1.0
    updated = pbclient.update_helping_material(text)
    assert isinstance(updated, pbclient.HelpingMaterial)
    assert (updated.id, updated.info, updated.priority) == (text_id, {"text": "Look for whiskers"}, 1.0)
    status, served = client.served(f"/api/helpingmaterial/{text_id}")
    assert status == 200 and (served["info"], served["priority"]) == ({"text": "Look for whiskers"}, 1.0)
    assert pbclient.find_helping_materials(project.id, info="text::Look for the cat's ears") == []
    assert ids_of(pbclient.find_helping_materials(project.id, info="text::Look for whiskers")) == [text_id]


def test_helping_material_with_an_uploaded_file_is_served_under_uploads(client, live_factories, tmp_path):
    with live_factories as make:
        owner = make.user()
        project = make.project(owner)
    client.sign_in(owner)
    image = tmp_path / "guide.png"
    png = tiny_png()
    image.write_bytes(png)

    with warnings.catch_warnings():
        # pbclient opens the file and never closes it.
        warnings.simplefilter("ignore", ResourceWarning)
        uploaded = pbclient.create_helpingmaterial(project.id, {}, file_path=str(image))
    assert isinstance(uploaded, pbclient.HelpingMaterial), uploaded
    assert uploaded.project_id == project.id
    media_path = urllib.parse.urlsplit(uploaded.media_url).path
    assert media_path.startswith("/uploads/") and media_path.endswith("guide.png")
    assert uploaded.info["file_name"].endswith("guide.png") and uploaded.info["container"]
    download = requests.get(urllib.parse.urljoin(client.url + "/", uploaded.media_url), timeout=10)
    assert download.status_code == 200
    assert download.content == png
    assert download.headers["Content-Type"].startswith("image/png")
    status, served = client.served(f"/api/helpingmaterial/{uploaded.id}")
    assert status == 200 and served["media_url"] == uploaded.media_url
    assert ids_of(pbclient.get_helping_materials(project.id)) == [uploaded.id]
