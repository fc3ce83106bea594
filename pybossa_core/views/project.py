"""``/project/...``: creating a project, its pages, its settings, its tasks and publishing it.

Every view answers the spec's JSON (and, once templates exist, the HTML of the template it
names).  Each finds its project in ``request.context`` (``contexts.ProjectContext``) and
declares its permission: reading (drafts only for owners and admins, as the API: anyone else
gets 404) or managing (settings, update, delete, import, the presenter editor, publishing:
anonymous visitors are sent to sign in, others get 403).
"""
from __future__ import annotations

import datetime
import time
from typing import Any

from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound
from pyramid.view import view_config

from pybossa_core.contexts import ProjectContext
from pybossa_core.events import ProjectCreated, emit_after_commit
from pybossa_core.formatting import Pagination
from pybossa_core.i18n import DOMAIN, _
from pybossa_core.interfaces import IAggregators, IImporters, IOutboundPolicy, IPresenters, IUploads
from pybossa_core.models import Category, Project, Task
from pybossa_core.models.meta import utcnow
from pybossa_core.plugin_api import ImportFailed
from pybossa_core.plugin_pages import importer_page
from pybossa_core.plugins import not_installed
from pybossa_core.renderers import redirect
from pybossa_core.schemas import forms
from pybossa_core.schemas import project as project_forms
from pybossa_core.security import DELETE, MANAGE, READ, needs_password
from pybossa_core.api.callers import web_caller
from pybossa_core.db import outside_transaction
from pybossa_core.presenters.project import project_head, project_page
from pybossa_core.services import aggregation, assignments, avatars, contribution, imports, project_passwords, projects
from pybossa_core.sessions import csrf_token
from pybossa_core.web import CORRECT_ERRORS, form_data, post_only, show_form, sign_in_required, submitted

NEW_FIELDS = ("name", "short_name", "description", "long_description")
UPDATE_FIELDS = (
    *NEW_FIELDS, "allow_anonymous_contributors", "category_id", "webhook", "private", "allow_taskrun_edit", "protect",
    "embargo_until",
)
PER_PAGE = 10
ASSIGNED_ELSEWHERE = _("This task is assigned to other volunteers.")
IMPORTING = _("Importing tasks, this may take a while, wait...")
#: Seconds an import's claim outlives its time limit before it counts as left by a dead process.
IMPORT_GRACE = 60
NO_IMPORTER = _(
    "No importer is installed on this site: its administrator needs to install one (such as "
    "pybossa-importer-csv) and restart the site."
)
NO_PRESENTER = _(
    "No task presenter template is installed on this site: write your presenter below, or ask the site's "
    "administrator to install a presenter plugin (such as pybossa-presenters-basic) to start from."
)
EDITOR_NOTE = _(
    "Your code will be <em>automagically</em> rendered in                       the "
    "<strong>preview section</strong>. Click in the                       preview button!"
)
THUMBNAIL_NEEDED = _("You must provide a file to change the avatar")
#: The crop of an uploaded thumbnail: PYBOSSA's offsets (x1, y1) and size (x2, y2).
CROP_FIELDS = ("x1", "y1", "x2", "y2")
#: The largest thumbnail kept, in pixels; larger crops are shrunk to fit.
THUMBNAIL_SIZE = (512, 512)
#: The placeholder a presenter's template keeps for the project's short name.
SHORT_NAME_PLACEHOLDER = "{{ project.short_name }}"


def _failed(context: dict, flash: str = CORRECT_ERRORS) -> dict:
    return {**context, "flash": flash, "status": "error"}


# -- creating a project ---------------------------------------------------------------------


@view_config(route_name="project.new", renderer="projects/new.html")
def new(request):
    viewer = request.identity
    if viewer is None:
        return sign_in_required(request)
    context = {"title": _("Create a Project"), "errors": False, "form": show_form(request, dict.fromkeys(NEW_FIELDS))}
    if request.method != "POST":
        return context
    data = form_data(request)
    values, errors = forms.validate(project_forms.new_project_form(), data, session=request.dbsession)
    if errors:
        context["form"] = show_form(request, submitted(data, NEW_FIELDS), errors)
        return _failed({**context, "errors": True})
    project = projects.create_project(request.dbsession, viewer, values)
    emit_after_commit(request, ProjectCreated(project_id=project.id, owner_id=project.owner_id))
    return redirect(
        request.route_path("project.update", short_name=project.short_name, slash=""),
        status="success",
        flash=_('<i class="icon-ok"></i> Project created!'),
    )


