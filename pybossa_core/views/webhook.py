"""``/project/<short_name>/webhook``: a project's webhook deliveries, and sending them again.

For the project's owners and admins when ``pro_features.webhooks_enabled`` (anonymous
visitors are sent to sign in, others get 403), as PYBOSSA's ``webhook_handler``:

- ``GET /project/<short_name>/webhook`` lists the deliveries (``responses``), newest first;
  with ``?all=1`` it first queues every delivery to be sent again, with ``?failed=1`` those
  whose latest answer was not a 2xx (not those still pending).  A POST with the same query does
  the same; a GET does it only with the CSRF token in the ``X-CSRFToken`` header (400 without).
- ``POST /project/<short_name>/webhook/<id>`` queues that one delivery again and answers it.

A delivery sent again keeps its row (its answer is replaced) and the receiver sees
``?rerun=True``.  The sending itself is a background job (``services.webhooks``).
"""
from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPForbidden
from pyramid.view import view_config

from pybossa_core import csrf
from pybossa_core.contexts import ProjectContext
from pybossa_core.i18n import _
from pybossa_core.interfaces import IJobQueue
from pybossa_core.models import Project, Webhook
from pybossa_core.presenters.project import project_page
from pybossa_core.schemas.query import parse_bool
from pybossa_core.services import webhooks
from pybossa_core.security import MANAGE

QUEUED = _("All webhooks enqueued")


def _context(request, project: Project) -> dict[str, Any]:
    """The page's keys; 403 when the visitor's pro features leave webhooks out."""
    context = project_page(request, project, _("Webhooks"))
    if not context["pro_features"]["webhooks_enabled"]:
        raise HTTPForbidden()
    return context


def _asked(request, name: str) -> bool:
    return parse_bool(name, request.GET.get(name, "0"))


@view_config(route_name="project.webhook", renderer="/projects/webhook.html", request_method=("GET", "POST"), permission=MANAGE)
@view_config(route_name="project.webhook.delivery", renderer="/projects/webhook.html", request_method="GET", permission=MANAGE)
def deliveries(request):
    project = request.context.project
    context = _context(request, project)
    session = request.dbsession
    listed = webhooks.deliveries(session, project)
    resend_all, resend_failed = _asked(request, "all"), _asked(request, "failed")
    if resend_all or resend_failed:
        csrf.require_token_on_get(request)
        again = [delivery for delivery in listed if resend_all or not (
            webhooks.succeeded(delivery.response_status_code) or webhooks.pending(delivery))]
        webhooks.resend(request.find_service(IJobQueue), again)
        context.update(flash=QUEUED, status="info")
    return {**context, "responses": [webhooks.delivery_json(delivery) for delivery in listed]}


@view_config(route_name="project.webhook.delivery", renderer="json", request_method="POST", permission=MANAGE)
def resend_one(request):
    project = request.context.project
    _context(request, project)
    delivery = request.context.owned(Webhook, "id")
    webhooks.resend(request.find_service(IJobQueue), [delivery])
    return webhooks.delivery_json(delivery)


def includeme(config) -> None:
    """Add the routes; their views are found by the scan of ``pybossa_core.views``."""
    config.add_route("project.webhook", "/project/{short_name}/webhook{slash:/?}", factory=ProjectContext)
    config.add_route("project.webhook.delivery", r"/project/{short_name}/webhook/{id:\d+}{slash:/?}", factory=ProjectContext)
