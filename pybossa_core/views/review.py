"""Owners review answers and assign tasks: ``/project/<short_name>/tasks/<task_id>/review`` lists a
task's task runs with their verdicts and the volunteers it is assigned to;
``POST /project/<short_name>/taskrun/<id>/review`` (``verdict``: ``accepted``, ``rejected`` or
empty to clear; ``note``) records one (``services/review.py``); ``POST
/project/<short_name>/tasks/<task_id>/assign`` (``users``: names or e-mail addresses, empty for
none) names the volunteers who alone get the task (``services/assignments.py``); ``POST
/project/<short_name>/tasks/<task_id>/gold`` (``gold``: ``1`` with ``gold_answers``, the expected
answer as JSON, or ``0``) makes it a gold task or an ordinary one again.  For the project's
owners, co-owners and admins, as the other managing views.
"""
from __future__ import annotations

import json

from pyramid.view import view_config

from pybossa_core.contexts import ProjectContext
from pybossa_core.i18n import _
from pybossa_core.interfaces import IAggregators
from pybossa_core.models import Project, Task, TaskRun
from pybossa_core.presenters.project import project_page
from pybossa_core.renderers import redirect
from pybossa_core.security import MANAGE
from pybossa_core.services import assignments, projects, review
from pybossa_core.web import CORRECT_ERRORS, form_data, post_only, show_form

NOTE_LENGTH = 2000


NOT_JSON = _('The expected answer must be JSON, such as {"label": "bird"} or "bird".')


def _gold_text(task: Task) -> str:
    return json.dumps(task.gold_answers, ensure_ascii=False) if task.gold_answers is not None else ""


def _review_page(request, project: Project, task: Task, users_field: str | None = None, errors=None,
                 gold_form: tuple[str, dict] | None = None) -> dict:
    assigned = assignments.assignees(request.dbsession, task.id)
    gold_text, gold_errors = gold_form or (_gold_text(task), {})
    return {
        **project_page(request, project, _("Review")),
        "task": {"id": task.id, "info": task.info, "state": task.state, "n_answers": task.n_answers,
                 "gold": task.is_gold},
        "task_runs": review.task_runs_of(request.dbsession, task),
        "assignees": [{"id": user.id, "name": user.name, "fullname": user.fullname} for user in assigned],
        "form": show_form(request, {"verdict": None, "note": None}),
        "assign_form": show_form(
            request, {"users": " ".join(user.name for user in assigned) if users_field is None else users_field}, errors
        ),
        "gold_form": show_form(request, {"gold_answers": gold_text}, gold_errors),
    }


@view_config(route_name="project.task_review", renderer="/projects/task_review.html", permission=MANAGE)
def task_review(request):
    return _review_page(request, request.context.project, request.context.owned(Task, "task_id"))


@view_config(route_name="project.task_assign", renderer="/projects/task_review.html", request_method="POST", permission=MANAGE)
def task_assign(request):
    """Assign the task to the volunteers named in ``users``; empty: to nobody (every volunteer may get it)."""
    project = request.context.project
    task = request.context.owned(Task, "task_id")
    text = str(form_data(request).get("users") or "")
    try:
        users = assignments.users_named(request.dbsession, text)
    except assignments.UnknownUsers as unknown:
        page = _review_page(request, project, task, text, {"users": [unknown.shown]})
        return {**page, "flash": unknown.shown, "status": "error"}
    assignments.assign(request.dbsession, project, task, users)
    flash = (_("Task assigned to ${users}", mapping={"users": ", ".join(sorted(user.name for user in users))}) if users
             else _("The task is open to every volunteer again"))
    back = request.route_path("project.task_review", short_name=project.short_name, task_id=task.id, slash="")
    return redirect(back, status="success", flash=flash)


@view_config(route_name="project.task_gold", renderer="/projects/task_review.html", request_method="POST", permission=MANAGE)
def task_gold(request):
    """Make the task gold (``gold`` 1) expecting ``gold_answers`` (JSON text), or ordinary again (``gold`` 0).

    Invalid JSON, or gold without an expected answer, shows the form again with its error and saves nothing.
    """
    project = request.context.project
    task = request.context.owned(Task, "task_id")
    data = form_data(request)
    back = request.route_path("project.task_review", short_name=project.short_name, task_id=task.id, slash="")
    if str(data.get("gold", "")) == "0":
        projects.set_gold(task, None)
        return redirect(back, status="success", flash=_("The task is an ordinary task again"))
    text = data.get("gold_answers")
    expected, error = None, None
    if isinstance(text, str):
        try:
            expected = json.loads(text) if text.strip() else None
        except ValueError:
            error = NOT_JSON
    else:
        expected = text  # a JSON client sent the answer itself
    if error is None and expected is None:
        error = projects.NO_GOLD_ANSWERS
    if error is not None:
        shown = text if isinstance(text, str) else json.dumps(text)
        page = _review_page(request, project, task, gold_form=(shown, {"gold_answers": [error]}))
        return {**page, "flash": CORRECT_ERRORS, "status": "error"}
    projects.set_gold(task, expected)
    return redirect(back, status="success", flash=_("The task is a gold task"))


@view_config(route_name="project.taskrun_review", renderer="/projects/task_review.html", request_method="POST", permission=MANAGE)
def taskrun_review(request):
    project = request.context.project
    run = request.context.owned(TaskRun, "taskrun_id")
    data = form_data(request)
    verdict = str(data.get("verdict") or "").strip() or None
    note = str(data.get("note") or "").strip() or None
    back = request.route_path("project.task_review", short_name=project.short_name, task_id=run.task_id, slash="")
    if verdict is not None and verdict not in review.VERDICTS:
        return redirect(back, status="error", flash=_("The verdict is accepted, rejected, or empty to clear it"))
    if note is not None and len(note) > NOTE_LENGTH:
        return redirect(back, status="error", flash=_("The note has at most ${length} characters", mapping={"length": NOTE_LENGTH}))
    review.review(request.dbsession, request.find_service(IAggregators), project, run, verdict, note)
    return redirect(back, status="success", flash=_("Review saved"))


def includeme(config) -> None:
    config.add_route("project.task_review", r"/project/{short_name}/tasks/{task_id:\d+}/review{slash:/?}", factory=ProjectContext)
    for name, pattern in (
        ("project.task_assign", r"/project/{short_name}/tasks/{task_id:\d+}/assign{slash:/?}"),
        ("project.task_gold", r"/project/{short_name}/tasks/{task_id:\d+}/gold{slash:/?}"),
        ("project.taskrun_review", r"/project/{short_name}/taskrun/{taskrun_id:\d+}/review{slash:/?}"),
    ):
        config.add_route(name, pattern, factory=ProjectContext)
        config.add_view(post_only, route_name=name)
