"""Import tasks from the canvases of a IIIF manifest, as PYBOSSA's ``iiif`` importer does.

The importer downloads a IIIF Presentation API manifest (version 2 or 3) and makes one task per
canvas, pointing at the canvas's image through its IIIF Image API service (whole image, sizes
for thumbnails and pages, and the ``info.json`` a deep-zoom viewer reads). The setting
``plugin.importer-iiif.viewer_url`` (default ``https://universalviewer.io/uv.html``) is the
viewer each task's ``link`` opens the canvas in.
"""

from __future__ import annotations

import functools
import urllib.parse
from collections.abc import Iterator, Mapping
from typing import Any

import colander
from pyramid.i18n import TranslationStringFactory

from pybossa_core.plugin_api import ImportFailed, ImporterSpec, fetch_json, hookimpl, plugin_settings

#: This plugin's translation domain (docs/i18n.md).
_ = TranslationStringFactory("pybossa_importer_iiif")

PLUGIN_ID = "importer-iiif"
DEFAULT_VIEWER_URL = "https://universalviewer.io/uv.html"
SOURCE = _("The manifest's server")
NOT_A_MANIFEST = _("That link does not give a IIIF Presentation 2 or 3 manifest.")


def http_url(node: colander.SchemaNode, value: str) -> None:
    """Accept only absolute http:// and https:// links."""
    parts = urllib.parse.urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise colander.Invalid(node, _("Enter a link starting with http:// or https://."))


class IIIFImportForm(colander.MappingSchema):
    """The import form: the link of a IIIF manifest."""

    manifest_uri = colander.SchemaNode(colander.String(), validator=http_url)


def _id(resource: Any) -> str | None:
    """Return a resource's id: ``@id`` in version 2, ``id`` in version 3."""
    if isinstance(resource, dict):
        found = resource.get("id", resource.get("@id"))
        return found if isinstance(found, str) and found else None
    return None


def _first(value: Any) -> Any:
    """Return the first of a list, or a lone value (IIIF allows either in many places)."""
    if isinstance(value, list):
        return value[0] if value else None
    return value


def presentation_version(manifest: Mapping[str, Any]) -> str:
    """Return ``"2"`` or ``"3"`` from the manifest's ``@context``."""
    contexts = manifest.get("@context")
    contexts = contexts if isinstance(contexts, list) else [contexts]
    for context in contexts:
        if context == "http://iiif.io/api/presentation/3/context.json":
            return "3"
        if context == "http://iiif.io/api/presentation/2/context.json":
            return "2"
    raise ImportFailed(NOT_A_MANIFEST)


def canvases(manifest: Mapping[str, Any], version: str) -> list[Any]:
    """Return the manifest's canvases: its first sequence's (version 2) or its items (version 3)."""
    listed = manifest.get("items") if version == "3" else (_first(manifest.get("sequences")) or {}).get("canvases")
    if not isinstance(listed, list) or not listed:
        raise ImportFailed(_("The manifest has no canvases to import."))
    return listed


def image_service(canvas: Any, version: str) -> str | None:
    """Return the id of the IIIF Image API service of the canvas's first image, or ``None``."""
    try:
        if version == "3":
            body = _first(_first(canvas["items"])["items"])["body"]
        else:
            body = _first(canvas["images"])["resource"]
        service = _id(_first(body.get("service")))
    except (KeyError, TypeError, AttributeError):
        return None
    return service.rstrip("/") if service else None


def canvas_info(manifest_id: str, canvas: Any, index: int, version: str, viewer_url: str) -> dict[str, Any]:
    """Return the task ``info`` for the ``index``-th canvas of the manifest."""
    canvas_id, service = _id(canvas), image_service(canvas, version)
    if canvas_id is None or service is None:
        raise ImportFailed(_("Canvas ${index} of the manifest has no id or no IIIF image service.", mapping={"index": index + 1}))
    link = f"{viewer_url}?{urllib.parse.urlencode({'manifest': manifest_id})}#?cv={index}"
    return {
        "manifest": manifest_id,
        "canvas": canvas_id,
        "target": canvas_id,
        "tileSource": f"{service}/info.json",
        "url": f"{service}/full/max/0/default.jpg",
        "url_m": f"{service}/full/240,/0/default.jpg",
        "url_b": f"{service}/full/1024,/0/default.jpg",
        "link": link,
        "version": version,
    }


def tasks(data: Mapping[str, Any], *, viewer_url: str = DEFAULT_VIEWER_URL) -> Iterator[dict[str, Any]]:
    """Yield a task for each canvas of the manifest the validated form ``data`` links to."""
    manifest = fetch_json(
        data["manifest_uri"], source=SOURCE, headers={"Accept": "application/ld+json, application/json"}
    )
    if not isinstance(manifest, dict):
        raise ImportFailed(NOT_A_MANIFEST)
    version = presentation_version(manifest)
    manifest_id = _id(manifest) or data["manifest_uri"]
    for index, canvas in enumerate(canvases(manifest, version)):
        yield {"info": canvas_info(manifest_id, canvas, index, version, viewer_url)}


@hookimpl
def register_importers(settings: Mapping[str, Any]) -> list[ImporterSpec]:
    """Register the ``iiif`` importer with the site's viewer."""
    viewer_url = plugin_settings(settings, PLUGIN_ID).get("viewer_url") or DEFAULT_VIEWER_URL
    return [
        ImporterSpec(
            name="iiif",
            title=_("IIIF manifest"),
            schema_factory=IIIFImportForm,
            form_template="form.html",
            tasks=functools.partial(tasks, viewer_url=viewer_url),
        )
    ]