# -- the project's pages --------------------------------------------------------------------


@view_config(route_name="project.details", renderer="/projects/project.html", permission=READ)
def details(request):
    return project_page(request, request.context.project)


@view_config(route_name="project.settings", renderer="/projects/settings.html", permission=MANAGE)
def settings(request):
    project = request.context.project
    return project_page(request, project, _("Settings"))


@view_config(route_name="project.tasks", renderer="/projects/tasks.html", permission=READ)
def tasks(request):
    project = request.context.project
    context = project_page(request, project)
    return {**context, "autoimporter_enabled": context["pro_features"]["autoimporter_enabled"]}


@view_config(route_name="project.tasks_browse", renderer="/projects/tasks_browse.html", permission=READ)
@view_config(route_name="project.tasks_browse.page", renderer="/projects/tasks_browse.html", permission=READ)
def tasks_browse(request):
    project = request.context.project
    page = int(request.matchdict.get("page", 1))
    context = project_page(request, project, _("Tasks"))
    # Which tasks are gold is for owners and admins only: volunteers would know them.
    show_gold = bool(request.has_permission(MANAGE, request.context))
    task_rows = projects.tasks_page(request.dbsession, project, page, PER_PAGE, show_gold=show_gold)
    if not task_rows and page != 1:
        raise HTTPNotFound()
    pagination = Pagination(page=page, per_page=PER_PAGE, total=context["n_tasks"])
    return {**context, "tasks": task_rows, "pagination": pagination.to_json(), "show_gold": show_gold}


@view_config(route_name="project.task", renderer="/projects/presenter.html", permission=READ)
def task(request):
    """The page where a volunteer answers one task; the task is handed to them as newtask would."""
    project = request.context.project
    found = request.context.owned(Task, "task_id")
    caller = web_caller(request)

    def this_task() -> list[Task]:
        if not request.has_permission(MANAGE, request.context) and assignments.is_assigned_elsewhere(
            request.dbsession, project, found.id, caller.user_id
        ):
            refusal = HTTPForbidden()
            refusal.explanation = ASSIGNED_ELSEWHERE
            raise refusal
        return [found]

    if contribution.hand_out_tasks(request.dbsession, project, caller, utcnow(), this_task) is None:
        return redirect(
            request.route_path("account.signin", slash="", _query={"next": request.path_qs}),
            status="warning",
            flash=_("Oops! You have to sign in to participate in <strong>${name}</strong> project", mapping={"name": project.name}),
        )
    return project_head(request, project, _("Contribute"))


# -- changing a project ---------------------------------------------------------------------


def _update_context(request, project: Project, form=None, upload=None) -> dict[str, Any]:
    """The update page's two forms; each shows what was sent to it, or the project."""
    fields, errors = form or (
        {
            "name": project.name, "short_name": project.short_name, "description": project.description,
            "long_description": project.long_description,
            "allow_anonymous_contributors": project.allow_anonymous_contributors,
            "category_id": project.category_id, "webhook": project.webhook,
            "private": project.private, "protect": needs_password(project),
            "allow_taskrun_edit": bool((project.info or {}).get("allow_taskrun_edit")),
            "embargo_until": project.embargo_until.date().isoformat() if project.embargo_until else None,
        },
        {},
    )
    upload_fields, upload_errors = upload or ({"avatar": None, **dict.fromkeys(CROP_FIELDS, 0)}, {})
    return {
        **project_page(request, project, _("Update")),
        # The password is never shown back, not even the one just refused.
        "form": show_form(request, {**fields, "id": project.id, "password": None}, errors),
        "upload_form": show_form(request, {**upload_fields, "id": project.id}, upload_errors),
    }


