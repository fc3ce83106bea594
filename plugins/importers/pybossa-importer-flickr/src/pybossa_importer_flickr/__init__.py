"""Import tasks from the photos of a Flickr album, as PYBOSSA's ``flickr`` importer does.

The importer calls Flickr's REST method ``flickr.photosets.getPhotos`` page by page with the
site's API key and makes one task per photo. Settings (``plugin.importer-flickr.<key>``):
``api_key`` (required to import) and ``api_url`` (default Flickr's REST endpoint, so tests can
stand in for Flickr).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import Any

import colander
from pyramid.i18n import TranslationStringFactory

from pybossa_core.plugin_api import ImportFailed, ImporterSpec, fetch_json, hookimpl, plugin_settings

#: This plugin's translation domain (docs/i18n.md).
_ = TranslationStringFactory("pybossa_importer_flickr")

PLUGIN_ID = "importer-flickr"
DEFAULT_API_URL = "https://api.flickr.com/services/rest/"
SOURCE = "Flickr"
#: The most photos Flickr gives per page of an album.
PER_PAGE = 500
#: Where Flickr serves a photo's files (``{server}/{id}_{secret}{size}.jpg``).
PHOTO_URL = "https://live.staticflickr.com/{server}/{id}_{secret}{size}.jpg"


class FlickrImportForm(colander.MappingSchema):
    """The import form: the id of a public album (photoset)."""

    album_id = colander.SchemaNode(
        colander.String(),
        validator=colander.Regex(r"^\d+$", _("Enter the album's id: the number at the end of its link.")),
        title=_("Album id"),
    )


def photo_info(photo: Mapping[str, Any], owner: str) -> dict[str, Any]:
    """Return the task ``info`` of one photo of an album owned by ``owner``."""
    try:
        url = functools.partial(PHOTO_URL.format, server=photo["server"], id=photo["id"], secret=photo["secret"])
        return {
            "title": photo.get("title", ""),
            "url": url(size=""),
            "url_m": url(size="_m"),
            "url_b": url(size="_b"),
            "link": f"https://www.flickr.com/photos/{owner}/{photo['id']}",
        }
    except (KeyError, TypeError):
        raise ImportFailed(_("${source} described a photo without its id, server or secret.", mapping={"source": SOURCE})) from None


def album_pages(album_id: str, *, api_key: str, api_url: str) -> Iterator[dict[str, Any]]:
    """Yield each page of the album's ``photoset``, as ``flickr.photosets.getPhotos`` gives it."""
    page, pages = 1, 1
    while page <= pages:
        answer = fetch_json(api_url, source=SOURCE, params={
            "method": "flickr.photosets.getPhotos", "api_key": api_key, "photoset_id": album_id,
            "per_page": PER_PAGE, "page": page, "format": "json", "nojsoncallback": 1,
        })
        if not isinstance(answer, dict):
            raise ImportFailed(_("${source} answered with something that is not an album.", mapping={"source": SOURCE}))
        if answer.get("stat") != "ok":
            # Flickr answers errors with HTTP 200 and {"stat": "fail", "code": ..., "message": ...}.
            raise ImportFailed(_("${source} refused the album: ${given}.", mapping={"source": SOURCE, "given": answer.get('message', 'no reason given')}))
        photoset = answer.get("photoset")
        if not isinstance(photoset, dict) or not isinstance(photoset.get("photo"), list):
            raise ImportFailed(_("${source} answered with something that is not an album.", mapping={"source": SOURCE}))
        yield photoset
        try:
            pages = int(photoset.get("pages") or 1)
        except (TypeError, ValueError):
            raise ImportFailed(_("${source} gave an album without a page count.", mapping={"source": SOURCE})) from None
        page += 1


def tasks(data: Mapping[str, Any], *, api_key: str | None, api_url: str = DEFAULT_API_URL) -> Iterator[dict[str, Any]]:
    """Yield a task for each photo of the album the validated form ``data`` names."""
    if not api_key:
        raise ImportFailed(
            _("This site has no Flickr API key: ask its administrator to set plugin.importer-flickr.api_key."))
    found = False
    for photoset in album_pages(data["album_id"], api_key=api_key, api_url=api_url):
        if not photoset.get("owner"):
            raise ImportFailed(_("${source} gave an album without its owner.", mapping={"source": SOURCE}))
        for photo in photoset["photo"]:
            found = True
            yield {"info": photo_info(photo, photoset["owner"])}
    if not found:
        raise ImportFailed(_("The ${source} album ${album_id} has no photos.", mapping={"source": SOURCE, "album_id": data['album_id']}))


@hookimpl
def register_importers(settings: Mapping[str, Any]) -> list[ImporterSpec]:
    """Register the ``flickr`` importer with the site's API key and endpoint."""
    own = plugin_settings(settings, PLUGIN_ID)
    return [
        ImporterSpec(
            name="flickr",
            title=_("Flickr album"),
            schema_factory=FlickrImportForm,
            tasks=functools.partial(tasks, api_key=own.get("api_key"), api_url=own.get("api_url") or DEFAULT_API_URL),
        )
    ]
