"""Owners review answers: ``/project/<short_name>/tasks/<task_id>/review`` lists a task's task runs
with their verdicts; ``POST /project/<short_name>/taskrun/<id>/review`` (``verdict``: ``accepted``,
``rejected`` or empty to clear; ``note``) records one (``services/review.py``).  For the
project's owners, co-owners and admins, as the other managing views.
"""
from __future__ import annotations

from pyramid.view import view_config

from pybossa_core.models import Task, TaskRun
from pybossa_core.presenters.project import project_page
from pybossa_core.renderers import redirect
from pybossa_core.security import MANAGE
from pybossa_core.services import review
from pybossa_core.views.contexts import ProjectContext
from pybossa_core.views.forms import form_data, post_only, show_form

NOTE_LENGTH = 2000


@view_config(route_name="project.task_review", renderer="/projects/task_review.html", permission=MANAGE)
def task_review(request):
    project = request.context.project
    task = request.context.owned(Task, "task_id")
    return {
        **project_page(request, project, " &middot; Review"),
        "task": {"id": task.id, "info": task.info, "state": task.state, "n_answers": task.n_answers},
        "task_runs": review.task_runs_of(request.dbsession, task),
        "form": show_form(request, {"verdict": None, "note": None}),
    }


@view_config(route_name="project.taskrun_review", renderer="/projects/task_review.html", request_method="POST", permission=MANAGE)
def taskrun_review(request):
    project = request.context.project
    run = request.context.owned(TaskRun, "taskrun_id")
    data = form_data(request)
    verdict = str(data.get("verdict") or "").strip() or None
    note = str(data.get("note") or "").strip() or None
    back = request.route_path("project.task_review", short_name=project.short_name, task_id=run.task_id, slash="")
    if verdict is not None and verdict not in review.VERDICTS:
        return redirect(back, status="error", flash="The verdict is accepted, rejected, or empty to clear it")
    if note is not None and len(note) > NOTE_LENGTH:
        return redirect(back, status="error", flash=f"The note has at most {NOTE_LENGTH} characters")
    review.review(request.dbsession, request.registry, project, run, verdict, note)
    return redirect(back, status="success", flash="Review saved")


def includeme(config) -> None:
    config.add_route("project.task_review", r"/project/{short_name}/tasks/{task_id:\d+}/review{slash:/?}", factory=ProjectContext)
    config.add_route("project.taskrun_review", r"/project/{short_name}/taskrun/{taskrun_id:\d+}/review{slash:/?}", factory=ProjectContext)
    config.add_view(post_only, route_name="project.taskrun_review")
