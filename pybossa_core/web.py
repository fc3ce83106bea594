"""What the web views share: reading a posted form, showing a form as PYBOSSA's JSON does (and the
flash of one sent back with errors), safe redirects and the answer that sends a visitor to sign in.

Beside the views, not among them: a view module imports this, never another view module."""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pyramid.httpexceptions import HTTPMethodNotAllowed

from pybossa_core.i18n import _
from pybossa_core.renderers import Redirect, redirect
from pybossa_core.sessions import csrf_token


#: The flash of a form sent back with errors.
CORRECT_ERRORS = _("Please correct the errors")


def form_data(request) -> dict[str, Any]:
    """Return the posted fields: a JSON object, or the form's text fields."""
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return {}
        return data if isinstance(data, dict) else {}
    return {key: value for key, value in request.POST.items() if isinstance(value, str)}


#: Fields never sent back: a form shown again (after an error) must not carry a password.
PASSWORD_FIELDS = frozenset({"password", "confirm", "current_password", "new_password", "passwd"})


def show_form(request, fields: Mapping[str, Any], errors: Mapping[str, list[str]] | None = None) -> dict[str, Any]:
    """Return a form as PYBOSSA's JSON shows it: its fields (passwords empty), ``csrf`` and ``errors``."""
    shown = {name: None if name in PASSWORD_FIELDS else value for name, value in fields.items()}
    return {**shown, "csrf": csrf_token(request), "errors": dict(errors or {})}


def submitted(data: Mapping[str, Any], names: tuple[str, ...], defaults: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return the fields ``names`` as sent (``defaults`` for those not sent)."""
    defaults = defaults or {}
    return {name: data.get(name, defaults.get(name)) for name in names}


def safe_next(url: str | None, default: str = "/") -> str:
    """Return ``url`` if it is a path on this site, else ``default`` (no open redirects).

    Only printable ASCII: a browser drops tabs and newlines from a URL (``/\\n/evil.example``
    becomes ``//evil.example``), and a header cannot carry them, nor characters outside Latin-1.
    """
    if (
        url
        and url.startswith("/")
        and not url.startswith("//")
        and "\\" not in url
        and all("!" <= char <= "~" for char in url)
    ):
        return url
    return default


def sign_in_required(request, status_code: int = 302) -> Redirect:
    """Answer a view that needs a signed-in visitor: a 302 to the sign-in page, JSON clients included.

    PYBOSSA sends anonymous callers of its signed-in views to sign in this way, whatever they accept;
    a view where PYBOSSA answers 401 instead (the export) passes ``status_code=401``.
    """
    signin = request.route_path("account.signin", slash="", _query={"next": request.path_qs})
    request.response.status_code = status_code
    if status_code == 302:
        request.response.location = signin
    return redirect(signin, status="not_signed_in")


def post_only(request):
    """The view of a POST-only route for its other methods: 405 for everyone, before any permission."""
    raise HTTPMethodNotAllowed()
