"""Every API endpoint is rate-limited per client IP, with PYBOSSA's ``X-RateLimit-*`` headers.

So are the web views that send mail or cost much (``ratelimit.views_limit`` per
``ratelimit.views_per`` seconds, each view on its own): their form submissions and their costly
GETs, counted in the same shared counters as the API's.
"""
from __future__ import annotations

import time

from pybossa_core.errors import TooManyRequests
from pybossa_core.interfaces import IRateLimiter, ISharedCounters, find_service
from pybossa_core.services.ratelimit import RateLimiter, Window


def _endpoint(route_name: str) -> str:
    # A resource's list and its items are one endpoint, as in PYBOSSA.
    return route_name.removesuffix(".item")


def _headers(limit_header: tuple[str, str], window: Window) -> tuple[tuple[str, str], ...]:
    return (
        limit_header,
        ("X-RateLimit-Remaining", str(window.remaining)),
        ("X-RateLimit-Reset", str(window.reset)),
    )


def _add_headers(headers: tuple[tuple[str, str], ...]):
    def callback(request, response) -> None:
        response.headerlist.extend(headers)

    return callback


#: Web views whose submissions send mail or change an account.
MAILING_VIEWS = frozenset({
    "account.register", "account.forgot_password", "account.reset_password", "account.update",
    "account.email_undo", "account.confirm_email", "account.delete",
})
#: Web views whose every request is costly (a project's or a user's data built into a file).
COSTLY_VIEWS = frozenset({"project.export", "account.export_data", "account.confirm_email"})


def rate_limited_view(view, info):
    """View deriver: count the request against its IP and endpoint before the view runs."""
    route_name = info.options.get("route_name") or ""
    settings = info.registry.settings
    if not settings["ratelimit.enabled"]:
        return view
    if route_name.startswith("api."):
        endpoint, limit, per = _endpoint(route_name), settings["ratelimit.limit"], settings["ratelimit.per"]
    elif route_name in MAILING_VIEWS or route_name in COSTLY_VIEWS:
        endpoint, limit, per = f"view:{route_name}", settings["ratelimit.views_limit"], settings["ratelimit.views_per"]
    else:
        return view
    # A mailing view's form is shown by a GET, which costs nothing: only what it does is counted.
    forms_free = route_name in MAILING_VIEWS and route_name not in COSTLY_VIEWS

    limit_header = ("X-RateLimit-Limit", str(limit))
    limiter: list[RateLimiter] = []  # found on the first request: services are registered at commit

    def wrapper(context, request):
        if forms_free and request.method == "GET":
            return view(context, request)
        if not limiter:
            limiter.append(find_service(request.registry, IRateLimiter))
        window = limiter[0].hit(f"{request.client_ip}:{endpoint}", limit, per)
        headers = _headers(limit_header, window)
        if window.exceeded:
            request.add_response_callback(_add_headers(headers))
            raise TooManyRequests(retry_after=max(1, window.reset - int(time.time())))
        # Appended to the view's response, as nothing else sets them (``headers[name] =`` scans
        # every header first); an error's response is made later, so it gets them by callback.
        try:
            response = view(context, request)
        except Exception:
            request.add_response_callback(_add_headers(headers))
            raise
        response.headerlist.extend(headers)
        return response

    return wrapper


def includeme(config) -> None:
    config.register_service(RateLimiter(find_service(config.registry, ISharedCounters)), IRateLimiter)
    config.add_view_deriver(rate_limited_view)
