"""The web routes' contexts: the object a route names, loaded once, carrying its ACL; and the one
forbidden view.

A route under ``/project/{short_name}`` has :class:`ProjectContext` as its factory, the account
routes a user manages (``/account/{name}/update`` ...) :class:`AccountContext`, every other route
the site's root, :class:`SiteRoot` (admins may do anything: the admin pages declare
``security.ADMINISTER``).  Each carries an ACL of ``pybossa_core.security``, so a view declares
what it needs (``permission=security.MANAGE``) and finds its object in ``request.context``.

A refused visitor gets the answers the views gave before they declared permissions
(:func:`refused`):

- a project the visitor may not view (a draft, a private project) is 404, as a missing one;
  one whose password they have not given sends them to its password page;
- an anonymous visitor is sent to sign in: a browser gets a 302 to ``/account/signin?next=...``,
  a JSON client a 302 with PYBOSSA's JSON (``{"next", "status": "not_signed_in"}``); the export
  answers 401 instead, as PYBOSSA does;
- a signed-in visitor gets 403; under ``/api`` the error JSON.

Views with a permission check the CSRF token first (:func:`check_csrf_first`): a forged POST is
refused with 400 whoever sends it, as when each view checked permissions itself.
"""
from __future__ import annotations

from pyramid.decorator import reify
from pyramid.httpexceptions import HTTPForbidden, HTTPFound, HTTPNotFound
from pyramid.viewderivers import INGRESS, csrf_view

from pybossa_core import errors
from pybossa_core.api.callers import web_caller
from pybossa_core.csrf import is_api
from pybossa_core.models import User
from pybossa_core.renderers import redirect_answer
from pybossa_core.security import EXPORT, READ, VIEW, AccountRule, ProjectRule, SiteRule
from pybossa_core.services import project_passwords, projects, users
from pybossa_core.web import sign_in_required


def unlocks(request) -> project_passwords.Unlocks:
    """The cookie of the protected projects the visitor unlocked."""
    settings = request.registry.settings
    return project_passwords.Unlocks(settings["secret"], settings["project.password_cookie_timeout"])


def visitor_key(request) -> str:
    """Whom an unlocking is given to: the signed-in user, or the visitor's anonymised address."""
    caller = web_caller(request)
    return project_passwords.visitor_key(caller.user_id, caller.anon_ip)


class SiteRoot(SiteRule):
    """The context of the routes that name no object: the site, which admins administer."""

    def __init__(self, request):
        """Pyramid's root factories take the request; the site needs nothing of it."""


class ProjectContext(ProjectRule):
    """The project of the route's ``{short_name}``, looked up once per request; 404 when there is none."""

    def __init__(self, request):
        project = projects.find_by_short_name(request.dbsession, request.matchdict["short_name"])
        if project is None:
            raise HTTPNotFound()
        super().__init__(project, lambda found: unlocks(request).unlocked(request.cookies, visitor_key(request), found))
        self.request = request

    def owned(self, model, key: str):
        """The ``model`` row the route names by ``{key}``, if it belongs to the project; else 404."""
        found = self.request.dbsession.get(model, int(self.request.matchdict[key]))
        if found is None or found.project_id != self.project.id:
            raise HTTPNotFound()
        return found

    def refuse(self, request, permission: str):
        if permission in (VIEW, READ, EXPORT):
            if not request.has_permission(VIEW, self):
                return errors.not_found(HTTPNotFound(), request)
            if not request.has_permission(READ, self):
                return HTTPFound(location=request.route_path(
                    "project.password", short_name=self.project.short_name, slash="", _query={"next": request.path_qs}
                ))
        return sign_in_or_forbidden(request, 401 if permission == EXPORT else 302)


class AccountContext(AccountRule):
    """The account of the route's ``{name}``, looked up when first asked for (a view of the route
    without a permission may never ask).  A missing account grants nothing: an anonymous visitor
    is sent to sign in before being told whether it exists, a signed-in one is told 404."""

    def __init__(self, request):
        self.request = request

    @reify
    def user(self) -> User | None:
        return users.find_by_name(self.request.dbsession, self.request.matchdict["name"])

    def refuse(self, request, permission: str):
        if request.identity is not None and self.user is None:
            return errors.not_found(HTTPNotFound(), request)
        return sign_in_or_forbidden(request)


def sign_in_or_forbidden(request, status_code: int = 302):
    """An anonymous visitor is sent to sign in (see :func:`sign_in_required`), anyone else gets 403."""
    if request.identity is None:
        return redirect_answer(request, sign_in_required(request, status_code), getattr(request, "view_template", None))
    return errors.http_error(HTTPForbidden(), request)


def refused(exc, request):
    """A view's permission refused: the context's answer (see the module's text); a 403 a view raised
    itself, or any under ``/api``, is answered as every HTTP error is."""
    if getattr(exc.result, "permission", None) is None or is_api(request):
        return errors.http_error(exc, request)
    refuse = getattr(request.context, "refuse", None)
    if refuse is None:
        return sign_in_or_forbidden(request)
    return refuse(request, exc.result.permission)


def check_csrf_first(view, info):
    """View deriver, outside Pyramid's permission check: for views with a permission, the CSRF check
    (Pyramid's own, which runs again under the permission check), and the view's template kept for
    :func:`refused`'s sign-in answer."""
    if info.options.get("permission") is None or info.exception_only:
        return view
    checked = csrf_view(view, info)
    template = getattr(info.options.get("renderer"), "name", None)

    def csrf_then_permission(context, request):
        request.view_template = template
        return checked(context, request)

    return csrf_then_permission


def includeme(config) -> None:
    """Add the root context, the deriver and the forbidden view."""
    config.set_root_factory(SiteRoot)
    config.add_view_deriver(check_csrf_first, under=INGRESS, over="secured_view")
    config.add_forbidden_view(refused, renderer="json")
