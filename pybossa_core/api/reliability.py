"""``/api/project/<id>/reliability``: each volunteer's gold answers in a project, for its owners and admins."""
from __future__ import annotations

from pybossa_core.api.base import api_call, load
from pybossa_core.errors import MethodNotAllowed, NotFound
from pybossa_core.models import Project
from pybossa_core.security import require_owner
from pybossa_core.services import reliability


def project_reliability(request):
    """List the project's volunteers with gold answers: counts, share right, smoothed reliability."""
    if request.method != "GET":
        raise MethodNotAllowed()
    call = api_call(request)
    project = load(call.session, Project, int(request.matchdict["project_id"]))
    if project is None:
        raise NotFound()
    require_owner(call.user, project)
    return reliability.project_reliability(call.session, project)


def includeme(config) -> None:
    config.add_route("api.project.reliability", r"/api/project/{project_id:\d+}/reliability{slash:/?}")
    config.add_view(project_reliability, route_name="api.project.reliability", renderer="json")
