"""The Dropbox importer: its form, the info of each kind of file, and an import through the view."""

from __future__ import annotations

import json

import colander
import pytest
from pybossa_importer_dropbox import DropboxImportForm, file_info, tasks

from pybossa_core.testing import load_plugins


def chosen(name: str, link: str | None = None, **extra) -> str:
    """A file as the Dropbox Chooser posts it."""
    return json.dumps({
        "id": "id:a4ayc_80_OEAAAAAAAAAXw", "name": name, "bytes": 464,
        "link": link or f"https://www.dropbox.com/s/k8dbv2xqzp9w0cd/{name}?dl=0",
        "icon": "https://www.dropbox.com/static/images/icons64/page_white.png",
        "thumbnailLink": f"https://photos-1.dropbox.com/t/2/{name}?bounding_box=75&mode=fit",
        "isDir": False, **extra,
    })


def test_entry_point_registers_the_dropbox_importer():
    assert "dropbox" in [importer.name for importer in load_plugins({}).register_importers()]


def test_an_image_gets_its_raw_link_for_the_image_presenters():
    assert file_info(json.loads(chosen("Cat.JPG"))) == {
        "filename": "Cat.JPG",
        "link": "https://www.dropbox.com/s/k8dbv2xqzp9w0cd/Cat.JPG?dl=0",
        "link_raw": "https://www.dropbox.com/s/k8dbv2xqzp9w0cd/Cat.JPG?raw=1",
        "url_m": "https://www.dropbox.com/s/k8dbv2xqzp9w0cd/Cat.JPG?raw=1",
        "url_b": "https://www.dropbox.com/s/k8dbv2xqzp9w0cd/Cat.JPG?raw=1",
        "title": "Cat.JPG",
    }


@pytest.mark.parametrize(
    ("name", "fields"),
    [
        ("paper.pdf", {"pdf_url"}),
        ("song.mp3", {"audio_url"}),
        ("film.avi", {"video_url"}),
        ("clip.webm", {"audio_url", "video_url"}),
        ("notes.txt", set()),
    ],
)
def test_pdf_audio_and_video_get_a_direct_link(name, fields):
    info = file_info(json.loads(chosen(name)))

    assert set(info) == {"filename", "link", "link_raw", *fields}
    for field in fields:
        assert info[field] == f"https://dl.dropboxusercontent.com/s/k8dbv2xqzp9w0cd/{name}"


def test_new_style_links_keep_their_key():
    link = "https://www.dropbox.com/scl/fi/x9y8z/song.mp3?rlkey=abc123&dl=0"

    info = file_info(json.loads(chosen("song.mp3", link)))

    assert info["link_raw"] == "https://www.dropbox.com/scl/fi/x9y8z/song.mp3?rlkey=abc123&raw=1"
    assert info["audio_url"] == "https://dl.dropboxusercontent.com/scl/fi/x9y8z/song.mp3?rlkey=abc123"


def test_form_takes_one_file_as_a_list_of_one():
    values = DropboxImportForm().deserialize({"files": chosen("a.png")})

    assert [info["info"]["filename"] for info in tasks(values)] == ["a.png"]


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([], "Choose at least one file from Dropbox."),
        ([chosen("a.png"), "not json"], "File 2 is not a shared Dropbox file as the Dropbox Chooser describes it."),
        ([json.dumps(["a.png"])], "File 1 is not a shared Dropbox file as the Dropbox Chooser describes it."),
        ([chosen("a.png", "https://evil.example/a.png")],
         "File 1 is not a shared Dropbox file as the Dropbox Chooser describes it."),
        ([chosen("Photos", isDir=True)], "File 1 is not a shared Dropbox file as the Dropbox Chooser describes it."),
    ],
)
def test_form_refuses_what_is_not_a_chosen_file(files, message):
    with pytest.raises(colander.Invalid) as error:
        DropboxImportForm().deserialize({"files": files})

    assert error.value.asdict() == {"files": message}


def test_importing_dropbox_files_through_the_view_creates_their_tasks(owner):

    body = owner.import_tasks({"type": "dropbox", "files": [chosen("cat.jpg"), chosen("paper.pdf")]})

    assert body["flash"] == "2 new tasks were imported successfully"
    assert [info["filename"] for info in owner.task_infos()] == ["cat.jpg", "paper.pdf"]
    assert owner.task_infos()[1]["pdf_url"] == "https://dl.dropboxusercontent.com/s/k8dbv2xqzp9w0cd/paper.pdf"
    body = owner.import_tasks({"type": "dropbox", "files": ["{}"]})
    assert body["status"] == "error"
    assert body["form"]["errors"] == {
        "files": ["File 1 is not a shared Dropbox file as the Dropbox Chooser describes it."]}
