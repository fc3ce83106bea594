"""Import tasks from a shared Google Sheets spreadsheet, as PYBOSSA's ``gdocs`` importer does.

The owner gives the sheet's link; the importer downloads the sheet as CSV from Google's export
link and reads it with the CSV importer's rules (see ``pybossa-importer-csv``). The setting
``plugin.importer-gdocs.base_url`` (default ``https://docs.google.com``) names where the export
is downloaded from, so tests and mirrors can stand in for Google.
"""

from __future__ import annotations

import functools
import re
import urllib.parse
from collections.abc import Iterator, Mapping
from typing import Any

import colander
from pybossa_importer_csv import fetch_csv, parse_csv
from pyramid.i18n import TranslationStringFactory

from pybossa_core.plugin_api import ImporterSpec, hookimpl, plugin_settings

#: This plugin's translation domain (docs/i18n.md).
_ = TranslationStringFactory("pybossa_importer_gdocs")

PLUGIN_ID = "importer-gdocs"
DEFAULT_BASE_URL = "https://docs.google.com"
SHEET_PATH = re.compile(r"/spreadsheets/d/([A-Za-z0-9_-]+)")
NOT_A_SHEET = _(
    "Enter the link of a Google Sheets spreadsheet, "
    "like https://docs.google.com/spreadsheets/d/<id>/edit."
)


def sheet_link(node: colander.SchemaNode, value: str) -> None:
    """Accept only links to a spreadsheet on docs.google.com."""
    parts = urllib.parse.urlsplit(value)
    if parts.scheme not in ("http", "https") or parts.hostname != "docs.google.com":
        raise colander.Invalid(node, NOT_A_SHEET)
    if not SHEET_PATH.match(parts.path):
        raise colander.Invalid(node, NOT_A_SHEET)


class GoogleSheetImportForm(colander.MappingSchema):
    """The import form: the link of a sheet shared with anyone who has the link."""

    googledocs_url = colander.SchemaNode(colander.String(), validator=sheet_link)


def export_url(sheet_url: str, base_url: str = DEFAULT_BASE_URL) -> str:
    """Return the link that downloads the sheet at ``sheet_url`` as CSV.

    The tab comes from ``gid`` in the link's query or fragment (``#gid=123``, as the browser's
    address bar shows it); without one Google exports the first tab.
    """
    parts = urllib.parse.urlsplit(sheet_url)
    sheet_id = SHEET_PATH.match(parts.path).group(1)
    query = {"format": "csv"}
    for part in (parts.query, parts.fragment):
        gid = urllib.parse.parse_qs(part).get("gid")
        if gid:
            query["gid"] = gid[0]
    return f"{base_url.rstrip('/')}/spreadsheets/d/{sheet_id}/export?{urllib.parse.urlencode(query)}"


def tasks(data: Mapping[str, Any], *, base_url: str = DEFAULT_BASE_URL) -> Iterator[dict[str, Any]]:
    """Yield a task for each row of the sheet the validated form ``data`` links to."""
    return parse_csv(fetch_csv(export_url(data["googledocs_url"], base_url)))


@hookimpl
def register_importers(settings: Mapping[str, Any]) -> list[ImporterSpec]:
    """Register the ``gdocs`` importer, downloading from the configured base URL."""
    base_url = plugin_settings(settings, PLUGIN_ID).get("base_url") or DEFAULT_BASE_URL
    return [
        ImporterSpec(
            name="gdocs",
            title=_("Google Sheets spreadsheet"),
            schema_factory=GoogleSheetImportForm,
            form_template="form.html",
            tasks=functools.partial(tasks, base_url=base_url),
        )
    ]