@view_config(route_name="project.update", renderer="/projects/update.html", permission=MANAGE)
def update(request):
    project = request.context.project
    if request.method != "POST":
        return _update_context(request, project)
    data = form_data(request)
    if data.get("btn") == "Upload":
        return _upload_thumbnail(request, project, data)
    session = request.dbsession
    values, errors = forms.validate(
        project_forms.update_project_form(), data, session=session, project=project, settings=request.registry.settings
    )
    if not errors and values["category_id"] is not None and session.get(Category, values["category_id"]) is None:
        errors = {"category_id": [_("Not a valid choice")]}
    if not errors and values["protect"] and not values["password"] and not needs_password(project):
        errors = {"password": [project_forms.PROJECT_PASSWORD_NEEDED]}
    if errors:
        return _failed(_update_context(request, project, (submitted(data, UPDATE_FIELDS), errors)))
    if values["category_id"] is None:
        values["category_id"] = project.category_id
    embargo = values.pop("embargo_until")
    project.embargo_until = datetime.datetime.combine(embargo, datetime.time()) if embargo else None
    allow_edit = values.pop("allow_taskrun_edit")
    if allow_edit != bool((project.info or {}).get("allow_taskrun_edit")):
        project.info = {**(project.info or {}), "allow_taskrun_edit": allow_edit}
    protect, password = values.pop("protect"), values.pop("password")
    if not protect:
        project_passwords.set_password(project, None)
    elif password:
        project_passwords.set_password(project, password)
    for name, value in values.items():
        setattr(project, name, value)
    return redirect(
        request.route_path("project.details", short_name=project.short_name, slash="/"),
        status="success",
        flash=_("Project updated!"),
    )


def _upload_thumbnail(request, project: Project, data: dict[str, Any]) -> dict[str, Any]:
    """The update page's Upload form: the picture in ``avatar``, cropped to ``x1, y1, x2, y2``."""
    upload = request.POST.get("avatar")
    values, errors = forms.validate(forms.avatar_form(), data)
    shown = {"avatar": getattr(upload, "filename", None), **submitted(data, CROP_FIELDS, dict.fromkeys(CROP_FIELDS, 0))}
    if not errors and (upload is None or isinstance(upload, (str, bytes))):
        errors = {"avatar": [THUMBNAIL_NEEDED]}
    if errors:
        return _failed(_update_context(request, project, upload=(shown, errors)), THUMBNAIL_NEEDED)
    info = dict(project.info or {})
    # PYBOSSA keeps a thumbnail in the folder of whoever uploaded it.
    container = f"user_{request.identity.id}"
    try:
        stored = avatars.store_picture(
            request.find_service(IUploads), upload.file,
            box=tuple(values[name] for name in CROP_FIELDS), container=container,
            file_name=f"project_{project.id}_thumbnail_{int(time.time())}.png",
            previous=(info["container"], info["thumbnail"]) if info.get("thumbnail") and info.get("container") else None,
            fit=THUMBNAIL_SIZE,
        )
    except avatars.AvatarError as error:
        return _failed(_update_context(request, project, upload=(shown, {"avatar": [error.shown]})), error.shown)
    finally:
        upload.file.close()
    info.update(thumbnail=stored.file_name, container=container, thumbnail_url=stored.url)
    project.info = info
    return redirect(
        request.route_path("project.update", short_name=project.short_name, slash=""),
        status="success",
        flash=_("Your project thumbnail has been updated! It may take some minutes to refresh..."),
    )


@view_config(route_name="project.resetsecretkey", renderer="/projects/update.html", request_method="POST", permission=MANAGE)
def reset_secret_key(request):
    project = request.context.project
    projects.reset_secret_key(project)
    return redirect(
        request.route_path("project.update", short_name=project.short_name, slash=""),
        status="success",
        flash=_("New secret key generated"),
    )


@view_config(route_name="project.delete", renderer="/projects/delete.html", permission=DELETE)
def delete(request):
    project = request.context.project
    if request.method != "POST":
        return {**project_page(request, project, _("Delete")), "csrf": csrf_token(request)}
    projects.delete_project(request.dbsession, project)
    return redirect(
        request.route_path("account.profile", name=request.identity.name, slash="/"),
        status="success",
        flash=_("Project deleted!"),
    )


@view_config(route_name="project.publish", renderer="/projects/publish.html", permission=MANAGE)
def publish(request):
    project = request.context.project
    context = {**project_page(request, project, _("Publish")), "csrf": csrf_token(request)}
    if request.method != "POST":
        return context
    try:
        projects.publish(request.dbsession, project)
    except projects.CannotPublish as refusal:
        request.response.status_code = 400
        return _failed(context, str(refusal))
    return redirect(
        request.route_path("project.details", short_name=project.short_name, slash="/"),
        status="success",
        flash=_("Project published! Volunteers will now be able to help you!"),
    )


