"""The YouTube importer against a stand-in for the YouTube Data API v3 (answers as Google documents them)."""

from __future__ import annotations

import colander
import pytest
from pybossa_importer_youtube import YouTubeImportForm, tasks

from pybossa_core.plugin_api import ImportFailed
from pybossa_core.testing import load_plugins

PLAYLIST = "PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG"
LINK = f"https://www.youtube.com/playlist?list={PLAYLIST}"


def thumbnails(video_id: str) -> dict:
    return {size: {"url": f"https://i.ytimg.com/vi/{video_id}/{name}.jpg", "width": width, "height": height}
            for size, name, width, height in [("default", "default", 120, 90), ("medium", "mqdefault", 320, 180),
                                              ("high", "hqdefault", 480, 360)]}


def item(video_id: str, title: str, position: int, playable: bool = True) -> dict:
    """A ``youtube#playlistItem`` with ``part=snippet``."""
    return {"kind": "youtube#playlistItem", "etag": "Xy3b9cQ", "id": f"UEx4MHNZ{position}",
            "snippet": {"publishedAt": "2024-03-01T09:00:00Z", "channelId": "UC_x5XG1OV2P6uZZ5FSM9Ttw",
                        "title": title, "description": "", "thumbnails": thumbnails(video_id) if playable else {},
                        "channelTitle": "Birds", "playlistId": PLAYLIST, "position": position,
                        "resourceId": {"kind": "youtube#video", "videoId": video_id}}}


def page(items: list[dict], next_token: str | None = None) -> dict:
    answer = {"kind": "youtube#playlistItemListResponse", "etag": "tGvQ9", "items": items,
              "pageInfo": {"totalResults": 3, "resultsPerPage": 50}}
    if next_token:
        answer["nextPageToken"] = next_token
    return answer


def serve_playlist(server) -> None:
    server.add("/youtube/v3/playlistItems", page([item("dQw4w9WgXcQ", "Robin", 0),
                                                  item("aaaaaaaaaaa", "Private video", 1, playable=False)], "EAAaBlBUOkNESQ"),
               query={"playlistId": PLAYLIST, "part": "snippet"})
    server.add("/youtube/v3/playlistItems", page([item("9bZkp7q19f0", "Wren", 2)]),
               query={"playlistId": PLAYLIST, "pageToken": "EAAaBlBUOkNESQ"})


def run(server, api_key="AIzaK3y", link=LINK):
    return list(tasks({"playlist_url": link}, api_key=api_key, api_url=server.url + "/youtube/v3"))


def test_entry_point_registers_the_youtube_importer():
    assert "youtube" in [importer.name for importer in load_plugins({}).register_importers()]


def test_every_playable_video_of_every_page_becomes_a_task(pybossa_web_service):
    serve_playlist(pybossa_web_service)

    found = run(pybossa_web_service)

    assert found == [
        {"info": {"youtube_id": "dQw4w9WgXcQ", "video_url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
                  "oembed": '<iframe width="512" height="288" src="https://www.youtube.com/embed/dQw4w9WgXcQ" '
                            'frameborder="0" allowfullscreen></iframe>',
                  "title": "Robin", "thumbnails": thumbnails("dQw4w9WgXcQ")}},
        {"info": {"youtube_id": "9bZkp7q19f0", "video_url": "https://www.youtube.com/watch?v=9bZkp7q19f0",
                  "oembed": '<iframe width="512" height="288" src="https://www.youtube.com/embed/9bZkp7q19f0" '
                            'frameborder="0" allowfullscreen></iframe>',
                  "title": "Wren", "thumbnails": thumbnails("9bZkp7q19f0")}},
    ]
    assert [(query["key"], query["maxResults"], query.get("pageToken")) for _, query, _ in pybossa_web_service.requests] == [
        ("AIzaK3y", "50", None), ("AIzaK3y", "50", "EAAaBlBUOkNESQ")]


def google_error(code: int, message: str, reason: str) -> dict:
    return {"error": {"code": code, "message": message,
                      "errors": [{"message": message, "domain": "youtube.playlistItem", "reason": reason}]}}


@pytest.mark.parametrize(
    ("status", "answer", "message"),
    [
        (404, google_error(404, "The playlist identified with the request's <code>playlistId</code> parameter "
                                "cannot be found.", "playlistNotFound"),
         "YouTube answered with HTTP error 404: The playlist identified with the request's playlistId "
         "parameter cannot be found."),
        (400, google_error(400, "API key not valid. Please pass a valid API key.", "badRequest"),
         "YouTube answered with HTTP error 400: API key not valid. Please pass a valid API key."),
        (403, "Forbidden", "YouTube answered with HTTP error 403."),
        (200, {"kind": "youtube#playlistItemListResponse"}, "YouTube answered with something that is not a playlist."),
        (200, page([{"kind": "youtube#playlistItem", "snippet": {}}]),
         "YouTube described a playlist item without its video."),
        (200, page([item("aaaaaaaaaaa", "Deleted video", 0, playable=False)]),
         "The YouTube playlist has no public videos."),
        (200, page([]), "The YouTube playlist has no public videos."),
        (200, page([item("dQw4w9WgXcQ", "Robin", 0)], "EAAaBlBUOkNESQ"),
         "YouTube sent the same page of the playlist twice."),
    ],
)
def test_what_youtube_refuses_or_garbles_fails_with_a_message(pybossa_web_service, status, answer, message):
    pybossa_web_service.add("/youtube/v3/playlistItems", answer, status=status)

    with pytest.raises(ImportFailed) as failure:
        run(pybossa_web_service)

    assert failure.value.message == message


def test_a_site_without_api_key_says_who_must_set_it(pybossa_web_service):
    with pytest.raises(ImportFailed, match="ask its administrator to set plugin.importer-youtube.api_key"):
        run(pybossa_web_service, api_key="")
    assert pybossa_web_service.requests == []


@pytest.mark.parametrize("link", [
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ", "https://example.org/playlist?list=PL1",
    "https://www.youtube.com/playlist?list=PL1%22%3E", "www.youtube.com/playlist?list=PL1"])
def test_form_refuses_what_is_not_a_playlist_link(link):
    with pytest.raises(colander.Invalid) as failure:
        YouTubeImportForm().deserialize({"playlist_url": link})

    assert failure.value.asdict() == {
        "playlist_url": "Enter the link of a YouTube playlist, like https://www.youtube.com/playlist?list=<id>."}


def test_form_accepts_a_video_link_inside_a_playlist():
    link = f"https://www.youtube.com/watch?v=dQw4w9WgXcQ&list={PLAYLIST}&index=2"

    assert YouTubeImportForm().deserialize({"playlist_url": link}) == {"playlist_url": link}


@pytest.fixture
def pybossa_settings(pybossa_web_service):
    """The test site's settings: the importer calls the stand-in, which the site may reach."""
    return {
        "outbound.allowed_internal_hosts": pybossa_web_service.host,
        "plugin.importer-youtube.api_key": "AIzaK3y",
        "plugin.importer-youtube.api_url": pybossa_web_service.url + "/youtube/v3",
    }


def test_importing_a_playlist_through_the_view_creates_its_tasks(pybossa_web_service, owner):
    serve_playlist(pybossa_web_service)

    body = owner.import_tasks({"type": "youtube", "playlist_url": LINK})

    assert body["flash"] == "2 new tasks were imported successfully"
    assert [info["youtube_id"] for info in owner.task_infos()] == ["dQw4w9WgXcQ", "9bZkp7q19f0"]
