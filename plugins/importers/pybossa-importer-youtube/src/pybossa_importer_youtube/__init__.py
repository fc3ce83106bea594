"""Import tasks from the videos of a YouTube playlist, as PYBOSSA's ``youtube`` importer does.

The importer reads the playlist with the YouTube Data API v3 (``playlistItems.list``, 50 items a
page, following ``nextPageToken``) and makes one task per video. Settings
(``plugin.importer-youtube.<key>``): ``api_key`` (required to import, a Google API key with the
YouTube Data API enabled) and ``api_url`` (default ``https://www.googleapis.com/youtube/v3``, so
tests can stand in for Google).
"""

from __future__ import annotations

import functools
import html
import json
import re
import urllib.parse
from collections.abc import Iterator, Mapping
from typing import Any

import colander
from pyramid.i18n import TranslationStringFactory

from pybossa_core.plugin_api import ImportFailed, ImporterSpec, fetch_json, hookimpl, plugin_settings

#: This plugin's translation domain (docs/i18n.md).
_ = TranslationStringFactory("pybossa_importer_youtube")

PLUGIN_ID = "importer-youtube"
DEFAULT_API_URL = "https://www.googleapis.com/youtube/v3"
SOURCE = "YouTube"
#: The most items ``playlistItems.list`` gives per page.
PER_PAGE = 50
PLAYLIST_ID = re.compile(r"^[A-Za-z0-9_-]+$")
YOUTUBE_HOSTS = frozenset({"www.youtube.com", "youtube.com", "m.youtube.com", "music.youtube.com"})
NOT_A_PLAYLIST = _("Enter the link of a YouTube playlist, like https://www.youtube.com/playlist?list=<id>.")


def playlist_id(url: str) -> str | None:
    """Return the playlist id in a YouTube link's ``list`` parameter, or ``None``."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.hostname not in YOUTUBE_HOSTS:
        return None
    found = urllib.parse.parse_qs(parts.query).get("list", [""])[0]
    return found if PLAYLIST_ID.match(found) else None


def playlist_link(node: colander.SchemaNode, value: str) -> None:
    """Accept only YouTube links naming a playlist."""
    if playlist_id(value) is None:
        raise colander.Invalid(node, NOT_A_PLAYLIST)


class YouTubeImportForm(colander.MappingSchema):
    """The import form: the link of a public or unlisted playlist."""

    playlist_url = colander.SchemaNode(colander.String(), validator=playlist_link)


def explain_error(body: bytes) -> str | None:
    """Return Google's own explanation of an error answer (``{"error": {"message": ...}}``)."""
    try:
        message = json.loads(body)["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return None
    # Google marks up parameter names in its messages: <code>playlistId</code>.
    message = html.unescape(re.sub(r"<[^>]+>", "", str(message)))
    return message if message.endswith(".") else message + "."


def playlist_pages(playlist: str, *, api_key: str, api_url: str) -> Iterator[list[Any]]:
    """Yield the ``items`` of each page of ``playlistItems.list`` for ``playlist``."""
    params = {"part": "snippet", "playlistId": playlist, "maxResults": PER_PAGE, "key": api_key}
    while True:
        answer = fetch_json(f"{api_url.rstrip('/')}/playlistItems", source=SOURCE, params=params,
                            explain=explain_error)
        if not isinstance(answer, dict) or not isinstance(answer.get("items"), list):
            raise ImportFailed(_("${source} answered with something that is not a playlist.", mapping={"source": SOURCE}))
        yield answer["items"]
        if not answer.get("nextPageToken"):
            return
        if answer["nextPageToken"] == params.get("pageToken"):
            raise ImportFailed(_("${source} sent the same page of the playlist twice.", mapping={"source": SOURCE}))
        params["pageToken"] = answer["nextPageToken"]


def video_info(item: Mapping[str, Any]) -> dict[str, Any] | None:
    """Return the task ``info`` of one playlist item, or ``None`` for a private or deleted video."""
    try:
        snippet = item["snippet"]
        video_id = snippet["resourceId"]["videoId"]
    except (KeyError, TypeError):
        raise ImportFailed(_("${source} described a playlist item without its video.", mapping={"source": SOURCE})) from None
    # YouTube keeps private and deleted videos in playlists, without thumbnails; they cannot be played.
    if not snippet.get("thumbnails"):
        return None
    embed = f"https://www.youtube.com/embed/{video_id}"
    return {
        "youtube_id": video_id,
        "video_url": f"https://www.youtube.com/watch?v={video_id}",
        "oembed": f'<iframe width="512" height="288" src="{embed}" frameborder="0" allowfullscreen></iframe>',
        "title": snippet.get("title", ""),
        "thumbnails": snippet["thumbnails"],
    }


def tasks(data: Mapping[str, Any], *, api_key: str | None, api_url: str = DEFAULT_API_URL) -> Iterator[dict[str, Any]]:
    """Yield a task for each playable video of the playlist the validated form ``data`` links to."""
    if not api_key:
        raise ImportFailed(
            _("This site has no YouTube API key: ask its administrator to set plugin.importer-youtube.api_key."))
    found = False
    for items in playlist_pages(playlist_id(data["playlist_url"]), api_key=api_key, api_url=api_url):
        for item in items:
            info = video_info(item)
            if info is not None:
                found = True
                yield {"info": info}
    if not found:
        raise ImportFailed(_("The ${source} playlist has no public videos.", mapping={"source": SOURCE}))


@hookimpl
def register_importers(settings: Mapping[str, Any]) -> list[ImporterSpec]:
    """Register the ``youtube`` importer with the site's API key and endpoint."""
    own = plugin_settings(settings, PLUGIN_ID)
    return [
        ImporterSpec(
            name="youtube",
            title=_("YouTube playlist"),
            schema_factory=YouTubeImportForm,
            form_template="form.html",
            tasks=functools.partial(tasks, api_key=own.get("api_key"), api_url=own.get("api_url") or DEFAULT_API_URL),
        )
    ]