# -- importing tasks ------------------------------------------------------------------------


def _importer_form(request, importer, data=None, errors=None) -> dict[str, Any]:
    names = tuple(node.name for node in importer.schema_factory().children)
    return show_form(request, {**submitted(data or {}, names), "type": importer.name}, errors)


def _run_import(request, project: Project, importer, values, timeout: float, max_per_user: int) -> int:
    """Claim the import, download its source with no transaction open, then store its tasks."""
    claim = imports.claim(request.dbsession, project.id, request.identity.id, max_per_user=max_per_user,
                          lasts=timeout + IMPORT_GRACE)
    try:
        with outside_transaction(request):
            imported = projects.read_import(importer, values, request.find_service(IOutboundPolicy).until(timeout))
    finally:
        imports.release(request.dbsession, claim)
    return projects.store_imported(request.dbsession, project, imported)


@view_config(route_name="project.import_task", renderer="/projects/task_import_options.html", permission=MANAGE)
def import_task(request):
    project = request.context.project
    importers = request.find_service(IImporters)
    data = form_data(request) if request.method == "POST" else {}
    kind = data.get("type") or request.GET.get("type")
    context = {
        **project_page(request, project, _("Import Tasks")),
        "available_importers": [f"projects/tasks/{name}.html" for name in sorted(importers)],
        "form": None,
        "loading_text": IMPORTING,
        "target": "project.import_task",
        "task_tmpls": [],
    }
    if kind is None:
        if request.method == "POST":
            return _failed(context, _("Choose an importer: type is missing."))
        if not importers:
            return {**context, "flash": NO_IMPORTER, "status": "warning"}
        return context
    importer = importers.get(kind) if isinstance(kind, str) else None
    if importer is None:
        missing = HTTPNotFound()
        # Said on the page and in the JSON: a plugin removed from the site is not a broken link.
        missing.explanation = not_installed("importers", kind, f"pybossa-importer-{kind}")
        raise missing
    # PYBOSSA's name; plugin_pages draws it with the plugin's own template or the generic form.
    context["template"] = "/" + importer_page(importer.name)
    context["form"] = _importer_form(request, importer)
    if request.method != "POST":
        return context
    values, errors = forms.validate(importer.schema_factory(), data)
    if errors:
        context["form"] = _importer_form(request, importer, data, errors)
        return _failed(context)
    settings = request.registry.settings
    try:
        count = _run_import(request, project, importer, values, settings["imports.timeout"], settings["imports.max_per_user"])
    except ImportFailed as failure:
        context["form"] = _importer_form(request, importer, data, {"form": [failure.shown]})
        return _failed(context, failure.shown)
    if count == 0:
        flash, status = _("It looks like there were no new records to import"), "warning"
    else:
        flash = request.localizer.pluralize("1 new task was imported successfully", "${count} new tasks were imported successfully",
                                            count, domain=DOMAIN, mapping={"count": count})
        status = "success"
    return redirect(request.route_path("project.tasks", short_name=project.short_name, slash="/"), status=status, flash=flash)


# -- the tasks' redundancy ------------------------------------------------------------------


@view_config(route_name="project.task_n_answers", renderer="/projects/task_n_answers.html", permission=MANAGE)
def task_n_answers(request):
    """How many answers every task needs: the form, and setting it for all the project's tasks."""
    project = request.context.project
    context = project_page(request, project, _("Redundancy"))
    if request.method != "POST":
        return {**context, "form": show_form(request, {"n_answers": None})}
    data = form_data(request)
    values, errors = forms.validate(project_forms.task_redundancy_form(), data)
    if errors:
        return _failed({**context, "form": show_form(request, {"n_answers": data.get("n_answers")}, errors)})
    for task_id in projects.set_redundancy(request.dbsession, project, values["n_answers"]):
        emit_after_commit(request, aggregation.complete_task(
            request.dbsession, request.find_service(IAggregators), project, task_id
        ))
    return redirect(
        request.route_path("project.tasks", short_name=project.short_name, slash="/"),
        status="success",
        flash=_("Redundancy of Tasks updated!"),
    )


# -- the task presenter ---------------------------------------------------------------------


