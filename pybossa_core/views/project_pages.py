"""``/project/<short_name>/...``: the project's results, statistics, blog and tutorial.

Readable by whoever may see the project (drafts only by their owners and admins), as the
other project pages in ``pybossa_core.views.project``, whose helpers build the shared keys.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pyramid.view import view_config

from pybossa_core.models import Blogpost, User
from pybossa_core.security import owns
from pybossa_core.services import accounts, project_stats, projects
from pybossa_core.views.project import owner_json, project_figures, project_page, project_json, readable_project


@view_config(route_name="project.results", renderer="/projects/results.html")
def results(request):
    project = readable_project(request)
    return {**project_page(request, project), "n_results": projects.count_results(request.dbsession, project)}


@view_config(route_name="project.stats", renderer="/projects/stats.html")
def stats(request):
    """The statistics page; without any answer yet PYBOSSA shows its figures only, on another template."""
    project = readable_project(request)
    context = project_page(request, project, " &middot; Statistics")
    context["pro_features"] = {**context["pro_features"], "better_stats_enabled": owns(request.identity, project)}
    figures = project_stats.cached_stats(request.dbsession, project, request.registry["cache"])
    if figures is None:
        return {**context, "template": "/projects/non_stats.html"}
    return {**context, **figures}


def _blogpost_json(post: Blogpost) -> dict[str, Any]:
    return {
        "id": post.id,
        "created": accounts.format_time(post.created),
        "project_id": post.project_id,
        "user_id": post.user_id,
        "title": post.title,
        "body": post.body,
        "published": post.published,
    }


@view_config(route_name="project.blog", renderer="projects/blog.html")
def blog(request):
    """The project's published blog posts, oldest first; its owners and admins see the drafts too."""
    project = readable_project(request)
    query = sa.select(Blogpost).where(Blogpost.project_id == project.id).order_by(Blogpost.created, Blogpost.id)
    if not owns(request.identity, project):
        query = query.where(Blogpost.published.is_(True))
    posts = request.dbsession.scalars(query)
    return {**project_page(request, project, " &middot; Blog"), "blogposts": [_blogpost_json(post) for post in posts]}


@view_config(route_name="project.tutorial", renderer="/projects/tutorial.html")
def tutorial(request):
    """The project's tutorial (``info.tutorial``), beside the project and its owner."""
    project = readable_project(request)
    session = request.dbsession
    return {
        "owner": owner_json(request, session.get(User, project.owner_id)),
        "project": project_json(request, project, project_figures(request, project)),
        "title": f"Project: {project.name}",
        "tutorial": (project.info or {}).get("tutorial"),
    }


def includeme(config) -> None:
    """Add the routes; their views are found by the scan of ``pybossa_core.views``."""
    for name in ("results", "stats", "blog", "tutorial"):
        config.add_route(f"project.{name}", f"/project/{{short_name}}/{name}{{slash:/?}}")
