"""``/project/<short_name>/auditlog``: the recorded changes of a project's settings, newest first.

For the project's owners and admins when ``pro_features.auditlog_enabled`` (anonymous
visitors are sent to sign in, others get 403), with PYBOSSA's keys (``logs`` beside the
project page's ``project``, ``owner``, ``pro_features``...).  The records are made by
``services.auditlog``, whose listeners this area starts.
"""
from __future__ import annotations

from pyramid.httpexceptions import HTTPForbidden
from pyramid.view import view_config

from pybossa_core.contexts import ProjectContext
from pybossa_core.i18n import _
from pybossa_core.presenters.project import project_page
from pybossa_core.security import MANAGE
from pybossa_core.services import auditlog


@view_config(route_name="project.auditlog", renderer="/projects/auditlog.html", request_method="GET", permission=MANAGE)
def project_auditlog(request):
    project = request.context.project
    context = project_page(request, project, _("Audit log"))
    if not context["pro_features"]["auditlog_enabled"]:
        raise HTTPForbidden()
    logs = auditlog.project_logs(request.dbsession, project)
    return {**context, "logs": [auditlog.log_json(log) for log in logs]}


def includeme(config) -> None:
    """Add the route (its view is found by the scan of ``pybossa_core.views``) and start recording changes."""
    config.add_route("project.auditlog", "/project/{short_name}/auditlog{slash:/?}", factory=ProjectContext)
    auditlog.watch_project_changes()
