"""``/api/project/<id>/reliability``, ``/quiz`` and ``/aggregate``, for a project's owners and admins:
each volunteer's gold answers, where they stand in the qualification quiz, and filling the
results again."""
from __future__ import annotations

from pybossa_core.api.base import ApiCall, api_call, load
from pybossa_core.api.describe import Description, json_answer, operation, ref, simple_get, summary
from pybossa_core.errors import MethodNotAllowed, NotFound
from pybossa_core.interfaces import IAggregators, IJobQueue
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
    aggregation.request_reaggregation(call.find_service(IJobQueue), project)
    return {"status": "queued", "aggregator": aggregation.aggregator_for(call.find_service(IAggregators), project).name}


RELIABILITY = {
    "type": "object",
    "properties": {
        "volunteer": {"type": "string"},
        "user_id": {"type": ["integer", "null"]},
        "external_uid": {"type": ["string", "null"]},
        "n_gold": {"type": "integer", "minimum": 1},
        "n_correct": {"type": "integer", "minimum": 0},
        "accuracy": {"type": "number", "minimum": 0, "maximum": 1},
        "reliability": {"type": "number", "minimum": 0, "maximum": 1},
    },
    "required": ["volunteer", "user_id", "external_uid", "n_gold", "n_correct", "accuracy", "reliability"],
    "additionalProperties": False,
}
QUIZ_RESULT = {
    "type": "object",
    "properties": {
        "volunteer": {"type": "string"},
        "answered": {"type": "integer", "minimum": 0},
        "correct": {"type": "integer", "minimum": 0},
        "status": {"type": "string", "enum": ["in_progress", "passed", "failed"]},
    },
    "required": ["volunteer", "answered", "correct", "status"],
    "additionalProperties": False,
}
QUEUED = {
    "type": "object",
    "properties": {"status": {"const": "queued"}, "aggregator": {"type": "string"}},
    "required": ["status", "aggregator"],
    "additionalProperties": False,
}


def _aggregate_path_item(route_name: str, view) -> dict:
    return {"post": operation("aggregate_project", summary(view), {"200": json_answer(QUEUED)}, tag="quality")}


def includeme(config) -> None:
    config.add_route("api.project.reliability", r"/api/project/{project_id:\d+}/reliability{slash:/?}")
    config.add_view(project_reliability, route_name="api.project.reliability", renderer="json",
                    describe=simple_get({"type": "array", "items": ref("Reliability")}, "quality",
                                        schemas={"Reliability": RELIABILITY}))
    config.add_route("api.project.quiz", r"/api/project/{project_id:\d+}/quiz{slash:/?}")
    config.add_view(project_quiz, route_name="api.project.quiz", renderer="json",
                    describe=simple_get({"type": "array", "items": ref("QuizResult")}, "quality",
                                        schemas={"QuizResult": QUIZ_RESULT}))
    config.add_route("api.project.aggregate", r"/api/project/{project_id:\d+}/aggregate{slash:/?}")
    config.add_view(aggregate, route_name="api.project.aggregate", renderer="json",
                    describe=Description(_aggregate_path_item))
