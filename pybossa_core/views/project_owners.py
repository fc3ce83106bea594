"""Who owns a project and who may enter it: co-owners, ownership transfer, invitations and the password page.

PYBOSSA's paths (``/project/<short_name>/coowners``, ``add_coowner/<name>``, ``del_coowner/<name>``,
``transferownership``, ``password``).  Changing owners needs a signed-in owner, co-owner or admin
and is a POST with the CSRF token (the GET links of PYBOSSA's theme changed state); each change
reaches the audit log through the project's ``owner_id`` and ``owners_ids``.  The password page
is for anyone who may see the project; a right password sets the unlocking cookie
(``services/project_passwords.py``) and goes on to ``next``.  A private project is seen by the
users its owners invite (by name or e-mail address, ``/invitations``) or who confirm its
invitation link (``/join/<key>``, revoked by resetting the project's secret key).
"""
from __future__ import annotations

import hmac
from typing import Any

from markupsafe import escape
from pyramid.httpexceptions import HTTPNotFound
from pyramid.view import view_config

from pybossa_core.contexts import ProjectContext, unlocks, visitor_key
from pybossa_core.i18n import _
from pybossa_core.models import Project, User
from pybossa_core.presenters.project import project_page, project_title
from pybossa_core.renderers import redirect
from pybossa_core.schemas import forms
from pybossa_core.schemas import project as project_forms
from pybossa_core.security import MANAGE, VIEW
from pybossa_core.services import project_passwords, projects, users
from pybossa_core.web import CORRECT_ERRORS, form_data, post_only, safe_next, show_form, sign_in_required


def _owner_json(user: User, project: Project) -> dict[str, Any]:
    return {
        "id": user.id, "name": user.name, "fullname": user.fullname,
        "info": {key: value for key, value in (user.info or {}).items() if key in ("avatar", "container")},
        "is_creator": user.id == project.owner_id,
    }


def _coowners_page(request, project: Project, **extra: Any) -> dict[str, Any]:
    owners = projects.owners_of(request.dbsession, project)
    return {
        **project_page(request, project),
        "title": _("Manage Co-owners"),
        "coowners": [_owner_json(user, project) for user in owners],
        "found": None,
        "form": show_form(request, {"user": None}),
        **extra,
    }


@view_config(route_name="project.coowners", renderer="/projects/coowners.html", permission=MANAGE)
def coowners(request):
    """The owners, and a search for a user (by name or e-mail address) to add."""
    project = request.context.project
    if request.method != "POST":
        return _coowners_page(request, project)
    text = str(form_data(request).get("user") or "").strip()
    form = show_form(request, {"user": text})
    user = projects.find_user(request.dbsession, text) if text else None
    if user is None:
        flash = _("<strong>Ooops!</strong> We didn't find a user matching your query: <strong>${query}</strong>",
                  mapping={"query": escape(text)})
        return _coowners_page(request, project, form=form, flash=flash, status="info")
    found = {**_owner_json(user, project), "is_coowner": user.id in (project.owners_ids or [])}
    return _coowners_page(request, project, form=form, found=found)


def _change_for_user(request, change, page: str) -> Any:
    """POST ``.../<user_name>``: apply ``change(project, user)`` and go back to ``page`` with its flash."""
    project = request.context.project
    user = users.find_by_name(request.dbsession, request.matchdict["user_name"])
    if user is None:
        raise HTTPNotFound()
    flash, status = change(project, user)
    return redirect(request.route_path(page, short_name=project.short_name, slash=""), flash=flash, status=status)


@view_config(route_name="project.add_coowner", renderer="/projects/coowners.html", request_method="POST", permission=MANAGE)
def add_coowner(request):
    return _change_for_user(request, projects.add_coowner, "project.coowners")


@view_config(route_name="project.del_coowner", renderer="/projects/coowners.html", request_method="POST", permission=MANAGE)
def del_coowner(request):
    return _change_for_user(request, projects.remove_coowner, "project.coowners")


@view_config(route_name="project.transferownership", renderer="/projects/transferownership.html", permission=MANAGE)
def transfer_ownership(request):
    """Give the project to another user, named by e-mail address; the old owner stays a co-owner."""
    project = request.context.project
    context = {**project_page(request, project, _("Transfer ownership")), "target": ".transfer_ownership"}
    if request.method != "POST":
        return {**context, "form": show_form(request, {"email_addr": None})}
    data = form_data(request)
    values, errors = forms.validate(project_forms.transfer_ownership_form(), data)
    email = str(data.get("email_addr") or "")
    if not errors:
        new_owner = users.find_by_email(request.dbsession, values["email_addr"])
        if new_owner is None:
            errors = {"email_addr": [_("New project owner not found by email")]}
        elif new_owner.id == project.owner_id:
            errors = {"email_addr": [_("This user already owns the project")]}
    if errors:
        return {**context, "form": show_form(request, {"email_addr": email}, errors),
                "flash": CORRECT_ERRORS, "status": "error"}
    projects.transfer_ownership(project, new_owner)
    return redirect(request.route_path("project.details", short_name=project.short_name, slash="/"),
                    flash=_("Project owner updated"), status="info")


