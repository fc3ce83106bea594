"""The project forms: creating and updating a project, the task presenter editor, the tasks'
redundancy and blog posts.

Rules and messages are PYBOSSA's (its ``ProjectForm``/``ProjectUpdateForm``); a taken
name or short name is checked against the session the form is bound to (``project`` is
the project being updated, left out of the check).  Validate with
:func:`pybossa_core.schemas.forms.validate`.
"""
from __future__ import annotations

import colander

from pybossa_core.i18n import _
from pybossa_core.schemas.api import http_url, short_name
from pybossa_core.schemas.forms import FIELD_REQUIRED as REQUIRED
from pybossa_core.schemas.forms import Checkbox, strip, stripped_text
from pybossa_core.services import projects, webhooks

NAME_TAKEN = _("Name is already taken.")
SHORT_NAME_TAKEN = _("Short Name is already taken.")
SHORT_NAME_RESERVED = _("This short name is used by the system.")
DESCRIPTION_LENGTH = _("Field cannot be longer than 255 characters.")


def _text(name: str, *, required: bool = True, validator=None) -> colander.SchemaNode:
    return stripped_text(name, missing_msg=REQUIRED, required=required, default="", validator=validator)


def _not_reserved(node, value):
    if value.lower() in projects.RESERVED_SHORT_NAMES:
        raise colander.Invalid(node, SHORT_NAME_RESERVED)


def _unique(taken, message):
    @colander.deferred
    def validator(node, kw):
        def check(node, value):
            if taken(kw["session"], value, besides=kw.get("project")):
                raise colander.Invalid(node, message)

        return check

    return validator


@colander.deferred
def _webhook_url(node, kw):
    """An http(s) URL the site may call: the form is bound to the site's ``settings`` (docs/webhooks.md)."""
    settings = kw.get("settings", {})

    def check(node, value):
        http_url(node, value)
        try:
            webhooks.check_url(value, settings)
        except webhooks.RefusedURL as refusal:
            raise colander.Invalid(node, _("${reason}.", mapping={"reason": refusal.shown})) from None

    return check


def _name_node() -> colander.SchemaNode:
    node = _text("name")
    unique = _unique(projects.name_taken, NAME_TAKEN)
    node.validator = colander.deferred(lambda node, kw: colander.All(colander.Length(max=255), unique(node, kw)))
    return node


def _short_name_node() -> colander.SchemaNode:
    node = _text("short_name")
    unique = _unique(projects.short_name_taken, SHORT_NAME_TAKEN)
    node.validator = colander.deferred(
        lambda node, kw: colander.All(colander.Length(max=255), short_name, _not_reserved, unique(node, kw))
    )
    return node


def new_project_form() -> colander.SchemaNode:
    """``/project/new``: name, short name, description (optional) and long description."""
    schema = colander.SchemaNode(colander.Mapping())
    schema.add(_name_node())
    schema.add(_short_name_node())
    schema.add(_text("description", required=False, validator=colander.Length(max=255, max_err=DESCRIPTION_LENGTH)))
    schema.add(_text("long_description"))
    return schema


def update_project_form() -> colander.SchemaNode:
    """``/project/<short_name>/update``: the project's own fields."""
    schema = new_project_form()
    schema["long_description"].missing = ""
    schema.add(colander.SchemaNode(Checkbox(), name="allow_anonymous_contributors", missing=False))
    schema.add(colander.SchemaNode(colander.Int(), name="category_id", missing=None))
    schema.add(
        colander.SchemaNode(colander.String(), name="webhook", preparer=strip, validator=_webhook_url, missing=None)
    )
    # PYBOSSA's project password: ``protect`` on with a new ``password`` sets it, on without one keeps
    # it, off lifts it.
    schema.add(colander.SchemaNode(Checkbox(), name="private", missing=False))
    # Kept in ``info``: may volunteers change their answers until the task is completed?
    schema.add(colander.SchemaNode(Checkbox(), name="allow_taskrun_edit", missing=False))
    schema.add(colander.SchemaNode(Checkbox(), name="protect", missing=False))
    # Answers, results and exports hidden from all but the owners until that day (UTC); empty: none.
    embargo = colander.Date()
    embargo.err_template = EMBARGO_DATE
    schema.add(colander.SchemaNode(embargo, name="embargo_until", missing=None))
    schema.add(colander.SchemaNode(
        colander.String(), name="password", missing=None,
        validator=colander.Length(min=2, max=255, min_err=PROJECT_PASSWORD_LENGTH, max_err=PROJECT_PASSWORD_LENGTH),
    ))
    return schema


