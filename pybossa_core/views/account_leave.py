"""Leaving the site: ``/account/<name>/export`` (all of a user's data as a zip) and
``/account/<name>/delete`` (the erasure of the account, ``services/erasure.py``).

Both are for the user and for admins.  Deleting asks for the password of whoever is signed in
(a user without one, signed in through a provider, types the account's name instead) and what
becomes of the user's projects: ``transfer`` to a co-owner, or ``delete``.
"""
from __future__ import annotations

from typing import Any

from pyramid.response import Response
from pyramid.view import view_config

from pybossa_core.contexts import AccountContext
from pybossa_core.i18n import _
from pybossa_core.models import User
from pybossa_core.reauth import password_refusal, throttled
from pybossa_core.renderers import redirect
from pybossa_core.security import MANAGE_ACCOUNT
from pybossa_core.services import erasure
from pybossa_core.web import CORRECT_ERRORS, form_data, show_form

WRONG_CONFIRMATION = _("That is not your password")
WRONG_NAME = _("Type the account's name to confirm")


@view_config(route_name="account.export_data", renderer="json", permission=MANAGE_ACCOUNT)
def export_data(request):
    user = request.context.user
    response = Response(erasure.export_user_data(request.dbsession, user), content_type="application/zip")
    response.content_disposition = f'attachment; filename="{user.name}_data.zip"'
    return response


def _delete_page(request, user: User, form: dict[str, Any] | None = None, errors: dict | None = None) -> dict[str, Any]:
    owned = erasure.owned_projects(request.dbsession, user)
    return {
        "title": _("Delete your account") if user.id == request.identity.id else f"Delete the account of {user.name}",
        "user": {"name": user.name, "fullname": user.fullname},
        "projects": [{"short_name": project.short_name, "name": project.name,
                      "coowners": len([i for i in project.owners_ids or [] if i != user.id])} for project in owned],
        "password_needed": request.identity.passwd_hash is not None,
        "form": show_form(request, form or {"password": None, "projects": erasure.TRANSFER, "confirm": None}, errors),
    }


@view_config(route_name="account.delete", renderer="/account/delete.html", permission=MANAGE_ACCOUNT)
def delete(request):
    user = request.context.user
    if request.method != "POST":
        return _delete_page(request, user)
    data = form_data(request)
    choice = str(data.get("projects") or "")
    shown = {"password": None, "projects": choice, "confirm": data.get("confirm")}
    viewer = request.identity
    if viewer.passwd_hash is not None:
        # Counted by the sign-in throttle: a stolen session must not become a way to guess the password.
        wrong = password_refusal(request, viewer, data.get("password"), WRONG_CONFIRMATION)
        if wrong is not None and wrong.retry_after:
            page = _delete_page(request, user, shown, {"password": [wrong.message]})
            return throttled(request, page, "password", wrong.retry_after, wrong.message)
        refusal = {"password": [WRONG_CONFIRMATION]} if wrong is not None else None
    else:
        refusal = {"confirm": [WRONG_NAME]} if str(data.get("confirm") or "") != user.name else None
    if refusal is not None:
        return {**_delete_page(request, user, shown, refusal), "flash": CORRECT_ERRORS, "status": "error"}
    name, erasing_self = user.name, user.id == viewer.id
    try:
        erasure.erase_user(request.dbsession, user, choice)
    except erasure.CannotErase as refusal:
        return {**_delete_page(request, user, shown, {"projects": [refusal.shown]}), "flash": refusal.shown, "status": "error"}
    if erasing_self:
        return redirect("/", status="success", flash=_("Your account has been deleted. Thank you for your help."))
    return redirect(request.route_path("admin.users", slash=""), status="success", flash=_("The account of ${name} has been deleted.", mapping={"name": name}))


def includeme(config) -> None:
    config.add_route("account.export_data", "/account/{name}/export{slash:/?}", factory=AccountContext)
    config.add_route("account.delete", "/account/{name}/delete{slash:/?}", factory=AccountContext)
