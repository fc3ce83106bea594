"""The account forms: their fields, PYBOSSA's rules and PYBOSSA's messages.

Each form is a colander schema; :func:`validate` returns the clean values and
the errors as ``{field: [message, ...]}``, the shape of PYBOSSA's
``form.errors``.  Rules needing the database (a taken name or e-mail) are
deferred validators bound to the session and, on update, to the user.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import colander
import sqlalchemy as sa

from pybossa_core.i18n import _
from pybossa_core.models import User
from pybossa_core.services.passwords import password_strength_errors

EMAIL_MAX_LENGTH = 254
USER_NAME_MAX_LENGTH = 35
USER_FULLNAME_MAX_LENGTH = 35
NOT_ALLOWED_CHARS = "$#&\\/| "
#: Names that would hide an account view under /account/<name>.
RESERVED_NAMES = frozenset(
    {
        "page", "register", "signin", "signout", "forgot-password", "reset-password", "profile",
        "newsletter", "confirm-email", "twitter", "facebook", "google", "static", "api",
    }
)

FULLNAME_LENGTH = _("Full name must be between 3 and ${longest} characters long", mapping={"longest": USER_FULLNAME_MAX_LENGTH})
NAME_LENGTH = _("User name must be between 3 and ${longest} characters long", mapping={"longest": USER_NAME_MAX_LENGTH})
EMAIL_LENGTH = _("Email must be between 3 and ${longest} characters long", mapping={"longest": EMAIL_MAX_LENGTH})
NAME_TAKEN = _("The user name is already taken")
EMAIL_TAKEN = _("Email is already taken")
INVALID_EMAIL = _("Invalid email address.")
PASSWORD_EMPTY = _("Password cannot be empty")
PASSWORDS_DIFFER = _("Passwords must match")


def _not_allowed_chars(node, value):
    if any(char in value for char in NOT_ALLOWED_CHARS):
        raise colander.Invalid(node, _("${chars}and space symbols are forbidden", mapping={"chars": NOT_ALLOWED_CHARS}))


def _not_reserved(node, value):
    if value.lower() in RESERVED_NAMES:
        raise colander.Invalid(node, _("This name is used by the system."))


def _unique(column, message, kw):
    """Refuse a value another user has already (case-insensitively); ``kw`` are the form's bindings."""

    def check(node, value):
        query = sa.select(User.id).where(sa.func.lower(column) == value.lower())
        if kw.get("user") is not None:
            query = query.where(User.id != kw["user"].id)
        if kw["session"].scalar(query) is not None:
            raise colander.Invalid(node, message)

    return check


#: PYBOSSA's message for a required field left empty.
FIELD_REQUIRED = _("This field is required.")


def strip(value):
    """Preparer: drop the spaces around text (a field that is only spaces is then empty)."""
    return value.strip() if isinstance(value, str) else value


def stripped_text(name: str, *, missing_msg: str, required: bool = True, default=None, validator=None):
    """A text field, stripped; required, or ``default`` when left out."""
    return colander.SchemaNode(
        colander.String(), name=name, preparer=strip, validator=validator,
        missing=colander.required if required else default, missing_msg=missing_msg,
    )


def _text(name, validator=None, missing_msg=_("Required"), missing=colander.required, **kw):
    return colander.SchemaNode(
        colander.String(), name=name, validator=validator, missing=missing, missing_msg=missing_msg, **kw
    )


class Checkbox(colander.Boolean):
    """A checkbox: missing, false, off, n, no or empty is False (WTForms' BooleanField)."""

    def __init__(self):
        super().__init__(false_choices=("false", "", "off", "n", "no", "0"))

    def deserialize(self, node, cstruct):
        if cstruct is colander.null or cstruct is None:
            return False
        return super().deserialize(node, str(cstruct))


def _flag(name):
    return colander.SchemaNode(Checkbox(), name=name, missing=False)


def _name_node(*, unique: bool = True):
    validators = [_not_allowed_chars, _not_reserved]
    node = _text(
        "name",
        missing_msg=NAME_LENGTH,
        preparer=strip,
    )
    length = colander.Length(min=3, max=USER_NAME_MAX_LENGTH, min_err=NAME_LENGTH, max_err=NAME_LENGTH)

    @colander.deferred
    def validator(node, kw):
        checks = [*validators, _unique(User.name, NAME_TAKEN, kw)] if unique else validators
        return colander.All(length, *checks)

    node.validator = validator
    return node


