"""Anonymous visitors' views of the busiest pages, rendered once per change of what they show.

The home page, ``/stats/``, the leaderboard and a project's statistics page (views marked
``page_cache=True``) look the same to every visitor who is not signed in but for two values of
their own: the CSRF token of the ``csrf-token`` meta tag and the nonce of the inline scripts.
Rendering the page cost more than the rest of the view (0.8 of 1.1 ms for ``/stats/``). So the
first anonymous view of such a page, per address and language, is kept in the site's cache
(``site`` namespace) with those two values replaced by marks, and the next anonymous views get
it with their own values put back. It is rendered again after any write of what the site shows
(the namespace's generation, ``services.cache``), in a new hour (the 24-hour lists move), after
``cache.expiration`` seconds, and, when figures may lag (``cache.max_lag``), after that many.

Not kept: views by someone signed in (their menu and figures), a page showing a flash message,
an address with a query string (``?lang=`` and the like: nor can made-up queries fill the
cache), JSON, an answer other than a plain 200 HTML page, and anything while templates are
reloaded (development).
"""
from __future__ import annotations

import time

from pyramid.settings import asbool

from pybossa_core.interfaces import ICache
from pybossa_core.renderers import wants_json
from pybossa_core.services.cache import SITE
from pybossa_core.sessions import csrf_token, current_csrf_token, has_kept_flash

#: What stands for the visitor's values in a kept page: NUL never reaches a rendered page.
CSRF_MARK = b"\x00csrf\x00"
NONCE_MARK = b"\x00nonce\x00"
#: The only headers a kept page's view may have set.
PLAIN_HEADERS = frozenset({"content-type", "content-length"})


def _page_key(request) -> str | None:
    """The cache key of this view of the page, or None when it must be rendered for the visitor."""
    if (request.method != "GET" or request.query_string or wants_json(request)
            or request.identity is not None or has_kept_flash(request)):
        return None
    return f"page:{int(time.time() // 3600)}:{request.locale_name}:{request.application_url}{request.path}"


def _kept(request, response) -> tuple[float, str, bytes] | None:
    """The page to keep, the visitor's values marked, or None when this answer may not be kept."""
    token = current_csrf_token(request)
    if (response.status_code != 200 or response.content_type != "text/html" or token is None
            or not {name.lower() for name, _ in response.headerlist} <= PLAIN_HEADERS or b"\x00" in response.body):
        return None
    body = response.body.replace(token.encode("ascii"), CSRF_MARK).replace(request.csp_nonce.encode("ascii"), NONCE_MARK)
    return time.time(), response.headers["Content-Type"], body


def _answer(request, kept: tuple[float, str, bytes]):
    """The kept page with this visitor's token (given them if they have none) and nonce."""
    _, content_type, body = kept
    response = request.response
    response.headers["Content-Type"] = content_type
    response.body = body.replace(CSRF_MARK, csrf_token(request).encode("ascii")).replace(
        NONCE_MARK, request.csp_nonce.encode("ascii"))
    return response


def page_cache(view, info):
    """View deriver: anonymous views of a page marked ``page_cache=True`` answered from the cache."""
    if not info.options.get("page_cache") or asbool(info.settings.get("pyramid.reload_templates")):
        return view

    def cached_page(context, request):
        key = _page_key(request)
        if key is None:
            return view(context, request)
        cache = request.find_service(ICache)
        place, kept = cache.peek(SITE, key)
        if kept is not None and not (cache.max_lag and time.time() - kept[0] >= cache.max_lag):
            return _answer(request, kept)
        response = view(context, request)
        kept = _kept(request, response)
        if kept is not None:
            cache.keep(place, kept)
        return response

    return cached_page


page_cache.options = ("page_cache",)


def includeme(config) -> None:
    # Under Pyramid's rendered_view: the deriver sees the rendered page, after the permission check.
    config.add_view_deriver(page_cache)
