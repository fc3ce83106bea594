"""``/admin/...``: announcements, admin rights, categories and featured projects, for admins.

Every view answers the spec's JSON (and, once templates exist, the HTML of the template it
names).  Each declares ``security.ADMINISTER``, which the site's root context grants admins
(``contexts.SiteRoot``): anonymous visitors are sent to sign in; signed-in users who are
not admins get 403.
Every POST and DELETE needs the CSRF token (checked before the view, ``pybossa_core.csrf``),
and so do the GET links that grant or revoke admin rights.
"""
from __future__ import annotations

from html import escape
from typing import Any

from pyramid.httpexceptions import HTTPNotFound
from pyramid.view import view_config

from pybossa_core import csrf
from pybossa_core.i18n import _
from pybossa_core.interfaces import ICache, IJobQueue, IRedisClient, IStatsCalculators
from pybossa_core.models import Announcement, Category, Project, User
from pybossa_core.models.meta import utcnow
from pybossa_core.renderers import redirect
from pybossa_core.schemas import admin as admin_forms
from pybossa_core.schemas import forms
from pybossa_core.security import ADMINISTER
from pybossa_core.services import admin, community, figures, project_stats
from pybossa_core.services.stats import announcement_json, category_json
from pybossa_core.sessions import csrf_token
from pybossa_core.web import CORRECT_ERRORS, form_data, post_only, show_form, submitted

ANNOUNCEMENT_FIELDS = ("title", "body", "media_url", "published")
CATEGORY_FIELDS = ("name", "description")
ONLY_CATEGORY = _(
    "Sorry, it is not possible to delete the only available category. You can modify it,  click the edit button"
)


def _get(request, model, key: str = "id"):
    found = request.dbsession.get(model, int(request.matchdict[key]))
    if found is None:
        raise HTTPNotFound()
    return found


def _failed(context: dict[str, Any]) -> dict[str, Any]:
    return {**context, "flash": CORRECT_ERRORS, "status": "error"}


# -- announcements --------------------------------------------------------------------------


@view_config(route_name="admin.announcement", renderer="admin/announcement.html", permission=ADMINISTER)
def announcement(request):
    return {
        "announcements": [announcement_json(item) for item in admin.announcements(request.dbsession)],
        "csrf": csrf_token(request),
        "title": _("Manage global Announcements"),
    }


def _announcement_form(request, title: str, fields: dict[str, Any], errors=None) -> dict[str, Any]:
    return {"form": show_form(request, fields, errors), "title": title}


def _announcements_page(request) -> str:
    return request.route_path("admin.announcement", slash="")


@view_config(route_name="admin.announcement.new", renderer="admin/new_announcement.html", permission=ADMINISTER)
def new_announcement(request):
    title = _("Write a new post")
    if request.method != "POST":
        return _announcement_form(request, title, {"body": None, "media_url": None, "published": True, "title": None})
    data = form_data(request)
    values, errors = forms.validate(admin_forms.announcement_form(), data)
    if errors:
        return _failed(_announcement_form(request, title, submitted(data, ANNOUNCEMENT_FIELDS), errors))
    admin.create_announcement(request.dbsession, request.identity, values)
    return redirect(_announcements_page(request), status="success", flash=_('<i class="icon-ok"></i> Annnouncement created!'))


@view_config(route_name="admin.announcement.update", renderer="admin/new_announcement.html", permission=ADMINISTER)
def update_announcement(request):
    item = _get(request, Announcement)
    title = _("Edit a post")
    if request.method != "POST":
        fields = {"body": item.body, "media_url": item.media_url, "published": item.published, "title": item.title}
        return _announcement_form(request, title, {**fields, "id": item.id})
    data = form_data(request)
    values, errors = forms.validate(admin_forms.announcement_form(), data)
    if errors:
        return _failed(_announcement_form(request, title, {**submitted(data, ANNOUNCEMENT_FIELDS), "id": item.id}, errors))
    for name, value in values.items():
        setattr(item, name, value)
    return redirect(_announcements_page(request), status="success", flash=_('<i class="icon-ok"></i> Announcement updated!'))