def _email_node(name="email_addr", *, unique: bool = True):
    node = _text(name, missing_msg=EMAIL_LENGTH, preparer=strip)
    length = colander.Length(min=3, max=EMAIL_MAX_LENGTH, min_err=EMAIL_LENGTH, max_err=EMAIL_LENGTH)
    email = colander.Email(msg=INVALID_EMAIL)

    @colander.deferred
    def validator(node, kw):
        if unique:
            return colander.All(length, email, _unique(User.email_addr, EMAIL_TAKEN, kw))
        return colander.All(length, email)

    node.validator = validator
    return node


def _fullname_node():
    return _text(
        "fullname",
        colander.Length(min=3, max=USER_FULLNAME_MAX_LENGTH, min_err=FULLNAME_LENGTH, max_err=FULLNAME_LENGTH),
        missing_msg=FULLNAME_LENGTH,
    )


@colander.deferred
def _new_password_validator(node, kw):
    if kw.get("strong"):
        def strong(node, value):
            errors = password_strength_errors(value)
            if errors:
                raise colander.Invalid(node, errors)

        return strong
    return None


def register_form() -> colander.SchemaNode:
    schema = colander.MappingSchema()
    schema.same = ("password", "confirm")
    schema.add(_fullname_node())
    schema.add(_name_node())
    schema.add(_email_node())
    schema.add(_text("password", _new_password_validator, missing_msg=PASSWORD_EMPTY))
    schema.add(_text("confirm", missing=""))
    schema.add(_flag("consent"))
    return schema


def signin_form() -> colander.SchemaNode:
    schema = colander.MappingSchema()
    schema.add(_text("email", missing_msg=_("The e-mail is required")))
    schema.add(_text("password", missing_msg=_("You must provide a password")))
    return schema


def forgot_password_form() -> colander.SchemaNode:
    schema = colander.MappingSchema()
    schema.add(_email_node(unique=False))
    return schema


def new_password_form(*, with_current: bool) -> colander.SchemaNode:
    """The form to change a password (``with_current``) or to reset a forgotten one."""
    schema = colander.MappingSchema()
    schema.same = ("new_password", "confirm")
    if with_current:
        schema.add(_text("current_password", missing=""))
    schema.add(_text("new_password", _new_password_validator, missing_msg=PASSWORD_EMPTY))
    schema.add(_text("confirm", missing=""))
    return schema


def profile_form(locales: list[str]) -> colander.SchemaNode:
    schema = colander.MappingSchema()
    schema.add(_fullname_node())
    schema.add(_name_node())
    schema.add(_email_node())
    schema.add(_text("locale", colander.OneOf(locales, msg_err=_("Not a valid choice")), missing_msg=_("Not a valid choice")))
    schema.add(_flag("privacy_mode"))
    schema.add(_flag("subscribed"))
    schema.add(_text("ckan_api", missing=None))
    return schema


def external_services_form() -> colander.SchemaNode:
    schema = colander.MappingSchema()
    schema.add(_text("ckan_api", missing=None))
    return schema


def avatar_form() -> colander.SchemaNode:
    schema = colander.MappingSchema()
    for name in ("x1", "y1", "x2", "y2"):
        schema.add(
            colander.SchemaNode(colander.Int(), name=name, missing=0, validator=colander.Range(min=0, min_err=_("Not a valid integer value")))
        )
    return schema


def validate(schema: colander.SchemaNode, data: Mapping[str, Any], **bindings: Any) -> tuple[dict, dict[str, list[str]]]:
    """Return ``(values, errors)`` for ``data``; ``errors`` is empty when the form is valid."""
    bound = schema.bind(**bindings)
    cstruct = {node.name: _text_value(data.get(node.name)) for node in bound.children if node.name in data}
    errors: dict[str, list[str]] = {}
    values: dict = {}
    try:
        values = bound.deserialize(cstruct)
    except colander.Invalid as error:
        errors = form_errors(error)
    same = getattr(schema, "same", None)
    if same and (data.get(same[0]) or "") != (data.get(same[1]) or ""):
        errors.setdefault(same[0], []).append(PASSWORDS_DIFFER)
    return (values if not errors else {}), errors


def _text_value(value: Any) -> Any:
    if value is None:
        return colander.null
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return value
    return str(value)


def form_errors(error: colander.Invalid) -> dict[str, list[str]]:
    """Turn colander's error tree into ``{field: [message, ...]}``."""
    errors: dict[str, list[str]] = {}
    for child in error.children:
        errors.setdefault(child.node.name, []).extend(child.messages())
    if not error.children and error.msg:
        errors.setdefault("form", []).extend(error.messages())
    return errors
