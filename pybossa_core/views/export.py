"""``/project/<short_name>/tasks/export``: what a project offers to download, and the downloads.

Without ``type`` and ``format`` the view shows the project and the downloads it offers; with
them it answers a ZIP holding the project's tasks, task runs or results as JSON or CSV
(``pybossa_core.services.exports``), each object as the REST API presents it.  As in PYBOSSA
an unknown ``format`` is 415 and an unknown ``type`` 404.  Drafts are shown only to their
owners and admins; a project whose ``zip_download`` is off is exported only for them too, and so
is a project under embargo (``embargo_until``) until that time.

A download is built once per change of the project's data and then served from its file
(``exports.BuiltExports``).  Without Redis the first request builds it; with Redis (jobs on RQ) a
``pybossa worker`` job does, and until it is there the download answers 202 with ``Retry-After``
and the page saying it is being prepared (the signed-in requester who queued it gets the link by
e-mail).
"""
from __future__ import annotations

import os
from typing import IO, Any

from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound, HTTPUnsupportedMediaType
from pyramid.response import FileIter, Response
from pyramid.view import view_config

from pybossa_core.api import result, task, taskrun
from pybossa_core.api.base import ApiCall, Rules, serialize
from pybossa_core.contexts import ProjectContext
from pybossa_core.i18n import _, localizer_for
from pybossa_core.interfaces import IBuiltExports, IJobQueue
from pybossa_core.models import Project, VolunteerReliability
from pybossa_core.presenters.project import project_page
from pybossa_core.security import EXPORT, MANAGE, under_embargo
from pybossa_core.services import exports, mail, reliability
from pybossa_core.services.jobs import function_path

#: The API resource whose presenter writes each exported type.
RESOURCES = {"task": task.RESOURCE, "task_run": taskrun.RESOURCE, "result": result.RESOURCE}
#: The volunteers' reliability (their gold answers), exported for the project's owners only.
RELIABILITY = "reliability"
#: What the export-ready mail calls each exported type ("the CSV export of the answers data").
KIND_NAMES = {"task": _("tasks"), "task_run": _("answers"), "result": _("results"), RELIABILITY: _("volunteers' reliability")}
LOADING_TEXT = _("Exporting data..., this may take a while")
#: Query keys that do not ask for a download.
PAGE_KEYS = {"response_format"}


def _embargoed(project):
    return _("The data of this project is under embargo until ${day}: it can be downloaded from then on.",
             mapping={"day": project.embargo_until.date().isoformat()})


def presenter(session, kind: str, user, base_url: str) -> tuple[type, exports.Presenter]:
    """The model an export of ``kind`` reads, and how it presents each row: as the API shows it to
    ``user`` (gold answers for owners), with links under ``base_url``.  The export job calls it too."""
    if kind == RELIABILITY:
        return VolunteerReliability, lambda row: reliability.describe(row.volunteer, row.n_gold, row.n_correct)
    resource = RESOURCES[kind]
    call = ApiCall(session=session, user=user, client_ip="", request=None)

    def present(obj: Any) -> dict[str, Any]:
        return serialize(call, resource, obj, base_url)

    if type(resource.rules).present is Rules.present:
        # Every column shown as it is (task runs, results): the export presents whole chunks.
        return resource.model, exports.PlainPresenter(present, resource.name, resource.parent_keys, base_url)
    return resource.model, present


def _export_url(request, project: Project, kind: str, file_format: str, *, absolute: bool = False) -> str:
    route = request.route_url if absolute else request.route_path
    return route("project.export", short_name=project.short_name, slash="", _query={"type": kind, "format": file_format})


def _page(request, project: Project, embargoed: bool) -> dict[str, Any]:
    return {
        **project_page(request, project, _("Export")),
        "loading_text": LOADING_TEXT,
        "ckan_name": None,
        "exporters": [] if embargoed else [
            {"type": kind, "format": file_format, "url": _export_url(request, project, kind, file_format)}
            for kind in [*RESOURCES, *([RELIABILITY] if request.has_permission(MANAGE) else [])]
            for file_format in exports.FORMATS
        ],
    }


def _ready_mail(request, project: Project, kind: str, file_format: str) -> list[str] | None:
    """The mail telling the signed-in requester their export is ready, in their language (subject,
    recipient, body, Message-ID), or ``None`` for a requester without an address."""
    user, settings = request.identity, request.registry.settings
    if user is None or not user.email_addr:
        return None
    subject, body = mail.export_ready(
        localizer_for(request.registry, user.locale), settings["site.brand"], user.fullname, project.name, KIND_NAMES[kind],
        file_format, _export_url(request, project, kind, file_format, absolute=True),
    )
    return [subject, user.email_addr, body, mail.new_message_id(settings)]


def _download(request, project: Project, kind: str, file_format: str) -> Any:
    built, jobs = request.find_service(IBuiltExports), request.find_service(IJobQueue)
    # Owners' exports hold what only they see (gold answers): built apart from everyone else's.
    owners = request.has_permission(MANAGE)
    audience, base_url = "owners" if owners else "public", request.application_url
    path = built.path(project, kind, file_format, audience, base_url)
    if jobs.background:
        queued: dict[str, Any] = {}

        def queue() -> None:
            queued["mail"] = _ready_mail(request, project, kind, file_format)
            jobs.enqueue(exports.build_job, function_path(presenter), project.id, kind, file_format, audience,
                         base_url, path, request.identity.id if owners else None, queued["mail"],
                         kind=exports.KIND, project_id=project.id, min_timeout=exports.BUILD_TTL)

        archive = built.get_or_queue(path, queue)
        if archive is None:
            # 202: the same URL answers the file once the job has built it.
            request.response.status_code = 202
            request.response.headers["Retry-After"] = str(exports.RETRY_AFTER)
            return {
                **_page(request, project, embargoed=False),
                "flash": exports.MAILING if queued.get("mail") else exports.PREPARING, "status": "info",
                "preparing": {"type": kind, "format": file_format, "url": _export_url(request, project, kind, file_format)},
            }
    else:
        def build() -> IO[bytes]:
            model, present = presenter(request.dbsession, kind, request.identity, base_url)
            return exports.write_export(request.dbsession, project, model, kind, file_format, present)

        archive = built.get_or_build(path, build)
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
        page = _page(request, project, embargoed)
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