@view_config(route_name="project.task_presenter_editor", renderer="projects/task_presenter_editor.html", permission=MANAGE)
def task_presenter_editor(request):
    project = request.context.project
    presenters = request.find_service(IPresenters)
    context = project_page(request, project, _("Task Presenter Editor"))
    if request.method == "POST":
        data = form_data(request)
        values, errors = forms.validate(project_forms.task_presenter_form(projects.PRESENTER_ENVIRONMENTS), data)
        if errors:
            shown = {"editor": data.get("editor"), "environment": data.get("environment"), "id": project.id}
            return _failed({**context, "form": show_form(request, shown, errors), "errors": True})
        projects.set_task_presenter(project, values["editor"], values["environment"])
        return redirect(
            request.route_path("project.tasks", short_name=project.short_name, slash="/"),
            status="success",
            flash=_('<i class="icon-ok"></i> Task presenter added!'),
        )
    chosen = request.GET.get("template")
    flash = EDITOR_NOTE
    if chosen is None and not projects.has_presenter(project):
        if presenters:
            return {
                **context,
                "presenters": [f"projects/presenters/{name}.html" for name in sorted(presenters)],
                "flash": _tasks_note(request, project),
                "status": "info",
                "template": "projects/task_presenter_options.html",
            }
        # Nothing to start from: the owner writes theirs, told what the site lacks.
        editor, flash = "", NO_PRESENTER
    elif chosen is not None:
        presenter = presenters.get(chosen)
        if presenter is None:
            missing = HTTPNotFound()
            missing.explanation = not_installed("presenters", chosen)
            raise missing
        editor = presenter.template.replace(SHORT_NAME_PLACEHOLDER, project.short_name)
    else:
        editor = project.info["task_presenter"]
    return {
        **context,
        "errors": False,
        "form": show_form(request, {"editor": editor, "environment": projects.chosen_environment(project),
                                    "id": project.id}),
        "flash": flash,
        "status": "info",
    }


def _tasks_note(request, project: Project) -> str:
    """Where the tasks of a project starting its presenter come from: PYBOSSA's note naming the
    CSV importer, the site's importers without it, or what to install without any."""
    importers = request.find_service(IImporters)
    tasks_import = request.route_path("project.import_task", short_name=project.short_name, slash="")
    if "csv" in importers:
        return _('<strong>Note</strong> You will need to upload the tasks using the<a href="${url}"> CSV importer</a> '
                 "or download the project bundle and run the <strong>createTasks.py</strong> script in your computer",
                 mapping={"url": tasks_import})
    if importers:
        return _("<strong>Note</strong> You will need to upload the tasks using one of the site's "
                 '<a href="${url}">importers</a> or download the project bundle and run the '
                 "<strong>createTasks.py</strong> script in your computer", mapping={"url": tasks_import})
    return _("<strong>Note</strong> ${no_importer} Meanwhile, create the tasks with the API (<code>/api/task</code>).",
             mapping={"no_importer": request.localizer.translate(NO_IMPORTER)})


def includeme(config) -> None:
    """Add the project routes, each with the project as its context; their views are found by the
    scan of ``pybossa_core.views``."""
    config.add_route("project.new", "/project/new{slash:/?}")
    for name, path in (
        ("settings", "settings"),
        ("update", "update"),
        ("delete", "delete"),
        ("resetsecretkey", "resetsecretkey"),
        ("publish", "publish"),
        ("tasks", "tasks"),
        ("tasks_browse", "tasks/browse"),
        ("import_task", "tasks/import"),
        ("task_n_answers", "tasks/redundancy"),
        ("task_presenter_editor", "tasks/taskpresentereditor"),
    ):
        config.add_route(f"project.{name}", f"/project/{{short_name}}/{path}{{slash:/?}}", factory=ProjectContext)
    config.add_view(post_only, route_name="project.resetsecretkey")
    config.add_route("project.tasks_browse.page", r"/project/{short_name}/tasks/browse/{page:\d+}{slash:/?}", factory=ProjectContext)
    config.add_route("project.task", r"/project/{short_name}/task/{task_id:\d+}{slash:/?}", factory=ProjectContext)
    # The task page hands the task out: on SQLite it takes the write lock from its first statement.
    config.mark_writing_route("project.task")
    config.add_route("project.details", "/project/{short_name}{slash:/?}", factory=ProjectContext)
