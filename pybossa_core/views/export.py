"""``/project/<short_name>/tasks/export``: what a project offers to download, and the downloads.

Without ``type`` and ``format`` the view shows the project and the downloads it offers; with
them it answers a ZIP holding the project's tasks, task runs or results as JSON or CSV
(``pybossa_core.services.exports``), each object as the REST API presents it.  As in PYBOSSA
an unknown ``format`` is 415 and an unknown ``type`` 404.  Drafts are shown only to their
owners and admins; a project whose ``zip_download`` is off is exported only for them too, and so
is a project under embargo (``embargo_until``) until that time.
"""
from __future__ import annotations

import os
from typing import Any

from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound, HTTPUnsupportedMediaType
from pyramid.response import FileIter, Response
from pyramid.view import view_config

from pybossa_core.api import result, task, taskrun
from pybossa_core.api.base import api_call, serialize
from pybossa_core.contexts import ProjectContext
from pybossa_core.i18n import _
from pybossa_core.interfaces import IBuiltExports
from pybossa_core.models import Project, VolunteerReliability
from pybossa_core.presenters.project import project_page
from pybossa_core.security import EXPORT, MANAGE, under_embargo
from pybossa_core.services import exports, reliability

#: The API resource whose presenter writes each exported type.
RESOURCES = {"task": task.RESOURCE, "task_run": taskrun.RESOURCE, "result": result.RESOURCE}
#: The volunteers' reliability (their gold answers), exported for the project's owners only.
RELIABILITY = "reliability"
LOADING_TEXT = _("Exporting data..., this may take a while")
#: Query keys that do not ask for a download.
PAGE_KEYS = {"response_format"}


def _embargoed(project):
    return _("The data of this project is under embargo until ${day}: it can be downloaded from then on.",
             mapping={"day": project.embargo_until.date().isoformat()})


def _downloads(request, project: Project) -> list[dict[str, str]]:
    return [
        {
            "type": kind,
            "format": file_format,
            "url": request.route_path(
                "project.export", short_name=project.short_name, slash="", _query={"type": kind, "format": file_format}
            ),
        }
        for kind in [*RESOURCES, *([RELIABILITY] if request.has_permission(MANAGE) else [])]
        for file_format in exports.FORMATS
    ]


def _download(request, project: Project, kind: str, file_format: str) -> Response:
    if kind == RELIABILITY:
        model, present = VolunteerReliability, lambda row: reliability.describe(row.volunteer, row.n_gold, row.n_correct)
    else:
        resource, call, base_url = RESOURCES[kind], api_call(request), request.application_url
        model, present = resource.model, lambda obj: serialize(call, resource, obj, base_url)
    built = request.find_service(IBuiltExports)
    # Owners' exports hold what only they see (gold answers): built apart from everyone else's.
    audience = "owners" if request.has_permission(MANAGE) else "public"
    path = built.path(project, kind, file_format, audience, request.application_url)
    archive = built.get_or_build(
        path, lambda: exports.write_export(request.dbsession, project, model, kind, file_format, present)
    )
    size = os.fstat(archive.fileno()).st_size
    response = Response(content_type="application/zip", app_iter=FileIter(archive), content_length=size)
    response.content_disposition = f'attachment; filename="{exports.download_name(project, kind, file_format)}"'
    return response


@view_config(route_name="project.export", renderer="/projects/export.html", permission=EXPORT)
def export(request) -> Any:
    project = request.context.project
    kind, file_format = request.GET.get("type"), request.GET.get("format")
    embargoed = under_embargo(request.identity, project)
    if not (kind and file_format):
        if set(request.GET) - PAGE_KEYS:
            raise HTTPNotFound()
        page = {
            **project_page(request, project, " &middot; Export"),
            "loading_text": LOADING_TEXT,
            "ckan_name": None,
            "exporters": [] if embargoed else _downloads(request, project),
        }
        if embargoed:
            page.update(flash=_embargoed(project), status="info")
        return page
    if file_format not in exports.FORMATS:
        raise HTTPUnsupportedMediaType()
    if kind not in RESOURCES and not (kind == RELIABILITY and request.has_permission(MANAGE)):
        raise HTTPNotFound()
    if embargoed:
        refusal = HTTPForbidden()
        refusal.explanation = request.localizer.translate(_embargoed(project))
        raise refusal
    return _download(request, project, kind, file_format)


def includeme(config) -> None:
    """Add the route; the view is found by the scan of ``pybossa_core.views``."""
    config.add_route("project.export", "/project/{short_name}/tasks/export{slash:/?}", factory=ProjectContext)
