"""The Flickr importer against a stand-in for Flickr's REST API (answers shaped as Flickr documents them)."""

from __future__ import annotations

import colander
import pytest
from pybossa_importer_flickr import FlickrImportForm, tasks

from pybossa_core.plugin_api import ImportFailed
from pybossa_core.testing import load_plugins

ALBUM = "72157626579923453"
OWNER = "32951986@N05"
REST = "/services/rest/"


def photo(number: int) -> dict:
    return {"id": f"5647{number}", "secret": f"a1b2c{number}", "server": "65535", "farm": 66,
            "title": f"Bird {number}", "isprimary": "0", "ispublic": 1, "isfriend": 0, "isfamily": 0}


def photoset_page(page: int, pages: int, photos: list[dict]) -> dict:
    """One page of ``flickr.photosets.getPhotos`` (format=json, nojsoncallback=1)."""
    return {"photoset": {"id": ALBUM, "primary": "56471", "owner": OWNER, "ownername": "Bird Watchers",
                         "photo": photos, "page": page, "per_page": 500, "perpage": 500, "pages": pages,
                         "title": "Garden birds", "total": str(len(photos) * pages)},
            "stat": "ok"}


def serve_album(server, pages: list[list[dict]]) -> None:
    for number, photos in enumerate(pages, start=1):
        server.add(REST, photoset_page(number, len(pages), photos),
                   query={"method": "flickr.photosets.getPhotos", "photoset_id": ALBUM, "page": str(number)})


def run(server, album=ALBUM, api_key="k3y"):
    return list(tasks({"album_id": album}, api_key=api_key, api_url=server.url + REST))


def test_entry_point_registers_the_flickr_importer():
    assert "flickr" in [importer.name for importer in load_plugins({}).register_importers()]


def test_every_page_of_the_album_becomes_tasks(pybossa_web_service):
    serve_album(pybossa_web_service, [[photo(1), photo(2)], [photo(3)]])

    found = run(pybossa_web_service)

    assert [task["info"]["title"] for task in found] == ["Bird 1", "Bird 2", "Bird 3"]
    assert found[0] == {"info": {
        "title": "Bird 1",
        "url": "https://live.staticflickr.com/65535/56471_a1b2c1.jpg",
        "url_m": "https://live.staticflickr.com/65535/56471_a1b2c1_m.jpg",
        "url_b": "https://live.staticflickr.com/65535/56471_a1b2c1_b.jpg",
        "link": "https://www.flickr.com/photos/32951986@N05/56471",
    }}
    queries = [query for _, query, _ in pybossa_web_service.requests]
    assert [(query["page"], query["api_key"], query["format"], query["nojsoncallback"]) for query in queries] == [
        ("1", "k3y", "json", "1"), ("2", "k3y", "json", "1")]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"stat": "fail", "code": 1, "message": "Photoset not found"}, "Flickr refused the album: Photoset not found."),
        ({"stat": "fail", "code": 100, "message": "Invalid API Key (Key has invalid format)"},
         "Flickr refused the album: Invalid API Key (Key has invalid format)."),
        ({"stat": "ok", "photoset": {"photo": "none"}}, "Flickr answered with something that is not an album."),
        ([1, 2], "Flickr answered with something that is not an album."),
        (photoset_page(1, 1, []), f"The Flickr album {ALBUM} has no photos."),
        (photoset_page(1, 1, [{"id": "1", "title": "no secret"}]),
         "Flickr described a photo without its id, server or secret."),
    ],
)
def test_what_flickr_refuses_or_garbles_fails_with_a_message(pybossa_web_service, answer, message):
    pybossa_web_service.add(REST, answer)

    with pytest.raises(ImportFailed) as error:
        run(pybossa_web_service)

    assert error.value.message == message


def test_an_answer_that_is_not_json_or_an_http_error_fails(pybossa_web_service):
    pybossa_web_service.add(REST, "<html>oops</html>", content_type="text/html")
    with pytest.raises(ImportFailed, match=r"^Flickr did not answer with JSON\.$"):
        run(pybossa_web_service)
    pybossa_web_service.add(REST, "busy", status=503, content_type="text/plain")
    with pytest.raises(ImportFailed, match=r"^Flickr answered with HTTP error 503\.$"):
        run(pybossa_web_service)


def test_a_site_without_api_key_says_who_must_set_it(pybossa_web_service):
    with pytest.raises(ImportFailed, match="ask its administrator to set plugin.importer-flickr.api_key"):
        run(pybossa_web_service, api_key=None)
    assert pybossa_web_service.requests == []


def test_form_wants_the_album_number():
    with pytest.raises(colander.Invalid) as error:
        FlickrImportForm().deserialize({"album_id": "https://flickr.com/photos/x/albums/7215"})

    assert error.value.asdict() == {"album_id": "Enter the album's id: the number at the end of its link."}


@pytest.fixture
def pybossa_settings(pybossa_web_service):
    """The test site's settings: the importer calls the stand-in, which the site may reach."""
    return {
        "outbound.allowed_internal_hosts": pybossa_web_service.host,
        "plugin.importer-flickr.api_key": "k3y",
        "plugin.importer-flickr.api_url": pybossa_web_service.url + REST,
    }


def test_importing_an_album_through_the_view_creates_its_tasks(pybossa_web_service, owner):
    serve_album(pybossa_web_service, [[photo(1)], [photo(2)]])

    body = owner.import_tasks({"type": "flickr", "album_id": ALBUM})

    assert body["flash"] == "2 new tasks were imported successfully"
    assert [info["link"] for info in owner.task_infos()] == [
        "https://www.flickr.com/photos/32951986@N05/56471", "https://www.flickr.com/photos/32951986@N05/56472"]
    pybossa_web_service.add(REST, {"stat": "fail", "code": 1, "message": "Photoset not found"}, query={"photoset_id": "123"})
    body = owner.import_tasks({"type": "flickr", "album_id": "123"})
    assert body["status"] == "error" and body["flash"] == "Flickr refused the album: Photoset not found."
    assert len(owner.task_infos()) == 2
