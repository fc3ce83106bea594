"""The IIIF importer against manifests served on loopback, shaped as the Presentation API 2.1 and 3.0 specify."""

from __future__ import annotations

import urllib.parse

import colander
import pytest
from pybossa_importer_iiif import IIIFImportForm, tasks

from pybossa_core.plugin_api import ImportFailed
from pybossa_core.testing import load_plugins

IMAGES = "https://iiif.example.org/iiif/2"
CANVAS = "https://iiif.example.org/manifest/folio/canvas/"


def manifest_v2(manifest_id: str, pages: int = 2) -> dict:
    return {
        "@context": "http://iiif.io/api/presentation/2/context.json", "@id": manifest_id, "@type": "sc:Manifest",
        "label": "Book of birds",
        "sequences": [{"@type": "sc:Sequence", "canvases": [
            {"@id": f"{CANVAS}p{page}", "@type": "sc:Canvas", "label": f"f. {page}", "height": 4000, "width": 3000,
             "images": [{"@type": "oa:Annotation", "motivation": "sc:painting", "on": f"{CANVAS}p{page}",
                         "resource": {"@id": f"{IMAGES}/folio-{page}/full/full/0/default.jpg",
                                      "@type": "dctypes:Image", "format": "image/jpeg",
                                      "service": {"@context": "http://iiif.io/api/image/2/context.json",
                                                  "@id": f"{IMAGES}/folio-{page}",
                                                  "profile": "http://iiif.io/api/image/2/level2.json"}}}]}
            for page in range(1, pages + 1)]}],
    }


def manifest_v3(manifest_id: str) -> dict:
    return {
        "@context": "http://iiif.io/api/presentation/3/context.json", "id": manifest_id, "type": "Manifest",
        "label": {"en": ["Book of birds"]},
        "items": [{"id": f"{CANVAS}p1", "type": "Canvas", "height": 4000, "width": 3000,
                   "items": [{"id": f"{CANVAS}p1/page", "type": "AnnotationPage",
                              "items": [{"id": f"{CANVAS}p1/image", "type": "Annotation", "motivation": "painting",
                                         "body": {"id": "https://iiif.example.org/iiif/3/folio-1/full/max/0/default.jpg",
                                                  "type": "Image", "format": "image/jpeg",
                                                  "service": [{"id": "https://iiif.example.org/iiif/3/folio-1",
                                                               "type": "ImageService3", "profile": "level2"}]},
                                         "target": f"{CANVAS}p1"}]}]}],
    }


def test_entry_point_registers_the_iiif_importer():
    assert "iiif" in [importer.name for importer in load_plugins({}).register_importers()]


def test_each_canvas_of_a_version_2_manifest_becomes_a_task(pybossa_web_service):
    url = pybossa_web_service.url + "/manifest.json"
    pybossa_web_service.add("/manifest.json", manifest_v2(url), content_type="application/ld+json")

    found = list(tasks({"manifest_uri": url}))

    assert [task["info"]["canvas"] for task in found] == [f"{CANVAS}p1", f"{CANVAS}p2"]
    assert found[1]["info"] == {
        "manifest": url, "canvas": f"{CANVAS}p2", "target": f"{CANVAS}p2",
        "tileSource": f"{IMAGES}/folio-2/info.json",
        "url": f"{IMAGES}/folio-2/full/max/0/default.jpg",
        "url_m": f"{IMAGES}/folio-2/full/240,/0/default.jpg",
        "url_b": f"{IMAGES}/folio-2/full/1024,/0/default.jpg",
        "link": f"https://universalviewer.io/uv.html?{urllib.parse.urlencode({'manifest': url})}#?cv=1",
        "version": "2",
    }


def test_a_version_3_manifest_is_read_too(pybossa_web_service):
    url = pybossa_web_service.add("/v3.json", manifest_v3("https://iiif.example.org/manifest/folio"))

    [task] = tasks({"manifest_uri": url}, viewer_url="https://viewer.example.org/")

    assert task["info"] == {
        "manifest": "https://iiif.example.org/manifest/folio", "canvas": f"{CANVAS}p1", "target": f"{CANVAS}p1",
        "tileSource": "https://iiif.example.org/iiif/3/folio-1/info.json",
        "url": "https://iiif.example.org/iiif/3/folio-1/full/max/0/default.jpg",
        "url_m": "https://iiif.example.org/iiif/3/folio-1/full/240,/0/default.jpg",
        "url_b": "https://iiif.example.org/iiif/3/folio-1/full/1024,/0/default.jpg",
        "link": "https://viewer.example.org/?manifest=https%3A%2F%2Fiiif.example.org%2Fmanifest%2Ffolio#?cv=0",
        "version": "3",
    }


def without_service(manifest: dict) -> dict:
    del manifest["sequences"][0]["canvases"][1]["images"][0]["resource"]["service"]
    return manifest


@pytest.mark.parametrize(
    ("status", "answer", "message"),
    [
        (404, "Not found", "The manifest's server answered with HTTP error 404."),
        (200, "<html></html>", "The manifest's server did not answer with JSON."),
        (200, ["a list"], "That link does not give a IIIF Presentation 2 or 3 manifest."),
        (200, {"@context": "http://iiif.io/api/image/2/context.json", "@id": "x", "protocol": "http://iiif.io/api/image"},
         "That link does not give a IIIF Presentation 2 or 3 manifest."),
        (200, {**manifest_v2("m"), "sequences": []}, "The manifest has no canvases to import."),
        (200, {**manifest_v3("m"), "items": []}, "The manifest has no canvases to import."),
        (200, without_service(manifest_v2("m")), "Canvas 2 of the manifest has no id or no IIIF image service."),
    ],
)
def test_what_is_not_a_usable_manifest_fails_with_a_message(pybossa_web_service, status, answer, message):
    url = pybossa_web_service.add("/manifest.json", answer, status=status)

    with pytest.raises(ImportFailed) as failure:
        list(tasks({"manifest_uri": url}))

    assert failure.value.message == message


@pytest.mark.parametrize("link", ["file:///etc/passwd", "manifest.json", "https://"])
def test_form_refuses_a_link_that_is_not_http(link):
    with pytest.raises(colander.Invalid) as failure:
        IIIFImportForm().deserialize({"manifest_uri": link})

    assert failure.value.asdict() == {"manifest_uri": "Enter a link starting with http:// or https://."}


@pytest.fixture
def pybossa_settings(pybossa_web_service):
    """The test site's settings: the viewer each task's link opens; the stand-in may be reached."""
    return {
        "plugin.importer-iiif.viewer_url": "https://viewer.example.org/",
        "outbound.allowed_internal_hosts": pybossa_web_service.host,
    }


def test_importing_a_manifest_through_the_view_creates_its_tasks(pybossa_web_service, owner):
    url = pybossa_web_service.add("/manifest.json", manifest_v2("https://iiif.example.org/manifest/folio", pages=3))

    body = owner.import_tasks({"type": "iiif", "manifest_uri": url})

    assert body["flash"] == "3 new tasks were imported successfully"
    assert [info["target"] for info in owner.task_infos()] == [f"{CANVAS}p1", f"{CANVAS}p2", f"{CANVAS}p3"]
    assert owner.task_infos()[0]["link"].startswith("https://viewer.example.org/?manifest=")
