"""The helpers plugin_api gives importers: fetching from a web service, and the fields of a file's kind."""

from __future__ import annotations

import json
import socket

import pytest

from pybossa_core.plugin_api import ImportFailed, fetch, fetch_json, media_fields


def test_fetch_adds_the_query_and_headers(pybossa_web_service):
    url = pybossa_web_service.add("/items", b"hello", query={"page": "2", "q": "a b"}, content_type="text/plain")

    assert fetch(url + "?page=2", source="Birds", params={"q": "a b"}, headers={"X-Key": "k"}) == b"hello"
    [(path, query, headers)] = pybossa_web_service.requests
    assert (path, query, headers["X-Key"]) == ("/items", {"page": "2", "q": "a b"}, "k")


def test_an_http_error_names_the_source_and_its_explanation(pybossa_web_service):
    url = pybossa_web_service.add("/items", {"error": "No such album"}, status=404)

    with pytest.raises(ImportFailed) as plain:
        fetch(url, source="Birds")
    with pytest.raises(ImportFailed) as explained:
        fetch(url, source="Birds", explain=lambda body: json.loads(body)["error"])

    assert plain.value.message == "Birds answered with HTTP error 404."
    assert explained.value.message == "Birds answered with HTTP error 404: No such album"


def test_an_answer_larger_than_the_cap_is_refused(pybossa_web_service):
    url = pybossa_web_service.add("/big", b"x" * (2 * 1024 * 1024 + 1), content_type="text/plain")

    assert len(fetch(url, source="Birds", max_bytes=3 * 1024 * 1024)) == 2 * 1024 * 1024 + 1
    with pytest.raises(ImportFailed) as failure:
        fetch(url, source="Birds", max_bytes=2 * 1024 * 1024)
    assert failure.value.message == "Birds sent more than 2 MB; import a smaller source."


def test_a_slow_or_absent_service_fails_with_a_message(pybossa_web_service):
    url = pybossa_web_service.add("/slow", b"late", delay=1.0, content_type="text/plain")
    with pytest.raises(ImportFailed, match="^Birds could not be reached: .*timed out"):
        fetch(url, source="Birds", timeout=0.2)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ImportFailed, match="^Birds could not be reached: "):
        fetch(f"http://127.0.0.1:{port}/", source="Birds")


def test_fetch_json_decodes_or_says_the_answer_is_not_json(pybossa_web_service):
    assert fetch_json(pybossa_web_service.add("/ok", {"a": [1]}), source="Birds") == {"a": [1]}

    with pytest.raises(ImportFailed) as failure:
        fetch_json(pybossa_web_service.add("/html", "<html></html>", content_type="text/html"), source="Birds")
    assert failure.value.message == "Birds did not answer with JSON."


@pytest.mark.parametrize(
    ("filename", "fields"),
    [
        ("cat.JPG", {"url_m": "i", "url_b": "i", "title": "cat.JPG"}),
        ("paper.pdf", {"pdf_url": "m"}),
        ("song.mp3", {"audio_url": "m"}),
        ("film.m4v", {"video_url": "m"}),
        ("clip.webm", {"audio_url": "m", "video_url": "m"}),
        ("notes.txt", {}),
        ("README", {}),
    ],
)
def test_media_fields_follow_the_file_extension(filename, fields):
    assert media_fields(filename, image_url="i", media_url="m") == fields
