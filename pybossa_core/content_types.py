"""The one check of request bodies, made for every request before any view reads one.

WebOb raises a bare ``ValueError`` for a multipart form without a boundary or with a broken
body, and a ``LookupError`` for a charset Python does not know, wherever ``request.POST``,
``request.json_body`` or ``request.text`` is first read (a view, the CSRF check): a 500.
Here such a request gets 400 (no boundary, a form that cannot be read) or 415 (unknown
charset) with the error JSON; a form is parsed here once, and the files its parser spooled
are closed when the request is over.
"""
from __future__ import annotations

import codecs

from pyramid.tweens import EXCVIEW

from pybossa_core.errors import BadRequest, UnsupportedMediaType

#: Bodies WebOb parses into ``request.POST``.
FORM_TYPES = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})


def check_body(request) -> None:
    """Raise the error a request whose body cannot be read deserves; parse a form's body."""
    header = request.headers.get("Content-Type", "")
    if not header:
        return
    parameters = _parameters(header)
    charset = parameters.get("charset")
    if charset is not None:
        try:
            codecs.lookup(charset)
        except LookupError:
            raise UnsupportedMediaType(f"Unknown charset {charset!r} in the Content-Type", target="body") from None
    if request.content_type.startswith("multipart/") and not parameters.get("boundary"):
        raise BadRequest(f"{request.content_type} needs a boundary in the Content-Type", target="body")
    if request.content_type in FORM_TYPES and request.method not in ("GET", "HEAD"):
        try:
            request.POST
        except ValueError as error:
            raise BadRequest(f"the form body cannot be read: {error}") from None
        request.add_finished_callback(_close_uploaded_files)


def _parameters(header: str) -> dict[str, str]:
    """Return the ``name=value`` parameters of a ``Content-Type`` header, names lower-cased, quotes removed."""
    pairs = (part.partition("=") for part in header.split(";")[1:])
    return {name.strip().lower(): value.strip().strip('"') for name, _, value in pairs}


def _close_uploaded_files(request) -> None:
    for value in request.POST.values():
        if hasattr(value, "file"):
            value.file.close()


def body_check_tween_factory(handler, registry):
    def body_check_tween(request):
        check_body(request)
        return handler(request)

    return body_check_tween


def includeme(config) -> None:
    # Inside the exception view, so the refusal gets the error JSON.
    config.add_tween("pybossa_core.content_types.body_check_tween_factory", under=EXCVIEW)
