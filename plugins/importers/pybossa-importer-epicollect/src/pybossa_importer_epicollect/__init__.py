"""Import tasks from the entries of an Epicollect5 project, as PYBOSSA's ``epicollect`` importer does.

The importer reads the project's entries with Epicollect5's export API
(``GET /api/export/entries/<project slug>?form_ref=<form>``, following ``links.next``) and makes
one task per entry, whose ``info`` is the entry as Epicollect5 gives it. The project must be
public. The setting ``plugin.importer-epicollect.api_url`` (default
``https://five.epicollect.net/api``) lets tests stand in for Epicollect5.
"""

from __future__ import annotations

import functools
import json
import re
import urllib.parse
from collections.abc import Iterator, Mapping
from typing import Any

import colander
from pyramid.i18n import TranslationStringFactory

from pybossa_core.plugin_api import ImportFailed, ImporterSpec, fetch_json, hookimpl, plugin_settings

#: This plugin's translation domain (docs/i18n.md).
_ = TranslationStringFactory("pybossa_importer_epicollect")

PLUGIN_ID = "importer-epicollect"
DEFAULT_API_URL = "https://five.epicollect.net/api"
SOURCE = "Epicollect5"
#: The most entries Epicollect5 gives per page.
PER_PAGE = 1000


class EpicollectImportForm(colander.MappingSchema):
    """The import form: the project's name (or its slug) and, optionally, one of its forms."""

    epicollect_project = colander.SchemaNode(
        colander.String(),
        validator=colander.Regex(
            r"^[A-Za-z0-9][A-Za-z0-9 _-]{2,49}$",
            _("Enter the project's name as Epicollect5 shows it: 3 to 50 letters, digits, spaces, - and _."),
        ),
        title=_("Epicollect5 project"),
    )
    epicollect_form = colander.SchemaNode(
        colander.String(),
        validator=colander.Regex(r"^\w+$", _("Enter the form's ref (from the project's API page), or leave it empty.")),
        missing=colander.drop,
        title=_("Form"),
    )


def project_slug(name: str) -> str:
    """Return the slug Epicollect5 gives a project named ``name`` (``EC5 Demo`` -> ``ec5-demo``)."""
    return re.sub(r"\s+", "-", name.strip().lower())


def explain_error(body: bytes) -> str | None:
    """Return Epicollect5's own explanation of an error answer (``errors[].title``)."""
    try:
        titles = [str(error["title"]).rstrip(".") + "." for error in json.loads(body)["errors"]]
    except (ValueError, KeyError, TypeError):
        return None
    return " ".join(titles) or None


def entry_pages(url: str) -> Iterator[list[Any]]:
    """Yield the entries of each page of the export starting at ``url``, following ``links.next``."""
    seen = set()
    next_url: str | None = url
    while next_url:
        if next_url in seen:
            raise ImportFailed(_("${source} sent the same page of entries twice.", mapping={"source": SOURCE}))
        seen.add(next_url)
        answer = fetch_json(next_url, source=SOURCE, explain=explain_error)
        try:
            entries = answer["data"]["entries"]
            next_url = (answer.get("links") or {}).get("next")
        except (KeyError, TypeError, AttributeError):
            raise ImportFailed(_("${source} answered with something that is not a list of entries.", mapping={"source": SOURCE})) from None
        if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
            raise ImportFailed(_("${source} answered with something that is not a list of entries.", mapping={"source": SOURCE}))
        yield entries


def tasks(data: Mapping[str, Any], *, api_url: str = DEFAULT_API_URL) -> Iterator[dict[str, Any]]:
    """Yield a task for each entry of the project (and form) the validated form ``data`` names."""
    slug = project_slug(data["epicollect_project"])
    query = {"per_page": PER_PAGE, **({"form_ref": data["epicollect_form"]} if "epicollect_form" in data else {})}
    url = f"{api_url.rstrip('/')}/export/entries/{urllib.parse.quote(slug)}?{urllib.parse.urlencode(query)}"
    found = False
    for entries in entry_pages(url):
        for entry in entries:
            found = True
            yield {"info": entry}
    if not found:
        raise ImportFailed(_("The ${source} project ${epicollect_project} has no entries to import.", mapping={"source": SOURCE, "epicollect_project": data['epicollect_project']}))


@hookimpl
def register_importers(settings: Mapping[str, Any]) -> list[ImporterSpec]:
    """Register the ``epicollect`` importer with the site's Epicollect5 endpoint."""
    api_url = plugin_settings(settings, PLUGIN_ID).get("api_url") or DEFAULT_API_URL
    return [
        ImporterSpec(
            name="epicollect",
            title=_("Epicollect5 project"),
            schema_factory=EpicollectImportForm,
            tasks=functools.partial(tasks, api_url=api_url),
        )
    ]
