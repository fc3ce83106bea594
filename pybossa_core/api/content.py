"""Blog posts, helping materials, announcements and pages under ``/api``."""
from __future__ import annotations

import colander
import sqlalchemy as sa

from pybossa_core.api.base import ApiCall, ApiResource
from pybossa_core.api.category import AdminWrites
from pybossa_core.api.task import ProjectOwnersWrite
from pybossa_core.models import Announcement, Blogpost, HelpingMaterial, Page
from pybossa_core.security import is_admin

AUTHORED = frozenset({"id", "created", "updated", "user_id"})


class AuthoredByOwners(ProjectOwnersWrite):
    """Blog posts: written by the project's owners, signed by the one who wrote them."""

    def prepare(self, call: ApiCall, post) -> None:
        post.user_id = call.user.id


class Announcements(AdminWrites):
    """Announcements: admins write them, everyone reads the published ones."""

    def readable(self, call: ApiCall, query: sa.Select) -> sa.Select:
        return query if is_admin(call.user) else query.where(Announcement.published.is_(True))

    def can_read(self, call: ApiCall, announcement: Announcement) -> bool:
        return announcement.published or is_admin(call.user)

    def prepare(self, call: ApiCall, announcement: Announcement) -> None:
        announcement.user_id = call.user.id


BLOGPOST = ApiResource(
    name="blogpost",
    model=Blogpost,
    rules=AuthoredByOwners(),
    reserved=AUTHORED,
    parents=("project",),
    uploads=True,
    validators={"title": colander.Length(min=1)},
)

HELPINGMATERIAL = ApiResource(
    name="helpingmaterial",
    model=HelpingMaterial,
    rules=ProjectOwnersWrite(),
    parents=("project",),
    uploads=True,
)

ANNOUNCEMENT = ApiResource(
    name="announcement",
    model=Announcement,
    rules=Announcements(),
    reserved=AUTHORED,
    uploads=True,
    validators={"title": colander.Length(min=1)},
)

PAGE = ApiResource(
    name="page",
    model=Page,
    rules=ProjectOwnersWrite(),
    reserved=frozenset({"id", "created", "updated"}),
    parents=("project",),
    uploads=True,
    validators={"slug": colander.All(colander.Length(min=1), colander.Regex(r"^[\w-]+$"))},
)
