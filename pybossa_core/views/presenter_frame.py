"""The sandboxed frame a project's presenter (or tutorial) runs in, inside the contribution page.

A presenter is HTML and JavaScript written by the project's owner.  It runs in an
``<iframe sandbox>`` of the contribution page, whose document comes from these routes with a
``Content-Security-Policy: sandbox`` of its own: the browser gives the document an opaque
origin however it is opened (even as a page of its own), so the owner's code can read nothing
of the site with the volunteer's session, and the document holds no CSRF token or key.  The
page around it sends the presenter's API requests (static/js/presenter-host.js) and decides
which carry the session; docs/browser.md says what a presenter can and cannot do.

The frame draws the presenter in the environment it was written for (``projects.presenter_environment``):
``classic`` is the old PYBOSSA theme's (jQuery 2, Bootstrap 3, Font Awesome 4, pybossa-player),
``modern`` is the site's own style and jQuery 3.  Both have pybossa.js and the hidden
``#PYBOSSA_USER_LOCALE`` element PYBOSSA's documentation promises.
"""
from __future__ import annotations

from pyramid.httpexceptions import HTTPForbidden
from pyramid.renderers import render_to_response
from pyramid.view import view_config

from pybossa_core.contexts import ProjectContext
from pybossa_core.models import Task
from pybossa_core.security import MANAGE, READ
from pybossa_core.security_headers import PRESENTER_SANDBOX
from pybossa_core.services import projects

FRAME_TEMPLATE = "projects/presenter_frame.html"

def frame_response(request, project, content: str, page_path: str, *, preset_task_id: int | None = None,
                   environment: str | None = None):
    """The frame's document (HTML whatever the caller accepts: it has no JSON form), sandboxed
    wherever it is shown and framable only by the site's own pages.  Its links resolve against
    ``page_path``, the page around it, as they did when presenters were part of that page.
    ``environment`` is the owner's choice ("" for the presenter's own), by default the saved one."""
    locales = request.registry.settings["account.locales"]
    locale = request.identity.locale if request.identity is not None else None
    response = render_to_response(FRAME_TEMPLATE, {
        "short_name": project.short_name,
        "page_path": page_path,
        "content": content,
        "environment": projects.presenter_environment(
            projects.chosen_environment(project) if environment is None else environment, content),
        "locale": locale if locale in locales else locales[0],
        "preset_task_id": preset_task_id,
    }, request=request)
    response.headers["Content-Security-Policy"] = f"sandbox {PRESENTER_SANDBOX}; frame-ancestors 'self'"
    response.headers["Cache-Control"] = "no-store"
    return response


@view_config(route_name="project.frame", request_method="GET", permission=READ)
def frame(request):
    """The project's presenter (``newtask``) or tutorial (``tutorial``), alone in its frame."""
    project = request.context.project
    page = request.matchdict["page"]
    key = "tutorial" if page == "tutorial" else "task_presenter"
    return frame_response(request, project, (project.info or {}).get(key) or "", f"/project/{project.short_name}/{page}")


@view_config(route_name="project.frame_task", request_method="GET", permission=READ)
def frame_task(request):
    """The presenter, starting with the task of ``/project/<short_name>/task/<id>``."""
    project = request.context.project
    task = request.context.owned(Task, "task_id")
    return frame_response(request, project, (project.info or {}).get("task_presenter") or "",
                          f"/project/{project.short_name}/task/{task.id}", preset_task_id=task.id)


@view_config(route_name="project.frame", request_method="POST", match_param="page=preview", permission=READ)
def preview(request):
    """The presenter editor's preview: the posted, unsaved presenter in the environment posted with
    it, in the same sandbox (owners only; 403 to other readers, who are not sent to sign in)."""
    project = request.context.project
    if not request.has_permission(MANAGE):
        raise HTTPForbidden()
    return frame_response(request, project, request.POST.get("editor", ""), f"/project/{project.short_name}/newtask",
                          environment=request.POST.get("environment", ""))


def includeme(config) -> None:
    """Add the routes; the views are found by the scan of ``pybossa_core.views``."""
    config.add_route("project.frame", "/project/{short_name}/frame/{page:newtask|tutorial|preview}", factory=ProjectContext)
    config.add_route("project.frame_task", r"/project/{short_name}/frame/task/{task_id:\d+}", factory=ProjectContext)