# -- invitations to a private project ---------------------------------------------------------


def _invitations_page(request, project: Project, **extra: Any) -> dict[str, Any]:
    key = projects.invitation_key(project, request.registry.settings["secret"])
    return {
        **project_page(request, project, _("Invitations")),
        "invited": [_owner_json(user, project) for user in projects.invited_users(request.dbsession, project)],
        "invitation_link": request.route_url("project.join", short_name=project.short_name, key=key, slash=""),
        "form": show_form(request, {"user": None}),
        **extra,
    }


@view_config(route_name="project.invitations", renderer="/projects/invitations.html", permission=MANAGE)
def invitations(request):
    """Who may see a private project besides its owners; POST ``user`` (a name or e-mail address) invites one."""
    project = request.context.project
    if request.method != "POST":
        return _invitations_page(request, project)
    text = str(form_data(request).get("user") or "").strip()
    user = projects.find_user(request.dbsession, text) if text else None
    if user is None:
        errors = {"user": [_("We didn't find a user matching your query: ${query}", mapping={"query": text})
                           if text else forms.FIELD_REQUIRED]}
        return _invitations_page(request, project, form=show_form(request, {"user": text}, errors),
                                 flash=CORRECT_ERRORS, status="error")
    flash, status = projects.invite(project, user)
    return redirect(request.route_path("project.invitations", short_name=project.short_name, slash=""), flash=flash, status=status)


@view_config(route_name="project.uninvite", renderer="/projects/invitations.html", request_method="POST", permission=MANAGE)
def uninvite(request):
    return _change_for_user(request, projects.uninvite, "project.invitations")


@view_config(route_name="project.join", renderer="/projects/join.html")
def join(request):
    """An invitation link: a signed-in visitor who follows it and confirms (POST) may see the private project."""
    project = request.context.project
    key = projects.invitation_key(project, request.registry.settings["secret"])
    if not hmac.compare_digest(key, request.matchdict["key"]):
        raise HTTPNotFound()
    if request.identity is None:
        return sign_in_required(request)
    if request.method != "POST":
        return {"project": projects.public_project(project), "title": f"Join {project.name}"}
    projects.invite(project, request.identity)
    return redirect(request.route_path("project.details", short_name=project.short_name, slash="/"),
                    flash=_("Welcome to ${name}", mapping={"name": project.name}), status="success")


@view_config(route_name="project.password", renderer="/projects/password.html", permission=VIEW)
def password(request):
    """Ask for a protected project's password; the right one unlocks the project and goes on to ``next``."""
    project = request.context.project
    next_url = safe_next(request.GET.get("next"), request.route_path("project.details", short_name=project.short_name, slash="/"))
    context = {
        "project": projects.public_project(project), "title": project_title(project, _("Password")),
        "next": next_url, "form": show_form(request, {"password": None}),
    }
    if request.method != "POST":
        return context
    values, errors = forms.validate(project_forms.project_password_form(), form_data(request))
    if errors:
        return {**context, "form": show_form(request, {"password": None}, errors),
                "flash": CORRECT_ERRORS, "status": "error"}
    if not project_passwords.is_password(project, values["password"]):
        return {**context, "form": show_form(request, {"password": None}, {"password": ["Sorry, incorrect password"]}),
                "flash": _("Sorry, incorrect password"), "status": "error"}
    unlocks(request).unlock(request.cookies, visitor_key(request), project, request.response)
    return redirect(next_url)


def includeme(config) -> None:
    """Add the routes (before ``project.details``, which would take ``/project/<short_name>``)."""
    for name, path in (
        ("coowners", "coowners"),
        ("transferownership", "transferownership"),
        ("password", "password"),
        ("invitations", "invitations"),
        ("join", "join/{key}"),
    ):
        config.add_route(f"project.{name}", f"/project/{{short_name}}/{path}{{slash:/?}}", factory=ProjectContext)
    for name in ("add_coowner", "del_coowner", "uninvite"):
        config.add_route(f"project.{name}", f"/project/{{short_name}}/{name}/{{user_name}}{{slash:/?}}", factory=ProjectContext)
        config.add_view(post_only, route_name=f"project.{name}")
