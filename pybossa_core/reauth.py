"""Proving that whoever holds a session is the account's owner, before a change a stolen session
must not make alone: the e-mail address, the password, the API key, deleting the account.

The proof is the current password, checked through the sign-in throttle (``signin_throttle``:
a guess typed here counts as one typed on the sign-in page, so a stolen session gives no
unthrottled way to try passwords), or for some changes a sign-in of the last few minutes.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from babel.support import Translations
from pyramid.i18n import Localizer

from pybossa_core import sessions
from pybossa_core.errors import TooManyRequests, error_body
from pybossa_core.i18n import DOMAIN, _, translate
from pybossa_core.interfaces import ISigninThrottle
from pybossa_core.models import User
from pybossa_core.models.meta import utcnow
from pybossa_core.services.passwords import check_password

#: A sign-in this recent stands for the password (of an account that has none, or where the change allows it).
FRESH_SIGNIN = 10 * 60
TOO_MANY_GUESSES = _("Too many failed sign-in attempts for this account.")


@dataclass(frozen=True)
class Refusal:
    """Why the proof was not accepted; ``retry_after`` > 0 when the throttle refused to check it."""

    message: str
    retry_after: int = 0


def signed_in_recently(request) -> bool:
    """Tell whether this browser's session began less than :data:`FRESH_SIGNIN` seconds ago."""
    since = sessions.signed_in_at(request)
    return since is not None and (utcnow() - since).total_seconds() < FRESH_SIGNIN


def password_refusal(request, viewer: User, password: object, wrong: str) -> Refusal | None:
    """Check ``password`` against ``viewer``'s, counted by the sign-in throttle; None when it is right.

    ``wrong`` is the message for a wrong (or missing) password.
    """
    throttle = request.find_service(ISigninThrottle, name="signin")
    retry_after = throttle.attempt(viewer.email_addr, request.client_ip)
    if retry_after:
        return Refusal(TOO_MANY_GUESSES, retry_after)
    if not check_password(viewer.passwd_hash, str(password or "")):
        return Refusal(wrong)
    throttle.succeeded(viewer.email_addr, request.client_ip)
    return None


def throttled(request, context: dict, field: str, retry_after: int, reason: str, form: str = "form") -> dict:
    """Answer a throttled attempt: 429 with ``Retry-After``, PYBOSSA's error JSON, and the error of
    ``field`` in the context's ``form``."""
    minutes = math.ceil(retry_after / 60)

    def wait_text(localizer) -> str:
        return localizer.pluralize("${reason} Please try again in ${minutes} minute.",
                                   "${reason} Please try again in ${minutes} minutes.", minutes, domain=DOMAIN,
                                   mapping={"reason": translate(localizer, reason), "minutes": minutes})

    # A plural text is no TranslationString: it is written here, in the visitor's language and in English.
    message = wait_text(request.localizer)
    request.response.status_code = 429
    request.response.headers["Retry-After"] = str(retry_after)
    context[form]["errors"] = {**context[form].get("errors", {}), field: [message]}
    return {**context, **error_body(request, TooManyRequests(wait_text(Localizer("en", Translations())), target="account")), "flash": message}
