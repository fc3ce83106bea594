"""Who is calling, and what they may do: the identity behind a request and the one rule of permissions.

A request is signed in by its API key (``?api_key=KEY`` or the header
``Authorization: KEY``, as PYBOSSA accepts them) or, without one, by its
session cookie (``pybossa_core.sessions``).

What a user may do with a project or an account is written once, as Pyramid ACLs
(:func:`project_acl`, :func:`account_acl`): the web views declare ``permission=`` on their
route's context (``contexts.py``), ``request.has_permission`` and
:meth:`SecurityPolicy.permits` answer from them, and the API's rules ask the same ACLs through
:func:`user_permits` and the shorthands below (:func:`owns`, :func:`is_creator`,
:func:`may_see_project`, :func:`may_manage_account`).  :func:`visible_projects` is the
project ACL's ``project.see`` written as SQL, for lists.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import sqlalchemy as sa
from pyramid.authorization import ALL_PERMISSIONS, ACLHelper, Allow, Authenticated, Everyone

from pybossa_core.db import json_array_contains
from pybossa_core.errors import Forbidden, Unauthorized
from pybossa_core.interfaces import ICache
from pybossa_core.models import Project, User
from pybossa_core.models.meta import utcnow
from pybossa_core.sessions import session_key, session_user

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

#: The ``info`` key that holds the password's hash.
PASSWORD_KEY = "passwd_hash"


def needs_password(project: Project) -> bool:
    return bool((project.info or {}).get(PASSWORD_KEY))


def api_key_of(request) -> str | None:
    """Return the API key the request carries, if any."""
    key = request.GET.get("api_key")
    if key:
        return key
    header = request.headers.get("Authorization", "")
    if header and not header.lower().startswith(("bearer ", "basic ")):
        return header.strip()
    return None


#: Built once: every API request signed with a key runs it (the API's as a row, see SecurityPolicy).
USER_BY_API_KEY = sa.select(User).where(User.api_key == sa.bindparam("key"))
#: Table columns only: one ORM attribute would send the statement through the ORM's loading.
USER_ROW_BY_API_KEY = sa.select(*User.__table__.columns).where(User.__table__.c.api_key == sa.bindparam("key"))


#: The principal every admin carries beside ``user:<id>``.
ADMINS = "group:admins"

# What can be done with a project.
SEE = "project.see"          #: its privacy lets the user in: public, or invited to a private one
VIEW = "project.view"        #: seen and published (drafts: owners only): its password page
UNLOCKED = "project.unlocked"  #: it has no password, or the visitor gave it (owners are never asked)
READ = "project.read"        #: viewed and unlocked: its pages
EXPORT = "project.export"    #: read, and its ``zip_download`` is on
MANAGE = "project.manage"    #: change it: its owner, co-owners and admins
DELETE = "project.delete"    #: delete it: its owner and admins, not co-owners
# What can be done with an account.
MANAGE_ACCOUNT = "account.manage"  #: change, export or delete it: its user and admins
# What can be done with the site.
ADMINISTER = "site.administer"  #: its admin pages: admins only

COOWNER_PERMISSIONS = (SEE, VIEW, UNLOCKED, READ, EXPORT, MANAGE)
OWNER_PERMISSIONS = (*COOWNER_PERMISSIONS, DELETE)

_ACL = ACLHelper()


def principals_of(user: User | None) -> list[str]:
    """Who ``user`` is to an ACL: everyone; once signed in, ``user:<id>`` (and ``group:admins``)."""
    if user is None:
        return [Everyone]
    principals = [Everyone, Authenticated, f"user:{user.id}"]
    if is_admin(user):
        principals.append(ADMINS)
    return principals


def project_acl(project: Project, unlocked: Callable[[Project], bool] | None = None) -> Iterator[tuple]:
    """The one rule of who may do what with ``project``, as ACL entries.

    Admins may do everything, its owner everything in :data:`OWNER_PERMISSIONS`, its co-owners
    all but deleting it.  A project without a password is unlocked for everyone, one with a
    password for the visitors ``unlocked(project)`` says gave it (no ``unlocked``: nobody).  Its
    readers (everyone, or for a private project the invited users) see it; once it is published
    they view it, and once unlocked too they read it (and export it if ``zip_download``).  A
    generator, so the entries after the first that matches (an owner's) are never built.
    """
    yield Allow, ADMINS, ALL_PERMISSIONS
    yield Allow, f"user:{project.owner_id}", OWNER_PERMISSIONS
    for user_id in project.owners_ids or ():
        yield Allow, f"user:{user_id}", COOWNER_PERMISSIONS
    is_open = not needs_password(project) or (unlocked is not None and unlocked(project))
    if is_open:
        yield Allow, Everyone, (UNLOCKED,)
    granted: tuple[str, ...] = (SEE,)
    if project.published:
        granted = (SEE, VIEW)
        if is_open:
            granted = (SEE, VIEW, READ, EXPORT) if project.zip_download else (SEE, VIEW, READ)
    if not project.private:
        yield Allow, Everyone, granted
    else:
        for user_id in project.invited_ids or ():
            yield Allow, f"user:{user_id}", granted


class SiteRule:
    """The site itself: admins may do everything (the web routes' root context extends it)."""

    __acl__ = ((Allow, ADMINS, ALL_PERMISSIONS),)


SITE = SiteRule()


def account_acl(user: User) -> list[tuple]:
    """Who may manage the account of ``user``: the user, and admins."""
    return [(Allow, f"user:{user.id}", (MANAGE_ACCOUNT,)), (Allow, ADMINS, ALL_PERMISSIONS)]


class ProjectRule:
    """``project`` under :func:`project_acl`, for :func:`user_permits` (the views' contexts extend it)."""

    def __init__(self, project: Project, unlocked: Callable[[Project], bool] | None = None):
        self.project = project
        self.unlocked = unlocked

    def __acl__(self) -> Iterator[tuple]:
        return project_acl(self.project, self.unlocked)


class AccountRule:
    """``user``'s account under :func:`account_acl`; no account (None) grants nothing to anyone."""

    def __init__(self, user: User | None):
        self.user = user

    def __acl__(self) -> list[tuple]:
        return account_acl(self.user) if self.user is not None else []


def user_permits(user: User | None, context, permission: str):
    """Pyramid's answer (``ACLAllowed`` or ``ACLDenied``) to whether ``user`` has ``permission`` on ``context``."""
    return _ACL.permits(context, principals_of(user), permission)


def reads_identity_only(request) -> bool:
    """Whether ``request`` is an API call, whose code only reads who calls (id, admin, name, locale)."""
    route = request.matched_route
    return route is not None and route.name.startswith("api.")


#: Where a request keeps its identity and the credential it was read for.
_IDENTITY = "_pybossa_identity"


#: The cache's namespace of the API's callers kept by key: any write of a user makes them stale
#: (``services.cache``, which bumps it).
ACCOUNTS = "accounts"


def _user_row_by_api_key(request, key: str):
    """The row of the user whose API key is ``key``, or None: kept in the cache until any user is
    written (``accounts`` namespace), so a changed key, role or account counts at its next request.
    The key is kept hashed."""
    return request.find_service(ICache).kept_row(
        ACCOUNTS, hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest(),
        lambda: request.dbsession.execute(USER_ROW_BY_API_KEY, {"key": key}).one_or_none())


class SecurityPolicy:
    """Pyramid security policy whose identity is the signed-in :class:`User` (or None).

    On an API route the identity is a read-only row of the user's columns: the ORM object that
    web views change (a profile, the newsletter choice) cost a fifth of a contribution cycle.
    """

    def identity(self, request) -> User | None:
        # Asked several times a request (the view, its ACL checks, the page's templates): read once
        # per credential, and again only when the request signs in or out.
        key, as_row = api_key_of(request), reads_identity_only(request)
        credential = (key or session_key(request), as_row)
        known = request.__dict__.get(_IDENTITY)
        if known is not None and known[0] == credential:
            return known[1]
        if key and as_row:
            user = _user_row_by_api_key(request, key)
        elif key:
            user = request.dbsession.execute(USER_BY_API_KEY, {"key": key}).scalar_one_or_none()
        else:
            user = session_user(request, row=as_row)
        request.__dict__[_IDENTITY] = (credential, user)
        return user

    def authenticated_userid(self, request) -> int | None:
        user = request.identity
        return user.id if user is not None else None

    def permits(self, request, context, permission):
        return user_permits(request.identity, context, permission)

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
    """Tell whether ``user`` is an admin: the principal :data:`ADMINS`, to whom every ACL grants everything."""
    return user is not None and user.admin


def owns(user: User | None, project: Project | None) -> bool:
    """Tell whether ``user`` owns or co-owns ``project`` (admins own everything): :data:`MANAGE`."""
    return user is not None and project is not None and bool(user_permits(user, ProjectRule(project), MANAGE))


def is_creator(user: User | None, project: Project | None) -> bool:
    """Tell whether ``user`` is the project's owner itself (or an admin): co-owners may not delete it (:data:`DELETE`)."""
    return user is not None and project is not None and bool(user_permits(user, ProjectRule(project), DELETE))


def require_owner(user: User | None, project: Project | None) -> None:
    """Raise Unauthorized for anonymous callers and Forbidden for non-owners of ``project``."""
    require_user(user)
    if not owns(user, project):
        raise Forbidden()


def may_manage_account(viewer: User | None, user: User) -> bool:
    """Tell whether ``viewer`` may change (or export, or delete) the account of ``user``: their own, or
    any as admin (:data:`MANAGE_ACCOUNT`)."""
    return bool(user_permits(viewer, AccountRule(user), MANAGE_ACCOUNT))


def require_admin(user: User | None) -> None:
    """Raise Unauthorized for anonymous callers and Forbidden for those who may not :data:`ADMINISTER` the site."""
    require_user(user)
    if not user_permits(user, SITE, ADMINISTER):
        raise Forbidden()


def may_see_project(user: User | None, project: Project) -> bool:
    """Tell whether ``user`` may see ``project`` and what belongs to it (:data:`SEE`): a private project
    is for its owners, co-owners, admins and invited users only (drafts are a separate rule)."""
    # A public project is seen by everyone: no ACL to walk on the API's hot path.
    return not project.private or bool(user_permits(user, ProjectRule(project), SEE))


def visible_projects(session: Session, user: User | None) -> sa.ColumnElement[bool]:
    """SQL true for the projects ``user`` may see: :func:`project_acl`'s :data:`SEE` as a condition on
    ``Project`` (tests/test_permissions.py checks the two agree)."""
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
    # The moment is taken when the statement runs, so a statement built once (an anonymous
    # listing's, api.base) stays right.
    now = sa.bindparam("now", callable_=utcnow, type_=Project.embargo_until.type, unique=True)
    query = sa.select(Project.id).where(Project.embargo_until > now)
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
