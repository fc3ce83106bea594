"""Who is contributing: the signed-in user, an app's external user (with the project's JWT), or a visitor."""
from __future__ import annotations

import sqlalchemy as sa

from pybossa_core.api.base import ApiCall
from pybossa_core.errors import Forbidden, PybossaError
from pybossa_core.models import Project
from pybossa_core.security import UNLOCKED, ProjectRule, is_admin, owned_projects, user_permits
from pybossa_core.services import project_passwords
from pybossa_core.services.contribution import Caller
from pybossa_core.services.privacy import anonymize_ip
from pybossa_core.services.tokens import check_project_token


def web_caller(request) -> Caller:
    """Who contributes through the web pages: the signed-in user, or the visitor by anonymised address."""
    user = request.identity
    if user is not None:
        return Caller(user_id=user.id)
    return Caller(anon_ip=anonymize_ip(request.client_ip, request.registry.settings["secret"]))


def caller_for(call: ApiCall, project: Project | None, external_uid: str | None) -> Caller:
    """Return the caller of ``call`` in ``project``; an ``external_uid`` needs the project's Bearer JWT."""
    if call.user is not None:
        return Caller(user_id=call.user.id)
    if external_uid:
        check_project_token(call.authorization, project)
        return Caller(external_uid=external_uid)
    return Caller(anon_ip=anonymize_ip(call.client_ip, call.settings["secret"]))


# -- projects protected by a password ------------------------------------------------------


def _unlocks(call: ApiCall) -> project_passwords.Unlocks:
    return project_passwords.Unlocks(call.settings["secret"], call.settings["project.password_cookie_timeout"])


def _visitor(call: ApiCall) -> str:
    user_id = call.user.id if call.user is not None else None
    return project_passwords.visitor_key(user_id, anonymize_ip(call.client_ip, call.settings["secret"]))


def _has_project_token(call: ApiCall, project: Project) -> bool:
    try:
        check_project_token(call.authorization, project)
    except PybossaError:
        return False
    return True


def require_unlocked(call: ApiCall, project: Project) -> None:
    """Refuse ``project``'s tasks to a caller who has not given its password (``security.UNLOCKED``:
    owners are never asked; the visitor's unlocking cookie, or the project's app token, opens it)."""
    def unlocked(found: Project) -> bool:
        return _unlocks(call).unlocked(call.cookies, _visitor(call), found) or _has_project_token(call, found)

    if user_permits(call.user, ProjectRule(project, unlocked), UNLOCKED):
        return
    raise Forbidden(f"This project is protected by a password: give it at /project/{project.short_name}/password")


def closed_projects(call: ApiCall) -> sa.Select | None:
    """The ids of the protected projects whose tasks ``call`` may not list; None when it may list them all."""
    if is_admin(call.user):
        return None
    opened = owned_projects(call.session, call.user) if call.user is not None else None
    return _unlocks(call).closed_projects(call.session, call.cookies, _visitor(call), opened)
