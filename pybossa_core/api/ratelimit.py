"""Every API endpoint is rate-limited per client IP, with PYBOSSA's ``X-RateLimit-*`` headers."""
from __future__ import annotations

import time

from pybossa_core.errors import TooManyRequests
from pybossa_core.services.ratelimit import RateLimiter, Window


def _endpoint(route_name: str) -> str:
    # A resource's list and its items are one endpoint, as in PYBOSSA.
    return route_name.removesuffix(".item")


def _set_headers(window: Window):
    def callback(request, response) -> None:
        response.headers["X-RateLimit-Limit"] = str(window.limit)
        response.headers["X-RateLimit-Remaining"] = str(window.remaining)
        response.headers["X-RateLimit-Reset"] = str(window.reset)

    return callback


def rate_limited_view(view, info):
    """View deriver: count the request against its IP and endpoint before the view runs."""
    route_name = info.options.get("route_name") or ""
    settings = info.registry.settings
    if not route_name.startswith("api.") or not settings["ratelimit.enabled"]:
        return view
    endpoint, limit, per = _endpoint(route_name), settings["ratelimit.limit"], settings["ratelimit.per"]

    def wrapper(context, request):
        window = request.registry["ratelimiter"].hit(f"{request.client_ip}:{endpoint}", limit, per)
        request.add_response_callback(_set_headers(window))
        if window.exceeded:
            raise TooManyRequests(retry_after=max(1, window.reset - int(time.time())))
        return view(context, request)

    return wrapper


def includeme(config) -> None:
    config.registry["ratelimiter"] = RateLimiter(config.registry["counters"])
    config.add_view_deriver(rate_limited_view)
