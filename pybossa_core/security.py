"""Who is calling: the identity behind a request, and the checks every resource shares.

A request is signed in by its API key (``?api_key=KEY`` or the header
``Authorization: KEY``, as PYBOSSA accepts them) or, without one, by its
session cookie (``pybossa_core.sessions``).  Per-resource rules (who may
read or change what) live beside each resource in ``api/``; the ownership
tests they all need are here.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from pyramid.security import Denied

from pybossa_core.db import json_array_contains
from pybossa_core.errors import Forbidden, Unauthorized
from pybossa_core.models import Project, User
from pybossa_core.models.meta import utcnow
from pybossa_core.sessions import session_user

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def api_key_of(request) -> str | None:
    """Return the API key the request carries, if any."""
    key = request.GET.get("api_key")
    if key:
        return key
    header = request.headers.get("Authorization", "")
    if header and not header.lower().startswith(("bearer ", "basic ")):
        return header.strip()
    return None


#: Built once: every API request signed with a key runs it.
USER_BY_API_KEY = sa.select(User).where(User.api_key == sa.bindparam("key"))


class SecurityPolicy:
    """Pyramid security policy whose identity is the signed-in :class:`User` (or None)."""

    def identity(self, request) -> User | None:
        key = api_key_of(request)
        if key:
            return request.dbsession.execute(USER_BY_API_KEY, {"key": key}).scalar_one_or_none()
        return session_user(request)

    def authenticated_userid(self, request) -> int | None:
        user = request.identity
        return user.id if user is not None else None

    def permits(self, request, context, permission):
        # Permissions are decided by each resource's rules, never by view predicates.
        return Denied("pybossa-core does not use view permissions")

    def remember(self, request, userid, **kw):
        # Sessions are started by pybossa_core.sessions.start_session, which sets the cookie itself.
        return []

    def forget(self, request, **kw):
        return []


def require_user(user: User | None) -> User:
    """Return ``user``, or raise Unauthorized for an anonymous caller."""
    if user is None:
        raise Unauthorized()
    return user


def is_admin(user: User | None) -> bool:
    return user is not None and user.admin


def owns(user: User | None, project: Project | None) -> bool:
    """Tell whether ``user`` owns or co-owns ``project`` (admins own everything)."""
    if user is None or project is None:
        return False
    return user.admin or project.owner_id == user.id or user.id in (project.owners_ids or [])


def is_creator(user: User | None, project: Project | None) -> bool:
    """Tell whether ``user`` is the project's owner itself (or an admin): co-owners may not delete it."""
    return user is not None and project is not None and (user.admin or project.owner_id == user.id)


def require_owner(user: User | None, project: Project | None) -> None:
    """Raise Unauthorized for anonymous callers and Forbidden for non-owners of ``project``."""
    require_user(user)
    if not owns(user, project):
        raise Forbidden()


def may_manage_account(viewer: User, user: User) -> bool:
    """Tell whether ``viewer`` may change (or export, or delete) the account of ``user``: their own, or any as admin."""
    return viewer.admin or viewer.id == user.id


def require_admin(user: User | None) -> None:
    require_user(user)
    if not user.admin:
        raise Forbidden()


def may_see_project(user: User | None, project: Project) -> bool:
    """Tell whether ``user`` may see ``project`` and what belongs to it: a private project is for
    its owners, co-owners, admins and invited users only (drafts are a separate rule)."""
    return not project.private or owns(user, project) or (user is not None and user.id in (project.invited_ids or []))


def visible_projects(session: Session, user: User | None) -> sa.ColumnElement[bool]:
    """SQL true for the projects ``user`` may see (:func:`may_see_project` as a condition on ``Project``)."""
    if is_admin(user):
        return sa.true()
    public = Project.private.is_(False)
    if user is None:
        return public
    return sa.or_(
        public, Project.owner_id == user.id,
        json_array_contains(session, Project.owners_ids, user.id), json_array_contains(session, Project.invited_ids, user.id),
    )


def hidden_projects(session: Session, user: User | None) -> sa.Select | None:
    """The ids of the private projects ``user`` may not see; None when they may see every project."""
    if is_admin(user):
        return None
    return sa.select(Project.id).where(Project.private.is_(True), ~visible_projects(session, user))


def under_embargo(user: User | None, project: Project) -> bool:
    """Tell whether ``project``'s answers, results and exports are hidden from ``user``: the project
    has an ``embargo_until`` still to come, and ``user`` is none of its owners, co-owners or admins."""
    return project.embargo_until is not None and project.embargo_until > utcnow() and not owns(user, project)


def embargoed_projects(session: Session, user: User | None) -> sa.Select | None:
    """The ids of the projects whose answers and results ``user`` may not see yet (:func:`under_embargo`
    as a query); None for an admin, who sees every project's."""
    if is_admin(user):
        return None
    query = sa.select(Project.id).where(Project.embargo_until > utcnow())
    return query if user is None else query.where(~Project.id.in_(owned_projects(session, user)))


def listed_publicly() -> sa.ColumnElement[bool]:
    """SQL true for the projects the site's shared lists show everyone (home, categories, stats, feeds)."""
    return sa.and_(Project.published.is_(True), Project.private.is_(False))


def owned_projects(session: Session, user: User) -> sa.Select:
    """Return a query of the ids of the projects ``user`` owns or co-owns."""
    coowned = json_array_contains(session, Project.owners_ids, user.id)
    return sa.select(Project.id).where(sa.or_(Project.owner_id == user.id, coowned))


def includeme(config) -> None:
    config.set_security_policy(SecurityPolicy())
