"""The helpers plugin_api gives importers: fetching from a web service, and the fields of a file's kind."""

from __future__ import annotations

import json
import socket
import time

import pytest

from pybossa_core.plugin_api import FetchFailed, ImportFailed, fetch, fetch_json, fetch_response, media_fields
from pybossa_core.testing import reaching


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


def test_a_slow_or_absent_service_fails_with_the_same_message(pybossa_web_service):
    url = pybossa_web_service.add("/slow", b"late", delay=1.0, content_type="text/plain")
    started = time.monotonic()
    with pytest.raises(FetchFailed) as slow:
        fetch(url, source="Birds", timeout=0.2)
    assert time.monotonic() - started < 1.0

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with reaching(f"127.0.0.1:{port}"), pytest.raises(FetchFailed) as absent:
        fetch(f"http://127.0.0.1:{port}/", source="Birds")
    # No low-level reason: "timed out" and "connection refused" would map the site's network.
    assert slow.value.message == absent.value.message == "Birds could not be fetched."
    assert slow.value.status is absent.value.status is None


def test_a_loopback_link_is_refused_unless_the_site_allows_it(pybossa_web_service):
    url = pybossa_web_service.add("/ok", b"fine", content_type="text/plain")
    with reaching(), pytest.raises(FetchFailed) as refused:
        fetch(url, source="Birds")
    assert refused.value.message == (
        "Birds could not be fetched: the host 127.0.0.1 is in a private or local network, which this site does not call.")
    assert pybossa_web_service.requests == []
    assert fetch(url, source="Birds") == b"fine"


def test_fetch_response_gives_the_answers_type_and_charset(pybossa_web_service):
    url = pybossa_web_service.add("/ok", "ça".encode("latin-1"), content_type="text/csv; charset=latin-1")
    answer = fetch_response(url, source="Birds")
    assert (answer.status, answer.content_type, answer.charset, answer.body) == (200, "text/csv", "latin-1", b"\xe7a")


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
