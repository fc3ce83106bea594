"""JSON or HTML for the web views, chosen per request, from the same context dict.

A web view returns a dict and names its template as its renderer
(``@view_config(..., renderer="account/register.html")``); the ``web_view``
deriver below adds ``template`` to the dict, as PYBOSSA's JSON has it, and
picks the renderer:

- JSON when the request has ``Content-Type: application/json``, prefers
  ``application/json`` in ``Accept``, or asks ``?response_format=json``
  (PYBOSSA's rule);
- otherwise the template, once a renderer for ``.html`` is registered
  (pyramid_jinja2 in a later step: adding it and the template files is all it
  takes).  Until then every web view answers JSON.

A view that redirects returns :func:`redirect` (``{"next": url, ...}``, no
template): JSON clients get the dict, browsers a 302 to ``next``.
"""
from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPFound
from pyramid.interfaces import IRendererFactory

TEMPLATE_SUFFIX = ".html"


class Redirect(dict):
    """A view's answer that sends the visitor on to ``next``."""


def redirect(url: str, *, status: str | None = None, flash: str | None = None, **extra: Any) -> Redirect:
    """Return PYBOSSA's redirect answer: ``next``, and ``status`` and ``flash`` when given."""
    result = Redirect(next=url)
    if flash is not None:
        result["flash"] = flash
    if status is not None:
        result["status"] = status
    result.update(extra)
    return result


def wants_json(request) -> bool:
    """Tell whether a web view should answer JSON rather than HTML."""
    if request.content_type == "application/json" or request.GET.get("response_format") == "json":
        return True
    offers = request.accept.acceptable_offers(["text/html", "application/json"])
    return bool(offers) and offers[0][0] == "application/json"


def _can_render_html(request) -> bool:
    return request.registry.queryUtility(IRendererFactory, name=TEMPLATE_SUFFIX) is not None


def web_view(view, info):
    """View deriver: JSON or the template for views whose renderer is a ``.html`` template."""
    renderer = info.options.get("renderer")
    name = getattr(renderer, "name", None)
    if not name or not name.endswith(TEMPLATE_SUFFIX) or info.exception_only:
        return view

    def render_json_or_html(context, request):
        result = view(context, request)
        if isinstance(result, Redirect):
            if wants_json(request) or not _can_render_html(request):
                request.override_renderer = "json"
                return result
            return HTTPFound(location=result["next"])
        if isinstance(result, dict):
            result.setdefault("template", name)
            if wants_json(request) or not _can_render_html(request):
                request.override_renderer = "json"
            else:
                request.override_renderer = result["template"].lstrip("/")
        return result

    return render_json_or_html


def includeme(config) -> None:
    # Under rendered_view: the renderer it picks is the one that renders the dict.
    config.add_view_deriver(web_view, under="rendered_view", over="mapped_view")