@view_config(route_name="admin.announcement.delete", renderer="admin/announcement.html", request_method="POST", permission=ADMINISTER)
def delete_announcement(request):
    request.dbsession.delete(_get(request, Announcement))
    return redirect(_announcements_page(request), status="success", flash=_('<i class="icon-ok"></i> Announcement deleted!'))


# -- admin rights ---------------------------------------------------------------------------


@view_config(route_name="admin.users", renderer="/admin/users.html", permission=ADMINISTER)
def users(request):
    session, viewer = request.dbsession, request.identity
    context: dict[str, Any] = {
        "form": show_form(request, {"user": None}),
        "found": [],
        "title": _("Manage Admin Users"),
        "users": [admin.user_json(session, user) for user in admin.admins(session)],
    }
    text = (form_data(request).get("user") or "").strip() if request.method == "POST" else ""
    if text:
        found = admin.search_users(session, text, viewer)
        context["form"] = show_form(request, {"user": text})
        context["found"] = [admin.user_json(session, user) for user in found]
        if not found:
            context["flash"] = _("<strong>Ooops!</strong> We didn't find a user matching your query: <strong>${query}</strong>",
                                 mapping={"query": escape(text)})
            context["status"] = "info"
    return context


def _set_admin(request, value: bool):
    csrf.require_token_on_get(request)
    user = _get(request, User, "user_id")
    user.admin = value
    return redirect(request.route_path("admin.users", slash=""))


@view_config(route_name="admin.users.add", renderer="/admin/users.html", request_method=("GET", "POST"), permission=ADMINISTER)
def add_admin(request):
    return _set_admin(request, True)


@view_config(route_name="admin.users.del", renderer="/admin/users.html", request_method=("GET", "POST"), permission=ADMINISTER)
def del_admin(request):
    return _set_admin(request, False)


# -- categories -----------------------------------------------------------------------------


@view_config(route_name="admin.categories", renderer="admin/categories.html", permission=ADMINISTER)
def categories(request):
    session = request.dbsession
    form = show_form(request, {"description": None, "id": None, "name": None})
    flash = None
    if request.method == "POST":
        data = form_data(request)
        values, errors = forms.validate(admin_forms.category_form(), data, session=session)
        form = show_form(request, submitted(data, CATEGORY_FIELDS), errors)
        if errors:
            flash = {"flash": CORRECT_ERRORS, "status": "error"}
        else:
            admin.create_category(session, values)
            flash = {"flash": _("Category added"), "status": "success"}
    listed = admin.categories(session)
    return {
        "categories": [category_json(category) for category in listed],
        "form": form,
        "n_projects_per_category": admin.n_projects_per_category(session, listed),
        "title": _("Categories"),
        **(flash or {}),
    }


def _categories_page(request) -> str:
    return request.route_path("admin.categories", slash="")


@view_config(route_name="admin.categories.del", renderer="admin/del_category.html", permission=ADMINISTER)
def del_category(request):
    session = request.dbsession
    category = _get(request, Category)
    if len(admin.categories(session)) == 1:
        return redirect(_categories_page(request), status="warning", flash=ONLY_CATEGORY)
    if request.method != "POST":
        return {"category": category_json(category), "form": {"csrf": csrf_token(request)}, "title": _("Delete Category")}
    session.delete(category)
    return redirect(_categories_page(request), status="success", flash=_("Category deleted"))


@view_config(route_name="admin.categories.update", renderer="admin/update_category.html", permission=ADMINISTER)
def update_category(request):
    category = _get(request, Category)
    context = {"category": category_json(category), "title": _("Update Category")}
    if request.method != "POST":
        fields = {"description": category.description, "id": category.id, "name": category.name}
        return {**context, "form": show_form(request, fields)}
    data = form_data(request)
    values, errors = forms.validate(admin_forms.category_form(), data, session=request.dbsession, category=category)
    if errors:
        return _failed({**context, "form": show_form(request, {**submitted(data, CATEGORY_FIELDS), "id": category.id}, errors)})
    admin.update_category(category, values)
    return redirect(_categories_page(request), status="success", flash=_("Category updated"))


