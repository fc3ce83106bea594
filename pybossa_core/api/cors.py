"""Cross-origin use of ``/api``: presenters and apps on other sites call the API from browsers."""
from __future__ import annotations

from pyramid.events import NewResponse
from pyramid.response import Response

ALLOWED_HEADERS = "Content-Type, Authorization, X-CSRFToken"
ALLOWED_METHODS = "GET, POST, PUT, DELETE, OPTIONS"
EXPOSED_HEADERS = "X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset"


def is_api(request) -> bool:
    return request.path_info == "/api" or request.path_info.startswith("/api/")


def allowed_origin(request) -> str | None:
    """Return the ``Access-Control-Allow-Origin`` value for ``request``, None when its origin is not allowed."""
    origins = request.registry.settings["cors.origins"]
    if "*" in origins:
        return "*"
    origin = request.headers.get("Origin")
    return origin if origin in origins else None


def preflight_tween(handler, registry):
    """Answer CORS preflights under /api before routing (no view answers OPTIONS)."""

    def tween(request):
        if request.method == "OPTIONS" and is_api(request) and "Access-Control-Request-Method" in request.headers:
            response = Response(status=200)
            origin = allowed_origin(request)
            if origin is not None:
                response.headers.update({
                    "Access-Control-Allow-Origin": origin,
                    "Access-Control-Allow-Methods": ALLOWED_METHODS,
                    "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                    "Access-Control-Max-Age": "21600",
                })
                if origin != "*":
                    response.headers["Vary"] = "Origin"
            return response
        return handler(request)

    return tween


def add_cors_headers(event: NewResponse) -> None:
    request, response = event.request, event.response
    if not is_api(request):
        return
    origin = allowed_origin(request)
    if origin is not None:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        if origin != "*":
            response.headers["Vary"] = "Origin"


def includeme(config) -> None:
    config.add_tween("pybossa_core.api.cors.preflight_tween")
    config.add_subscriber(add_cors_headers, NewResponse)
