"""``/api/user``: nobody creates or deletes users here; privacy decides what others see.

Others see a user's ``name`` and ``locale`` (and ``fullname`` and ``created``
when the user turned privacy mode off); those who manage the account (the
user and admins: ``security.MANAGE_ACCOUNT``, as the account views) see everything
but the password hash.  Admin flags, keys and the e-mail address change only
through the account and admin views.
"""
from __future__ import annotations

import colander

from pybossa_core.api.base import ApiCall, ApiResource, Rules
from pybossa_core.errors import Forbidden
from pybossa_core.models import User
from pybossa_core.security import is_admin, may_manage_account, require_user

PUBLIC_FIELDS = ("name", "locale")
NON_PRIVATE_FIELDS = ("fullname", "created")
NEVER_SHOWN = ("passwd_hash",)


class UserRules(Rules):
    def filterable(self, call: ApiCall, columns: frozenset[str]) -> frozenset[str]:
        # Only admins may look users up by e-mail or any private field.
        if is_admin(call.user):
            return columns - frozenset(NEVER_SHOWN)
        return frozenset({"id", *PUBLIC_FIELDS})

    def present(self, call: ApiCall, user: User, data: dict) -> dict:
        if may_manage_account(call.user, user):
            for key in NEVER_SHOWN:
                del data[key]
            return data
        shown = PUBLIC_FIELDS if user.privacy_mode else PUBLIC_FIELDS + NON_PRIVATE_FIELDS
        return {key: data[key] for key in shown}

    def check_may_create(self, call: ApiCall) -> None:
        require_user(call.user)
        raise Forbidden("users are created by registering")

    def check_update(self, call: ApiCall, user: User) -> None:
        if not may_manage_account(call.user, user):
            require_user(call.user)
            raise Forbidden()

    def check_delete(self, call: ApiCall, user: User) -> None:
        require_user(call.user)
        raise Forbidden("users cannot be deleted through the API")


RESOURCE = ApiResource(
    name="user",
    model=User,
    rules=UserRules(),
    reserved=frozenset(
        {
            "id", "created", "admin", "pro", "passwd_hash", "api_key", "valid_email", "email_addr",
            "confirmation_email_sent", "restrict", "flags", "category",
        }
    ),
    unique=("name",),
    validators={"name": colander.All(colander.Length(min=3), colander.Regex(r"^[\w.-]+$", "may contain only letters, digits, '.', '-' and '_'"))},
)