# -- featured projects ----------------------------------------------------------------------


@view_config(route_name="admin.featured", renderer="/admin/projects.html", request_method="GET", permission=ADMINISTER)
def featured(request):
    session, cache = request.dbsession, request.find_service(ICache)
    listed = admin.categories(session)
    return {
        "categories": [category_json(category) for category in listed],
        "form": {"csrf": csrf_token(request)},
        "projects": {category.short_name: project_stats.category_projects(session, category, cache) for category in listed},
    }


def _error(request, status: int, message: str) -> dict[str, Any]:
    """PYBOSSA's answer when a project cannot be (un-)featured."""
    request.response.status_code = status
    return {"error": message, "status_code": status}


@view_config(route_name="admin.featured.project", renderer="json", request_method=("POST", "DELETE"), permission=ADMINISTER)
def feature(request):
    project_id = int(request.matchdict["project_id"])
    project = request.dbsession.get(Project, project_id)
    if project is None:
        return _error(request, 404, f"Project.id {project_id} not found")
    wanted = request.method == "POST"
    if project.featured == wanted:
        return _error(request, 415, f"Project.id {project_id} {'already featured' if wanted else 'is not featured'}")
    project.featured = wanted
    request.dbsession.flush()
    return admin.project_json(project)


# -- the index and the dashboard ------------------------------------------------------------


@view_config(route_name="admin.index", renderer="/admin/index.html", permission=ADMINISTER)
def index(request):
    return {"title": _("Admin")}


@view_config(route_name="admin.dashboard", renderer="admin/dashboard.html", permission=ADMINISTER)
def dashboard(request):
    """The weekly figures a job computed; a refresh is started when they are a day old or asked for."""
    if figures.calculator(request.find_service(IStatsCalculators), "dashboard") is None:
        return {"title": _("Dashboard"), **figures.not_computed("dashboard"), "template": figures.NOT_COMPUTED_TEMPLATE}
    now = utcnow()
    found = figures.snapshot(request.dbsession, "dashboard")
    refreshing = request.GET.get("refresh") == "1" or figures.is_stale(found, now)
    if refreshing:
        figures.request_refresh(request.find_service(IJobQueue), request.find_service(IRedisClient),
                                request.find_service(IStatsCalculators), "dashboard")
    data = found.data if found is not None else figures.empty_dashboard(now)
    figures.show(request, "dashboard", data)
    return {
        **data,
        "title": _("Dashboard"),
        "update_feed": community.update_feed(request.dbsession),
        "wait": found is None,
        **({"flash": _("Dashboard data will be updated shortly"), "status": "info"} if refreshing else {}),
    }


def includeme(config) -> None:
    """Add the admin routes; their views are found by the scan of ``pybossa_core.views``."""
    config.add_route("admin.index", "/admin{slash:/?}")
    config.add_route("admin.dashboard", "/admin/dashboard{slash:/?}")
    config.add_route("admin.announcement", "/admin/announcement{slash:/?}")
    config.add_route("admin.announcement.new", "/admin/announcement/new{slash:/?}")
    config.add_route("admin.announcement.update", r"/admin/announcement/{id:\d+}/update{slash:/?}")
    config.add_route("admin.announcement.delete", r"/admin/announcement/{id:\d+}/delete{slash:/?}")
    config.add_view(post_only, route_name="admin.announcement.delete")
    config.add_route("admin.users", "/admin/users{slash:/?}")
    config.add_route("admin.users.add", r"/admin/users/add/{user_id:\d+}{slash:/?}")
    config.add_route("admin.users.del", r"/admin/users/del/{user_id:\d+}{slash:/?}")
    config.add_route("admin.categories", "/admin/categories{slash:/?}")
    config.add_route("admin.categories.del", r"/admin/categories/del/{id:\d+}{slash:/?}")
    config.add_route("admin.categories.update", r"/admin/categories/update/{id:\d+}{slash:/?}")
    config.add_route("admin.featured", "/admin/featured{slash:/?}")
    config.add_route("admin.featured.project", r"/admin/featured/{project_id:\d+}{slash:/?}")
