"""``/project/<short_name>/newtask``: the page where volunteers answer a project's tasks.

The page is the site's layout around the project's task presenter (``info.task_presenter``,
HTML and JavaScript written by its owner), which runs in a sandboxed frame
(``views.presenter_frame``) with jQuery and ``pybossa.js``; the presenter's
``pybossa.run(short_name)`` then fetches tasks from the API and saves the answers through the
page (docs/browser.md).  ``/project/<short_name>/task/<id>`` (``views.project.task``)
renders the same template with that task preset.

The JSON of both pages is PYBOSSA's (owner, project, title), where a visitor who does not
own the project never sees its ``info.task_presenter``; the HTML needs it, so
:func:`presenter_page` hands it to the template alone.
"""
from __future__ import annotations

from pyramid.events import BeforeRender, subscriber
from pyramid.view import view_config

from pybossa_core.api.callers import web_caller
from pybossa_core.contexts import ProjectContext
from pybossa_core.i18n import _
from pybossa_core.presenters.project import project_head
from pybossa_core.renderers import redirect
from pybossa_core.security import READ
from pybossa_core.security_headers import PRESENTER_SANDBOX
from pybossa_core.services import contribution, projects, quiz

PRESENTER_TEMPLATE = "/projects/presenter.html"
TUTORIAL_TEMPLATE = "/projects/tutorial.html"
#: The pages that show a presenter frame: the presenter's, the tutorial's, the presenter editor's preview.
FRAMED_TEMPLATES = (PRESENTER_TEMPLATE.lstrip("/"), TUTORIAL_TEMPLATE.lstrip("/"), "projects/task_presenter_editor.html")
ANONYMOUS_WARNING = _("Ooops! You are an anonymous user and will not get any credit for your contributions. Sign in now!")
NO_PRESENTER = _("Sorry, but this project is still a draft and does not have a task presenter.")


def tutorial_cookie(project) -> str:
    """The cookie that remembers a visitor has seen the project's tutorial (PYBOSSA's name)."""
    return f"{project.short_name}tutorial"


@view_config(route_name="project.newtask", renderer=PRESENTER_TEMPLATE, permission=READ)
def newtask(request):
    """The contribution page; the project's tutorial instead, the first time a visitor comes."""
    project = request.context.project
    caller = web_caller(request)
    if not contribution.welcomes(project, caller):
        return redirect(
            request.route_path("account.signin", slash="", _query={"next": request.path_qs}),
            status="warning",
            flash=_("Oops! You have to sign in to participate in <strong>${name}</strong> project", mapping={"name": project.name}),
        )
    context = project_head(request, project, _("Contribute"))
    if request.identity is None:
        context.update(flash=ANONYMOUS_WARNING, status="warning")
    tutorial = (project.info or {}).get("tutorial")
    if tutorial and tutorial_cookie(project) not in request.cookies:
        request.response.set_cookie(tutorial_cookie(project), "seen", path="/", samesite="lax")
        return {**context, "tutorial": tutorial, "template": TUTORIAL_TEMPLATE}
    if not projects.has_presenter(project):
        context.update(flash=NO_PRESENTER, status="error")
    elif quiz.volunteer_status(request.dbsession, project, caller.key) == quiz.FAILED:
        context.update(flash=quiz.REFUSAL, status="info")
    return context


@subscriber(BeforeRender)
def presenter_page(event) -> None:
    """Give the pages with a presenter frame what it needs (never in the JSON)."""
    if event.get("renderer_name") not in FRAMED_TEMPLATES:
        return
    event["presenter_sandbox"] = PRESENTER_SANDBOX
    request = event["request"]
    project = request.context.project
    task_id = request.matchdict.get("task_id")
    if event["renderer_name"] == PRESENTER_TEMPLATE.lstrip("/") and projects.has_presenter(project):
        event["frame_src"] = (
            request.route_path("project.frame_task", short_name=project.short_name, task_id=task_id) if task_id
            else request.route_path("project.frame", short_name=project.short_name, page="newtask")
        )


def includeme(config) -> None:
    """Add the route; the view is found by the scan of ``pybossa_core.views``."""
    config.add_route("project.newtask", "/project/{short_name}/newtask{slash:/?}", factory=ProjectContext)
