"""The one family of errors, and the only exception views.

Services raise :class:`PybossaError` subclasses, never Pyramid's HTTP exceptions (web views
may raise those too); the exception views below turn them into PYBOSSA's error object::

    {"status": "failed", "action": "GET", "target": "project",
     "exception_msg": "404 Not Found", "status_code": 404, "exception_cls": "NotFound"}

and a :class:`NotFound` outside ``/api`` into the site's 404 page, as Pyramid's own 404.
"""
from __future__ import annotations

import logging
import urllib.parse

from pyramid.httpexceptions import HTTPException, HTTPNotFound
from pyramid.view import exception_view_config, notfound_view_config
from pyramid_retry import is_last_attempt

from pybossa_core.db import is_statement_timeout, mark_if_retryable
from pybossa_core.i18n import _, english, translate

log = logging.getLogger(__name__)

QUERY_TOO_LONG = "This request needs more work than the site gives one request: ask for less (filters, limit)."


class PybossaError(Exception):
    """Base of every error a client can cause; says its HTTP status and PYBOSSA class name."""

    status_code = 500
    exception_cls: str | None = None
    default_message = "500 Internal Server Error"

    def __init__(self, message: str | None = None, *, target: str | None = None):
        #: As given (a translation string is shown in a page's language); ``message`` is its English text.
        self.shown = message or self.default_message
        self.message = english(self.shown)
        super().__init__(self.message)
        self.target = target

    @property
    def cls_name(self) -> str:
        return self.exception_cls or type(self).__name__


class BadRequest(PybossaError):
    status_code = 400
    default_message = "400 Bad Request"


class Unauthorized(PybossaError):
    status_code = 401
    default_message = "401 Unauthorized"


class Forbidden(PybossaError):
    status_code = 403
    default_message = "403 Forbidden"


class NotFound(PybossaError):
    status_code = 404
    default_message = "404 Not Found"


class MethodNotAllowed(PybossaError):
    status_code = 405
    default_message = "405 Method Not Allowed"


class UnknownAttribute(PybossaError):
    """A body or query names an attribute the object does not have, or may not be set."""

    status_code = 415
    exception_cls = "AttributeError"


class InvalidValue(PybossaError):
    """A body's attribute has a value of the wrong type or out of range."""

    status_code = 415
    exception_cls = "ValueError"


class AlreadyExists(PybossaError):
    """A unique attribute (a short name, a user name) is already taken."""

    status_code = 415
    exception_cls = "DBIntegrityError"


class UnsupportedMediaType(PybossaError):
    """A body in a form or encoding the site cannot read (an unknown charset)."""

    status_code = 415
    default_message = "415 Unsupported Media Type"


class TooManyRequests(PybossaError):
    """A limit is spent; ``retry_after`` says in how many seconds (the ``Retry-After`` header)."""

    status_code = 429
    default_message = "429 Too Many Requests"

    def __init__(self, message: str | None = None, *, target: str | None = None, retry_after: int | None = None):
        super().__init__(message, target=target)
        self.retry_after = retry_after


#: Pyramid's own HTTP errors under /api, mapped onto PYBOSSA's classes.
_HTTP_ERRORS = {404: NotFound, 405: MethodNotAllowed, 403: Forbidden, 400: BadRequest}


#: Query parameters that carry a secret (API keys, mailed keys, tokens, passwords): never logged.
SECRET_PARAMETERS = frozenset({
    "api_key", "key", "token", "access_token", "oauth_token", "oauth_verifier", "code", "state",
    "password", "passwd", "secret", "secret_key", "csrf_token",
})


def masked_path(request) -> str:
    """Return the request's path and query string with every secret parameter's value masked."""
    if not request.query_string:
        return request.path
    pairs = urllib.parse.parse_qsl(request.query_string, keep_blank_values=True)
    shown = [(name, "***" if name.lower() in SECRET_PARAMETERS else value) for name, value in pairs]
    return f"{request.path}?{urllib.parse.urlencode(shown, safe='*:|[],')}"


def error_body(request, error: PybossaError) -> dict:
    """Return PYBOSSA's error object for ``error`` raised while serving ``request``."""
    target = error.target
    if target is None:
        segments = request.path_info.strip("/").split("/")
        target = segments[1] if len(segments) > 1 else "api"
    return {
        "status": "failed",
        "action": request.method,
        "target": target,
        "exception_msg": error.message,
        "status_code": error.status_code,
        "exception_cls": error.cls_name,
    }


def _is_api(request) -> bool:
    return request.path_info == "/api" or request.path_info.startswith("/api/")


def _render(request, error: PybossaError):
    response = request.response
    response.status_code = error.status_code
    if getattr(error, "retry_after", None):
        response.headers["Retry-After"] = str(error.retry_after)
    return error_body(request, error)


@exception_view_config(PybossaError, renderer="json")
def pybossa_error(error, request):
    if isinstance(error, NotFound) and not _is_api(request):
        return _web_not_found(request, HTTPNotFound())
    return _render(request, error)


#: Pyramid's own explanations of the errors a page shows, marked for the catalogs.
PYRAMID_EXPLANATIONS = {str(text): text for text in (
    _("The server could not comply with the request since it is either malformed or otherwise incorrect."),
    _("This server could not verify that you are authorized to access the document you requested.  "
      "Either you supplied the wrong credentials (e.g., bad password), or your browser does not "
      "understand how to supply the credentials required."),
    _("Access was denied to this resource."),
    _("The resource could not be found."),
    _("There was a conflict when trying to complete your request."),
    _("This resource is no longer available.  No forwarding address is given."),
    _("The body of your request was too large for this server."),
    _("The action could not be performed because there were too many requests by the client."),
    _("The server has either erred or is incapable of performing the requested operation."),
    _("The server is currently unavailable. Please try again at a later time."),
)}


def web_error(request, exc: HTTPException) -> dict:
    """Return PYBOSSA's error page context for a web view (``{"code", "description", "template"}``);
    the description is in the page's language, as a flash would be."""
    request.response.status_code = exc.code
    explanation = PYRAMID_EXPLANATIONS.get(exc.explanation, exc.explanation)
    return {"code": exc.code, "description": translate(request.localizer, explanation), "template": f"{exc.code}.html"}


def _web_not_found(request, exc: HTTPException) -> dict:
    """The 404 page of a web address: no such route, a view's HTTPNotFound or a service's NotFound."""
    return {**web_error(request, exc), "status": "failed", "status_code": 404, "exception_msg": "404 Not Found"}


@notfound_view_config(renderer="json")
def not_found(exc, request):
    if not _is_api(request):
        return _web_not_found(request, exc)
    return _render(request, NotFound())


@exception_view_config(HTTPException, renderer="json")
def http_error(exc, request):
    if exc.code < 400:
        return exc
    if not _is_api(request):
        return web_error(request, exc)
    error = _HTTP_ERRORS.get(exc.code, PybossaError)()
    error.status_code = exc.code
    return _render(request, error)


@exception_view_config(Exception, renderer="json")
def unexpected_error(exc, request):
    if mark_if_retryable(exc) and not is_last_attempt(request):
        raise exc  # pyramid_tm aborts and pyramid_retry replays the request
    if is_statement_timeout(exc):
        # database.statement_timeout stopped it: the request asked for too much work at once.
        log.warning("statement deadline reached serving %s %s", request.method, request.path)
        return _render(request, BadRequest(QUERY_TOO_LONG))
    log.exception("unexpected error serving %s %s", request.method, masked_path(request))
    return _render(request, PybossaError())


def includeme(config) -> None:
    config.scan(__name__)
