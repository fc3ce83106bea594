"""CSRF protection: every POST to a web view, and every write to the API made with a session cookie.

Pyramid's own check (``require_csrf``) runs before each view; the token is the
visitor's, kept in the signed session cookie (``pybossa_core.sessions``).  A
JSON client sends it in the ``X-CSRFToken`` header, an HTML form in the
``csrf_token`` field.  Under ``/api`` a request signed in by its API key (or
carrying any ``Authorization`` header, such as a project's JWT) needs no
token, as in PYBOSSA: a cross-site page cannot send either.  A write signed in
only by the session cookie needs the header, since a browser sends cookies
along with cross-site requests.
"""
from __future__ import annotations

import hmac

from pyramid.exceptions import BadCSRFToken
from pyramid.interfaces import ICSRFStoragePolicy
from pyramid.view import exception_view_config
from zope.interface import implementer

from pybossa_core import sessions
from pybossa_core.security import api_key_of

HEADER = "X-CSRFToken"
FORM_FIELD = "csrf_token"
MESSAGE = "CSRF token missing or incorrect."


@implementer(ICSRFStoragePolicy)
class SessionCookieCSRF:
    """Pyramid CSRF storage policy backed by the session cookie's token."""

    def new_csrf_token(self, request) -> str:
        return sessions.csrf_token(request)

    def get_csrf_token(self, request) -> str:
        return sessions.csrf_token(request)

    def check_csrf_token(self, request, supplied_token: str) -> bool:
        expected = sessions.current_csrf_token(request)
        return bool(expected and supplied_token) and hmac.compare_digest(
            expected.encode("utf-8"), supplied_token.encode("utf-8")
        )


def is_api(request) -> bool:
    return request.path_info == "/api" or request.path_info.startswith("/api/")


def needs_csrf_check(request) -> bool:
    """Tell whether an unsafe request must carry the CSRF token (see the module's text)."""
    if not is_api(request):
        return True
    if api_key_of(request) is not None or "Authorization" in request.headers:
        return False
    return sessions.has_session_cookie(request) and request.identity is not None


def require_token_from_browsers(request) -> None:
    """Check the token of a GET that changes something (PYBOSSA's admin links), unless a script sent it.

    Pyramid checks only unsafe methods; a GET that changes state needs the same proof, or a
    link on another site could make a signed-in admin's browser change it.  Such a link is a
    top-level navigation, which cannot ask for JSON in its headers; a script asking for JSON
    from another site is a cross-site subrequest, which never carries our SameSite=Lax cookie.
    So a GET asking for JSON by its headers, as the spec's clients do, needs no token.
    """
    if request.content_type == "application/json" or "application/json" in request.headers.get("Accept", ""):
        return
    supplied = request.headers.get(HEADER) or request.GET.get(FORM_FIELD) or ""
    if not SessionCookieCSRF().check_csrf_token(request, supplied):
        raise BadCSRFToken()


@exception_view_config(BadCSRFToken, renderer="json")
def bad_csrf_token(exc, request):
    """Answer PYBOSSA's CSRF error; the view was never called, so nothing changed."""
    request.response.status_code = 400
    return {"code": 400, "description": MESSAGE, "template": "400.html"}


def includeme(config) -> None:
    config.set_csrf_storage_policy(SessionCookieCSRF())
    config.set_default_csrf_options(
        require_csrf=True, token=FORM_FIELD, header=HEADER, callback=needs_csrf_check
    )
    config.scan(__name__)
