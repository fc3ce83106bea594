"""``/api/category``: anyone reads; only admins create, change and delete."""
from __future__ import annotations

import colander

from pybossa_core.api.base import ApiCall, ApiResource, Rules
from pybossa_core.models import Category
from pybossa_core.schemas.api import short_name
from pybossa_core.security import require_admin


class AdminWrites(Rules):
    """Everyone reads; only admins write (categories, announcements)."""

    def check_may_create(self, call: ApiCall) -> None:
        require_admin(call.user)

    def check_update(self, call: ApiCall, obj) -> None:
        require_admin(call.user)


RESOURCE = ApiResource(
    name="category",
    model=Category,
    rules=AdminWrites(),
    unique=("name", "short_name"),
    validators={"name": colander.Length(min=1), "short_name": colander.All(colander.Length(min=1), short_name)},
)
