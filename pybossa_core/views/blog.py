"""``/project/<short_name>/blog`` and its posts: reading them, and their owners writing them.

Whoever may see the project reads its published posts (drafts of a project only its owners
and admins, as the other project pages); its owners, co-owners and admins also read the
unpublished posts and write, change and delete posts.  Writing needs a signed-in owner or
admin, as managing the project does: anonymous visitors are sent to sign in, others get 403.
Every POST carries the CSRF token (checked before the view, ``pybossa_core.csrf``).
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pyramid.httpexceptions import HTTPNotFound
from pyramid.view import view_config

from pybossa_core.contexts import ProjectContext
from pybossa_core.formatting import format_time
from pybossa_core.i18n import _
from pybossa_core.models import Blogpost, Project
from pybossa_core.presenters.project import project_page
from pybossa_core.renderers import Redirect, redirect
from pybossa_core.schemas import forms
from pybossa_core.schemas import project as project_forms
from pybossa_core.security import MANAGE, READ
from pybossa_core.web import CORRECT_ERRORS, form_data, post_only, show_form, submitted

POST_FIELDS = ("title", "body", "published")


def blogpost_json(post: Blogpost) -> dict[str, Any]:
    return {
        "id": post.id,
        "created": format_time(post.created),
        "project_id": post.project_id,
        "user_id": post.user_id,
        "title": post.title,
        "body": post.body,
        "published": post.published,
    }


def _to_blog(request, project: Project, flash: str) -> Redirect:
    return redirect(
        request.route_path("project.blog", short_name=project.short_name, slash=""),
        status="success",
        flash='<i class="icon-ok"></i> ' + request.localizer.translate(flash),
    )


def _form_page(request, project: Project, title: str, fields: dict[str, Any], errors=None) -> dict[str, Any]:
    return {**project_page(request, project), "title": title, "form": show_form(request, fields, errors)}


def _failed(context: dict[str, Any]) -> dict[str, Any]:
    return {**context, "flash": CORRECT_ERRORS, "status": "error"}


@view_config(route_name="project.blog", renderer="projects/blog.html", permission=READ)
def blog(request):
    """The project's published blog posts, oldest first; its owners and admins see the drafts too."""
    project = request.context.project
    query = sa.select(Blogpost).where(Blogpost.project_id == project.id).order_by(Blogpost.created, Blogpost.id)
    if not request.has_permission(MANAGE):
        query = query.where(Blogpost.published.is_(True))
    posts = request.dbsession.scalars(query)
    return {**project_page(request, project, _("Blog")), "blogposts": [blogpost_json(post) for post in posts]}


@view_config(route_name="project.blogpost", renderer="projects/blog_post.html", permission=READ)
def blogpost(request):
    """One post; an unpublished one only for the project's owners and admins (404 for others)."""
    project = request.context.project
    post = request.context.owned(Blogpost, "id")
    if not post.published and not request.has_permission(MANAGE):
        raise HTTPNotFound()
    return {**project_page(request, project, _("Blog")), "blogpost": blogpost_json(post)}


@view_config(route_name="project.new_blogpost", renderer="projects/new_blogpost.html", permission=MANAGE)
def new_blogpost(request):
    project = request.context.project
    title = _("Write a new post")
    if request.method != "POST":
        return _form_page(request, project, title, {"title": None, "body": None, "published": False})
    data = form_data(request)
    values, errors = forms.validate(project_forms.blogpost_form(), data)
    if errors:
        return _failed(_form_page(request, project, title, submitted(data, POST_FIELDS), errors))
    request.dbsession.add(Blogpost(project_id=project.id, user_id=request.identity.id, **values))
    return _to_blog(request, project, _("Blog post created!"))


@view_config(route_name="project.update_blogpost", renderer="projects/update_blogpost.html", permission=MANAGE)
def update_blogpost(request):
    project = request.context.project
    post = request.context.owned(Blogpost, "id")
    title = _("Edit a post")
    if request.method != "POST":
        fields = {"id": post.id, "title": post.title, "body": post.body, "published": post.published}
        return {**_form_page(request, project, title, fields), "blogpost": blogpost_json(post)}
    data = form_data(request)
    values, errors = forms.validate(project_forms.blogpost_form(), data)
    if errors:
        context = _form_page(request, project, title, {**submitted(data, POST_FIELDS), "id": post.id}, errors)
        return _failed({**context, "blogpost": blogpost_json(post)})
    for name, value in values.items():
        setattr(post, name, value)
    return _to_blog(request, project, _("Blog post updated!"))


@view_config(route_name="project.delete_blogpost", renderer="projects/blog.html", request_method="POST", permission=MANAGE)
def delete_blogpost(request):
    project = request.context.project
    request.dbsession.delete(request.context.owned(Blogpost, "id"))
    return _to_blog(request, project, _("Blog post deleted!"))


def includeme(config) -> None:
    """Add the blog's routes (PYBOSSA's paths); their views are found by the scan of ``pybossa_core.views``."""
    for name, path in (
        ("blog", "blog"),
        ("new_blogpost", "new-blogpost"),
        ("blogpost", r"{id:\d+}"),
        ("update_blogpost", r"{id:\d+}/update"),
        ("delete_blogpost", r"{id:\d+}/delete"),
    ):
        config.add_route(f"project.{name}", f"/project/{{short_name}}/{path}{{slash:/?}}", factory=ProjectContext)
    config.add_view(post_only, route_name="project.delete_blogpost")
