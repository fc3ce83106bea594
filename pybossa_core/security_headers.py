"""The headers that tell browsers how to treat the site's answers (issue 15's "Headers").

Every answer gets ``X-Content-Type-Options: nosniff``, ``Referrer-Policy:
strict-origin-when-cross-origin`` and ``X-Frame-Options: SAMEORIGIN`` (and
``Strict-Transport-Security`` when ``session.secure_cookie`` says the site is served over
HTTPS).  HTML pages also get a Content-Security-Policy: scripts only from the site, or inline
with the request's nonce (``request.csp_nonce``, which every inline ``<script>`` of the site's
templates carries), never from another host; no plugin content; framed only by the site
itself.  An answer that set its own policy keeps it: the presenter frame
(``views.presenter_frame``) and the uploads are sandboxed by theirs.

The site's static files may be read from any origin: the sandboxed presenter frame has an
opaque origin, and browsers fetch fonts in CORS mode.
"""
from __future__ import annotations

import secrets

from pyramid.events import NewResponse

PAGE_POLICY = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
    "img-src * data: blob:; media-src * data: blob:; font-src 'self' data:; connect-src 'self'; "
    "frame-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'self'"
)
HSTS = "max-age=31536000; includeSubDomains"
#: What a project owner's presenter code may do in its frame (the ``sandbox`` of the page's
#: ``<iframe>`` and of the frame document's own policy): run scripts, post forms, open pop-ups
#: (sandboxed too), dialogs, downloads, and take the whole tab only when the volunteer clicks a link.
PRESENTER_SANDBOX = ("allow-scripts allow-forms allow-popups allow-modals allow-downloads allow-pointer-lock "
                     "allow-top-navigation-by-user-activation")


def csp_nonce(request) -> str:
    """The nonce of this request's inline scripts: new for every request, so a page's is never reused."""
    return secrets.token_urlsafe(18)


def add_security_headers(event: NewResponse) -> None:
    request, response = event.request, event.response
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    if request.registry.settings["session.secure_cookie"]:
        headers.setdefault("Strict-Transport-Security", HSTS)
    if response.content_type == "text/html" and "Content-Security-Policy" not in headers:
        headers["Content-Security-Policy"] = PAGE_POLICY.format(nonce=request.csp_nonce)
    if request.path_info.startswith("/static/"):
        headers.setdefault("Access-Control-Allow-Origin", "*")


def includeme(config) -> None:
    config.add_request_method(csp_nonce, "csp_nonce", reify=True)
    config.add_subscriber(add_security_headers, NewResponse)
