"""``/project/category/...``: the projects of a category, the featured projects and the drafts.

Each lists 20 projects a page, ranked as PYBOSSA ranks them unless ``orderby`` names one of
the listed columns (``desc`` reverses it).  Drafts are listed only to signed-in users: their
own, or everyone's to admins.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pyramid.httpexceptions import HTTPBadRequest, HTTPNotFound
from pyramid.view import view_config

from pybossa_core.formatting import Pagination
from pybossa_core.i18n import _
from pybossa_core.interfaces import ICache
from pybossa_core.models import Category
from pybossa_core.services import project_stats, stats
from pybossa_core.web import sign_in_required

PER_PAGE = 20
FEATURED = {"created": None, "description": _("Featured projects"), "id": None, "name": "Featured", "short_name": "featured"}
DRAFT = {"created": None, "description": _("Draft projects"), "id": None, "name": "Draft", "short_name": "draft"}


def _index(request, listed: list[dict[str, Any]], active: dict[str, Any]) -> dict[str, Any]:
    """One page of ``listed`` in the order the query string asks, with the categories to go to."""
    orderby = request.GET.get("orderby") or None
    if orderby is not None and orderby not in project_stats.ORDER_COLUMNS:
        raise HTTPBadRequest(f"orderby must be one of: {', '.join(sorted(project_stats.ORDER_COLUMNS))}")
    page = int(request.matchdict.get("page", 1))
    start = (page - 1) * PER_PAGE
    if page < 1 or (page > 1 and start >= len(listed)):
        raise HTTPNotFound()
    # PYBOSSA reads any non-empty desc as true.
    ordered = project_stats.order(listed, orderby, bool(request.GET.get("desc")))
    session = request.dbsession
    categories = [stats.category_json(category) for category in session.scalars(sa.select(Category).order_by(Category.id))]
    if active is DRAFT:
        categories.insert(0, DRAFT)
    if project_stats.has_featured(session):
        categories.insert(0, FEATURED)
    return {
        "active_cat": active,
        "categories": categories,
        "pagination": Pagination(page=page, per_page=PER_PAGE, total=len(listed)).to_json(),
        "projects": ordered[start:start + PER_PAGE],
        "title": _("Projects"),
    }


@view_config(route_name="category.featured", renderer="/projects/index.html")
@view_config(route_name="category.featured.page", renderer="/projects/index.html")
def featured(request):
    return _index(request, project_stats.featured_projects(request.dbsession, request.find_service(ICache)), FEATURED)


@view_config(route_name="category.draft", renderer="/projects/index.html")
@view_config(route_name="category.draft.page", renderer="/projects/index.html")
def draft(request):
    viewer = request.identity
    if viewer is None:
        return sign_in_required(request)
    listed = project_stats.draft_projects(request.dbsession, None if viewer.admin else viewer)
    return _index(request, listed, DRAFT)


@view_config(route_name="category.projects", renderer="/projects/index.html")
@view_config(route_name="category.projects.page", renderer="/projects/index.html")
def category_projects(request):
    session = request.dbsession
    category = session.scalar(sa.select(Category).where(Category.short_name == request.matchdict["short_name"]))
    if category is None:
        raise HTTPNotFound()
    listed = project_stats.category_projects(session, category, request.find_service(ICache))
    return _index(request, listed, stats.category_json(category))


def includeme(config) -> None:
    """Add the category routes, before the project routes whose short name they would otherwise match."""
    for name in ("featured", "draft"):
        config.add_route(f"category.{name}", f"/project/category/{name}{{slash:/?}}")
        config.add_route(f"category.{name}.page", rf"/project/category/{name}/page/{{page:\d+}}{{slash:/?}}")
    config.add_route("category.projects", "/project/category/{short_name}{slash:/?}")
    config.add_route("category.projects.page", r"/project/category/{short_name}/page/{page:\d+}{slash:/?}")
