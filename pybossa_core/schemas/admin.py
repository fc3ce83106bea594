"""The admin forms: categories and announcements, with PYBOSSA's rules and messages.

A category's short name is made from its name (lower case, spaces removed, as PYBOSSA
does; anything else but ASCII letters and digits becomes ``-``), so a name is refused when either it or the short name it makes is taken by another
category (``category`` is the one being updated).  Validate with
:func:`pybossa_core.schemas.forms.validate`.
"""
from __future__ import annotations

import colander
import sqlalchemy as sa

from pybossa_core.i18n import _
from pybossa_core.models import Category
from pybossa_core.schemas.forms import FIELD_REQUIRED as REQUIRED
from pybossa_core.schemas.forms import Checkbox, stripped_text
from pybossa_core.services.admin import category_short_name

NAME_TAKEN = _("Name is already taken.")
SHORT_NAME_TAKEN = _("Short Name is already taken.")
TOO_LONG = _("Field cannot be longer than 255 characters.")


#: A required field that is only spaces is empty (the preparer strips it after colander's own check).
_FILLED = colander.Length(min=1, min_err=REQUIRED)


def _text(name: str, *, required: bool = True, validator=None) -> colander.SchemaNode:
    return stripped_text(name, missing_msg=REQUIRED, required=required, default=None, validator=validator)


def _taken(session, column, value: str, besides: Category | None) -> bool:
    query = sa.select(Category.id).where(sa.func.lower(column) == value.lower())
    if besides is not None:
        query = query.where(Category.id != besides.id)
    return session.scalar(query) is not None


@colander.deferred
def _unique_category(node, kw):
    def check(node, value):
        if _taken(kw["session"], Category.name, value, kw.get("category")):
            raise colander.Invalid(node, NAME_TAKEN)
        if _taken(kw["session"], Category.short_name, category_short_name(value), kw.get("category")):
            raise colander.Invalid(node, SHORT_NAME_TAKEN)

    return colander.All(_FILLED, colander.Length(max=255, max_err=TOO_LONG), check)


def category_form() -> colander.SchemaNode:
    schema = colander.MappingSchema()
    schema.add(_text("name", validator=_unique_category))
    schema.add(_text("description", validator=_FILLED))
    return schema


def announcement_form() -> colander.SchemaNode:
    schema = colander.MappingSchema()
    schema.add(_text("title", validator=colander.All(_FILLED, colander.Length(max=255, max_err=TOO_LONG))))
    schema.add(_text("body", validator=_FILLED))
    schema.add(colander.SchemaNode(Checkbox(), name="published", missing=False))
    schema.add(_text("media_url", required=False))
    return schema
