"""Import tasks from files chosen with the Dropbox Chooser, as PYBOSSA's ``dropbox`` importer does.

The import page's Dropbox Chooser posts ``files``: one JSON object per chosen file, as the
Chooser describes it (``name``, ``link``, ``bytes``, ``isDir``, ...). Each file becomes a task
whose ``info`` links to it, with the fields a presenter for its kind of file expects. Nothing
is downloaded.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import colander
from pyramid.i18n import TranslationStringFactory

from pybossa_core.plugin_api import ImporterSpec, hookimpl, media_fields

#: This plugin's translation domain (docs/i18n.md).
_ = TranslationStringFactory("pybossa_importer_dropbox")

DROPBOX_HOSTS = frozenset({"www.dropbox.com", "dropbox.com"})
#: Dropbox's host serving a shared file's bytes directly, with CORS headers, for presenters.
CONTENT_HOST = "dl.dropboxusercontent.com"


def chooser_file(text: str) -> dict[str, Any] | None:
    """Return the Chooser's description of one file, or ``None`` when ``text`` is not one."""
    try:
        described = json.loads(text)
    except ValueError:
        return None
    if not isinstance(described, dict) or not isinstance(described.get("name"), str):
        return None
    link = urllib.parse.urlsplit(str(described.get("link", "")))
    if link.scheme != "https" or link.hostname not in DROPBOX_HOSTS or described.get("isDir"):
        return None
    return described


def chooser_files(node: colander.SchemaNode, value: Sequence[str]) -> None:
    """Accept a non-empty list of Dropbox Chooser files (no folders)."""
    if not value:
        raise colander.Invalid(node, _("Choose at least one file from Dropbox."))
    for number, text in enumerate(value, start=1):
        if chooser_file(text) is None:
            raise colander.Invalid(
                node, _("File ${number} is not a shared Dropbox file as the Dropbox Chooser describes it.", mapping={"number": number}))


class DropboxImportForm(colander.MappingSchema):
    """The import form: the files chosen with the Dropbox Chooser, one JSON object each."""

    files = colander.SchemaNode(
        colander.Sequence(accept_scalar=True),
        colander.SchemaNode(colander.String(), name="file"),
        validator=chooser_files,
        description=_("Dropbox links of the files, one task each."),
    )


def _with_query(link: str, host: str | None = None, **changes: str | None) -> str:
    """Return ``link`` with query parameters set (or removed, for ``None``) and maybe another host."""
    parts = urllib.parse.urlsplit(link)
    query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    for name, value in changes.items():
        if value is None:
            query.pop(name, None)
        else:
            query[name] = value
    return urllib.parse.urlunsplit(parts._replace(netloc=host or parts.netloc, query=urllib.parse.urlencode(query)))


def file_info(described: Mapping[str, Any]) -> dict[str, Any]:
    """Return the task ``info`` for one Chooser file: its links, plus the fields of its kind."""
    name, link = described["name"], described["link"]
    # ``raw=1`` makes Dropbox serve the file itself rather than its preview page.
    raw = _with_query(link, dl=None, raw="1")
    # PDF viewers and media players load the file from another origin, which only this host allows.
    direct = _with_query(link, host=CONTENT_HOST, dl=None)
    return {"filename": name, "link": link, "link_raw": raw, **media_fields(name, image_url=raw, media_url=direct)}


def tasks(data: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Yield a task for each file of the validated form ``data``."""
    for text in data["files"]:
        yield {"info": file_info(chooser_file(text))}


@hookimpl
def register_importers() -> list[ImporterSpec]:
    """Register the ``dropbox`` importer."""
    return [ImporterSpec(name="dropbox", title=_("Dropbox files"), schema_factory=DropboxImportForm, tasks=tasks)]