EMBARGO_DATE = _("Type the day as YYYY-MM-DD")
PROJECT_PASSWORD_LENGTH = _("The password must have between 2 and 255 characters")
PROJECT_PASSWORD_NEEDED = _("You must enter a password")


def project_password_form() -> colander.SchemaNode:
    """A protected project's password page."""
    schema = colander.SchemaNode(colander.Mapping())
    schema.add(colander.SchemaNode(
        colander.String(), name="password", missing=colander.required, missing_msg=PROJECT_PASSWORD_NEEDED,
        validator=colander.Length(max=255, max_err=PROJECT_PASSWORD_LENGTH),
    ))
    return schema


def transfer_ownership_form() -> colander.SchemaNode:
    """``/project/<short_name>/transferownership``: the new owner's e-mail address."""
    schema = colander.SchemaNode(colander.Mapping())
    schema.add(colander.SchemaNode(
        colander.String(), name="email_addr", preparer=strip, missing=colander.required, missing_msg=REQUIRED,
        validator=colander.Email(msg=_("Invalid email address.")),
    ))
    return schema


def task_presenter_form(environments: tuple[str, ...]) -> colander.SchemaNode:
    """The task presenter editor: its HTML, required, and the environment it runs in: one of
    ``environments``, or empty for what the presenter declares."""
    schema = colander.SchemaNode(colander.Mapping())
    schema.add(colander.SchemaNode(colander.String(), name="editor", missing=colander.required, missing_msg=REQUIRED))
    schema.add(colander.SchemaNode(colander.String(allow_empty=True), name="environment", missing="",
                                   validator=colander.OneOf(("", *environments))))
    return schema


REDUNDANCY_RANGE = _("Number of answers should be a value between 1 and 1,000")


def task_redundancy_form() -> colander.SchemaNode:
    """The answers every task of a project needs (``n_answers``), 1 to 1 000 as PYBOSSA allows."""
    schema = colander.SchemaNode(colander.Mapping())
    schema.add(colander.SchemaNode(
        colander.Int(), name="n_answers", missing=colander.required, missing_msg=REQUIRED,
        validator=colander.Range(1, 1000, min_err=REDUNDANCY_RANGE, max_err=REDUNDANCY_RANGE),
    ))
    return schema


BLOGPOST_TITLE_NEEDED = _("You must enter a title for the post.")
BLOGPOST_BODY_NEEDED = _("You must enter some text for the post.")


def blogpost_form() -> colander.SchemaNode:
    """A project's blog post: its title and body, required (PYBOSSA's messages), and whether it is published."""
    schema = colander.SchemaNode(colander.Mapping())
    title_rules = colander.All(
        colander.Length(min=1, min_err=BLOGPOST_TITLE_NEEDED), colander.Length(max=255, max_err=DESCRIPTION_LENGTH)
    )
    schema.add(stripped_text("title", missing_msg=BLOGPOST_TITLE_NEEDED, validator=title_rules))
    schema.add(
        stripped_text("body", missing_msg=BLOGPOST_BODY_NEEDED, validator=colander.Length(min=1, min_err=BLOGPOST_BODY_NEEDED))
    )
    schema.add(colander.SchemaNode(Checkbox(), name="published", missing=False))
    return schema
