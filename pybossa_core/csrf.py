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


def may_act_on_get(request) -> bool:
    """Tell whether this request may do one of the actions PYBOSSA's spec keeps as GETs.

    Sign out, the newsletter, confirm-email, admin users add/del and re-sending webhooks are
    GETs in the spec.  Pyramid checks the token only on unsafe methods (a POST got here with
    it), and a link on another site, or a script in a page of this one (an owner's presenter),
    can make a signed-in browser GET anything, asking for JSON too.  So a GET acts only with
    the token in the ``X-CSRFToken`` header, which a link cannot set; the site's own pages
    use POST forms.
    """
    if request.method != "GET":
        return True
    return SessionCookieCSRF().check_csrf_token(request, request.headers.get(HEADER, ""))


def require_token_on_get(request) -> None:
    """Refuse (400) a GET action that does not carry the token in its header (see :func:`may_act_on_get`)."""
    if not may_act_on_get(request):
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
