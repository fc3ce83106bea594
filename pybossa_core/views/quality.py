"""``/project/<short_name>/tasks/quality``: a project's gold rate, aggregator, reliability threshold,
adaptive retirement and qualification quiz, as its owners set them, and the volunteers' standing
in the quiz.

The settings are the project's ``info`` keys the API sets too (``services.quality`` and
``services.quiz`` check both); an empty field puts the setting back to its default (an empty
number of questions: no quiz).
"""
from __future__ import annotations

import colander
from pyramid.view import view_config

from pybossa_core.contexts import ProjectContext
from pybossa_core.events import emit_after_commit
from pybossa_core.i18n import _, translate
from pybossa_core.interfaces import IAggregators, IJobQueue
from pybossa_core.presenters.project import project_page
from pybossa_core.renderers import redirect
from pybossa_core.schemas.forms import validate
from pybossa_core.security import MANAGE
from pybossa_core.services import aggregation, quality, quiz
from pybossa_core.web import CORRECT_ERRORS, form_data, show_form, submitted

FIELDS = ("gold_rate", "aggregator", "answer_key", "min_reliability", "retire_confidence", "min_answers", "max_answers")
#: The quiz's form fields, and the part of ``info.quiz`` each sets.
QUIZ_FIELDS = {"quiz_questions": "questions", "quiz_pass_rate": "pass_rate"}
UPDATED = _("Quality settings updated!")
AGGREGATING = _("The results are being aggregated again.")


def _number(value):
    """A number typed in the form; text that is none is left for ``check_settings`` to refuse."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


def _whole(value):
    """A whole number typed in the form; other text is left for ``check_settings`` to refuse."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def quality_form() -> colander.SchemaNode:
    """The settings as text; their rules are ``quality.check_settings``'s, shared with the API."""
    schema = colander.SchemaNode(colander.Mapping())
    schema.add(colander.SchemaNode(colander.String(), name="gold_rate", missing=None, preparer=_number))
    schema.add(colander.SchemaNode(colander.String(), name="aggregator", missing=None))
    schema.add(colander.SchemaNode(colander.String(), name="answer_key", missing=None))
    schema.add(colander.SchemaNode(colander.String(), name="min_reliability", missing=None, preparer=_number))
    schema.add(colander.SchemaNode(colander.String(), name="retire_confidence", missing=None, preparer=_number))
    schema.add(colander.SchemaNode(colander.String(), name="min_answers", missing=None, preparer=_whole))
    schema.add(colander.SchemaNode(colander.String(), name="max_answers", missing=None, preparer=_whole))
    schema.add(colander.SchemaNode(colander.String(), name="quiz_questions", missing=None, preparer=_whole))
    schema.add(colander.SchemaNode(colander.String(), name="quiz_pass_rate", missing=None, preparer=_number))
    return schema


def _quiz_fields(project) -> dict:
    current = (project.info or {}).get("quiz")
    current = current if isinstance(current, dict) else {}
    return {field: current.get(key) for field, key in QUIZ_FIELDS.items()}


def _quiz_setting(values: dict) -> dict | None:
    """The ``info.quiz`` the form asks for: None without a number of questions."""
    if values.get("quiz_questions") is None:
        return None
    return {key: values[field] for field, key in QUIZ_FIELDS.items() if values.get(field) is not None}


def _blank_to_missing(data: dict) -> dict:
    return {key: value for key, value in data.items() if value not in ("", None)}


def _context(request, project, form_fields=None, errors=None) -> dict:
    aggregators = request.find_service(IAggregators)
    info = project.info or {}
    fields = form_fields or {**{name: info.get(name) for name in FIELDS}, **_quiz_fields(project)}
    context = {
        **project_page(request, project, _("Quality")),
        "form": show_form(request, fields, errors),
        "has_quiz": quiz.quiz_of(project) is not None,
        "quiz_results": quiz.results(request.dbsession, project) if quiz.quiz_of(project) else [],
        "aggregator_options": [("", request.localizer.translate(_("Default (${name})", mapping={"name": quality.DEFAULT_AGGREGATOR}))),
                               *((spec.name, translate(request.localizer, spec.title)) for spec in aggregators.values())],
    }
    missing = quality.missing_aggregator(aggregators, project)
    if missing is not None:
        context.update(flash=_("The aggregator ${missing} is not installed on this site: results use ${default}.",
                               mapping={"missing": repr(missing), "default": repr(quality.DEFAULT_AGGREGATOR)}), status="warning")
    return context


@view_config(route_name="project.quality", renderer="/projects/quality.html", permission=MANAGE)
def quality_settings(request):
    project = request.context.project
    if request.method != "POST":
        return _context(request, project)
    data = form_data(request)
    sent = submitted(data, (*FIELDS, *QUIZ_FIELDS))
    values, errors = validate(quality_form(), _blank_to_missing(sent))
    if not errors:
        settings = {**{name: values.get(name) for name in FIELDS}, "quiz": _quiz_setting(values)}
        try:
            # Only a new quiz: gold tasks deleted later do not lock the page's other settings (as the API).
            if settings["quiz"] != (project.info or {}).get("quiz"):
                quiz.check_settings(request.dbsession, project.id, settings["quiz"])
            quality.update_settings(project, settings, request.find_service(IAggregators))
        except quiz.InvalidQuiz as invalid:
            errors = {"quiz_pass_rate" if invalid.field == "pass_rate" else "quiz_questions": [str(invalid)]}
        except quality.InvalidSetting as invalid:
            errors = {invalid.field: [invalid.message]}
        else:
            for completed in aggregation.apply_max_answers(request.dbsession, request.find_service(IAggregators), project):
                emit_after_commit(request, completed)
    if errors:
        return {**_context(request, project, sent, errors), "flash": CORRECT_ERRORS, "status": "error"}
    return redirect(
        request.route_path("project.quality", short_name=project.short_name, slash=""), status="success", flash=UPDATED
    )


@view_config(route_name="project.quality_aggregate", request_method="POST", renderer="/projects/quality.html", permission=MANAGE)
def aggregate_again(request):
    """Fill the project's results again with its aggregator, in a background job."""
    project = request.context.project
    aggregation.request_reaggregation(request.find_service(IJobQueue), project)
    return redirect(
        request.route_path("project.quality", short_name=project.short_name, slash=""), status="success",
        flash=AGGREGATING,
    )


def includeme(config) -> None:
    """Add the routes; the views are found by the scan of ``pybossa_core.views``."""
    config.add_route("project.quality", "/project/{short_name}/tasks/quality{slash:/?}", factory=ProjectContext)
    config.add_route("project.quality_aggregate", "/project/{short_name}/tasks/quality/aggregate{slash:/?}", factory=ProjectContext)
