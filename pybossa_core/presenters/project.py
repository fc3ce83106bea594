"""A project as its pages show it: the figures, its owner, the project itself, the pro features.

A page asks for the parts it shows: the contribution, task and tutorial pages :func:`project_head`
(owner, project, title), every other project page :func:`project_page` (the head, the figures
and the pro features).  Owners and admins see the whole project (its secret key, settings and
counts); everybody else its public face, as PYBOSSA's pages.

The viewer (``request.identity``) is read once per page and handed to each part: every read of
``request.identity`` asks the security policy again.

The owner's costly keys (the contribution state, the blog and result counts: a query each) are
:class:`Deferred`: a template reads only the keys it shows, so only the project page asks for the
contribution state and only the blog and results pages count; a JSON answer shows every key.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyramid.i18n import TranslationString

from pybossa_core.api.base import load
from pybossa_core.formatting import format_time
from pybossa_core.i18n import ShownText, _
from pybossa_core.interfaces import ICache
from pybossa_core.models import Project, User
from pybossa_core.presenters.user import own_user, public_user
from pybossa_core.security import owns
from pybossa_core.services import community, projects
from pybossa_core.services.contribution import Caller
from pybossa_core.services.cache import SITE


class Deferred:
    """A value computed the first time it is read: by a template through :class:`OnDemand`, or by
    the JSON renderer (Pyramid's JSON renderer calls ``__json__``)."""

    __slots__ = ("_compute", "_value")
    _PENDING = object()

    def __init__(self, compute: Callable[[], Any]):
        self._compute, self._value = compute, self._PENDING

    @property
    def value(self) -> Any:
        if self._value is self._PENDING:
            self._value = self._compute()
        return self._value

    def __json__(self, request) -> Any:
        return self.value


class OnDemand(dict):
    """A page's dict whose :class:`Deferred` values are computed when a key is read (Jinja2 reads
    ``project.contrib_button`` as ``project["contrib_button"]``)."""

    def __getitem__(self, key: str) -> Any:
        value = super().__getitem__(key)
        return value.value if isinstance(value, Deferred) else value


def project_figures(request, project: Project) -> projects.ProjectStats:
    """The project's figures, cached until the site's data changes (volunteers are still counted)."""
    return request.find_service(ICache).get_or_create(
        SITE, f"project_figures:{project.id}", lambda: projects.project_stats(request.dbsession, project)
    )


def owner_json(request, project: Project, viewer: User | None) -> dict[str, Any]:
    """The project's owner: their whole account when they look at it themselves, else their public face."""
    session = request.dbsession
    if viewer is not None and viewer.id == project.owner_id:
        return own_user(session, viewer, community.rank_and_score(session, viewer, request.find_service(ICache)))
    # Others see the owner's public face: a row of the user's columns, not an ORM load (a fifth
    # of a project's statistics page went to loading it).
    owner = load(session, User, project.owner_id, row=True)
    return public_user(owner, community.rank_and_score(session, owner, request.find_service(ICache)))


def project_json(request, project: Project, stats: projects.ProjectStats, viewer: User | None) -> dict[str, Any]:
    """The project as PYBOSSA shows it: everything to its owners and admins, its public face to others."""
    session = request.dbsession
    if owns(viewer, project):
        return OnDemand({
            "id": project.id,
            "name": project.name,
            "short_name": project.short_name,
            "description": project.description,
            "long_description": project.long_description,
            "created": format_time(project.created),
            "updated": format_time(project.updated),
            "allow_anonymous_contributors": project.allow_anonymous_contributors,
            "category_id": project.category_id,
            "contacted": project.contacted,
            "featured": project.featured,
            "published": project.published,
            "owner_id": project.owner_id,
            "secret_key": project.secret_key,
            "webhook": project.webhook,
            "info": project.info or {},
            # An owner is signed in: the caller whose answers count is the viewer (api.callers.web_caller).
            "contrib_button": Deferred(lambda: projects.contrib_button(session, project, stats, Caller(user_id=viewer.id))),
            "n_blogposts": Deferred(lambda: projects.count_blogposts(session, project)),
            "n_results": Deferred(lambda: projects.count_results(session, project)),
        })
    # PYBOSSA's public project leaves its figures (given beside it) and its owner empty.
    return {
        **projects.public_project(project),
        "featured": project.featured,
        "last_activity": None,
        "last_activity_raw": None,
        "n_tasks": None,
        "n_volunteers": None,
        "overall_progress": None,
        "owner": None,
    }


def pro_features(project: Project, viewer: User | None) -> dict[str, bool]:
    enabled = owns(viewer, project)
    return {"auditlog_enabled": enabled, "autoimporter_enabled": enabled, "webhooks_enabled": enabled}


def project_title(project: Project, page: TranslationString | None = None) -> ShownText:
    """A project page's title, "Project: <name> &middot; <page>" (PYBOSSA's, in English in the
    JSON; a page shows it in its language)."""
    if page is None:
        return ShownText(_("Project: ${name}", mapping={"name": project.name}))
    return ShownText(_("Project: ${name} &middot; ${page}", mapping={"name": project.name, "page": page}))


def project_head(request, project: Project, page: TranslationString | None = None) -> dict[str, Any]:
    """The keys of every project page: the owner, the project and the title (``page`` follows the name)."""
    return _head(request, project, page, project_figures(request, project), request.identity)


def _head(request, project: Project, page: TranslationString | None, stats: projects.ProjectStats,
          viewer: User | None) -> dict[str, Any]:
    return {
        "owner": owner_json(request, project, viewer),
        "project": project_json(request, project, stats, viewer),
        "title": project_title(project, page),
    }


def project_page(request, project: Project, page: TranslationString | None = None) -> dict[str, Any]:
    """The keys shared by the project pages: figures, owner, project, pro features and title."""
    stats, viewer = project_figures(request, project), request.identity
    head = _head(request, project, page, stats, viewer)
    return {**stats.to_json(), "owner": head["owner"], "project": head["project"],
            "pro_features": pro_features(project, viewer), "title": head["title"]}
