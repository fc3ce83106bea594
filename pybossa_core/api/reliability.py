"""``/api/project/<id>/reliability``, ``/quiz`` and ``/aggregate``, for a project's owners and admins:
each volunteer's gold answers, where they stand in the qualification quiz, and filling the
results again."""
from __future__ import annotations

from pybossa_core.api.base import ApiCall, api_call, load
from pybossa_core.errors import MethodNotAllowed, NotFound
from pybossa_core.models import Project
from pybossa_core.security import require_owner
from pybossa_core.services import aggregation, quiz, reliability


def _owned_project(request, method: str = "GET") -> tuple[ApiCall, Project]:
    if request.method != method:
        raise MethodNotAllowed()
    call = api_call(request)
    project = load(call.session, Project, int(request.matchdict["project_id"]))
    if project is None:
        raise NotFound()
    require_owner(call.user, project)
    return call, project


def project_reliability(request):
    """List the project's volunteers with gold answers: counts, share right, smoothed reliability."""
    call, project = _owned_project(request)
    return reliability.project_reliability(call.session, project)


def project_quiz(request):
    """List the volunteers who started the project's quiz: answers, right answers, and their status."""
    call, project = _owned_project(request)
    return quiz.results(call.session, project)


def aggregate(request):
    """Aggregate the project's results again, in a background job (Dawid-Skene runs over them all)."""
    call, project = _owned_project(request, "POST")
    aggregation.request_reaggregation(call.registry, call.transaction_manager, project)
    return {"status": "queued", "aggregator": aggregation.aggregator_for(call.registry["aggregators"], project).name}


def includeme(config) -> None:
    config.add_route("api.project.reliability", r"/api/project/{project_id:\d+}/reliability{slash:/?}")
    config.add_view(project_reliability, route_name="api.project.reliability", renderer="json")
    config.add_route("api.project.quiz", r"/api/project/{project_id:\d+}/quiz{slash:/?}")
    config.add_view(project_quiz, route_name="api.project.quiz", renderer="json")
    config.add_route("api.project.aggregate", r"/api/project/{project_id:\d+}/aggregate{slash:/?}")
    config.add_view(aggregate, route_name="api.project.aggregate", renderer="json")
