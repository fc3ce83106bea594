"""JSON or HTML for the web views, chosen per request, from the same context dict.

A web view returns a dict and names its template as its renderer
(``@view_config(..., renderer="account/register.html")``); the ``web_view``
deriver below adds ``template`` to the dict, as PYBOSSA's JSON has it, and
picks the renderer:

- JSON when the request has ``Content-Type: application/json``, prefers
  ``application/json`` in ``Accept``, or asks ``?response_format=json``
  (PYBOSSA's rule);
- otherwise the template, when its file exists (in the theme's folder,
  ``theme.templates``, or in ``pybossa_core/templates/``); a view whose
  template is not written yet answers JSON, so adding a page is adding its file.

A view that redirects returns :func:`redirect` (``{"next": url, ...}``, no
template): JSON clients get the dict, browsers a 302 to ``next`` (once the
view's template exists: until then the view is JSON-only and so is its redirect).
The redirect's ``flash`` and ``status`` are kept in the session cookie for the
next page the browser renders (``kept_flash``, shown once by ``base.html``).

Error views answer JSON; a browser (not under ``/api``, not asking for JSON)
gets the page ``<status>.html`` instead when it exists (403, 404 and 500).  The forbidden
view's sign-in redirect is answered as the refused view's would be (:func:`redirect_answer`).

Every HTML page sees ``csrf_token`` (the visitor's token, for forms and for the
``csrf-token`` meta tag that pybossa.js reads) beside Pyramid's ``request``.
Static files are served under ``/static/`` from ``pybossa_core/static/``, each
replaceable by a file of the same path in the ``theme.static`` folder; the plugins' pages and
static files come from their own packages (``plugin_pages``).
"""
from __future__ import annotations

import functools
import json
import os
import types
from typing import Any
from urllib.parse import quote

import orjson
from jinja2 import BaseLoader, TemplateNotFound
from markupsafe import Markup, escape
from pyramid.events import BeforeRender
from pyramid.httpexceptions import HTTPFound, HTTPMovedPermanently
from pyramid.interfaces import IRendererFactory
from pyramid.renderers import JSON
from pyramid.threadlocal import get_current_request
from pyramid_jinja2 import IJinja2Environment

from pybossa_core.csrf import is_api
from pybossa_core.i18n import LanguageTemplates, translate_messages
from pybossa_core.interfaces import IAuthProviders, IImporters, IPresenters, find_service
from pybossa_core.sessions import csrf_token, keep_flash, pop_flash
from pybossa_core.settings import SettingsError

TEMPLATE_SUFFIX = ".html"
STATIC_ASSETS = "pybossa_core:static/"
#: The old PYBOSSA theme's addresses of the assets published presenters load themselves, and
#: the site's file each now is (its presenter frame: views.presenter_frame).
CLASSIC_ASSETS = {
    "js/pybossa/pybossa.js": "js/pybossa.js",
    "js/pybossa-player/dist/pybossa-player.min.js": "js/pybossa-player.js",
    "js/pybossa-player/dist/pybossa-player.js": "js/pybossa-player.js",
    "js/throbber/throbber.js": "js/throbber.js",
    "vendor/jquery.js": "vendor/jquery2/jquery.min.js",
}


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


def template_exists(registry, name: str) -> bool:
    """Tell whether the template ``name`` has a file, looking once per site and name (the answer is kept)."""
    return _has_file(registry.queryUtility(IJinja2Environment, name=TEMPLATE_SUFFIX), name)


@functools.lru_cache(maxsize=4096)
def _has_file(environment, name: str) -> bool:
    try:
        environment.loader.get_source(environment, name)
        return True
    except TemplateNotFound:
        return False


def _html_template(request, name: str) -> str | None:
    """The template a browser's answer renders with, or None when the answer is JSON."""
    name = name.lstrip("/")
    if wants_json(request) or not template_exists(request.registry, name):
        return None
    return name


def web_view(view, info):
    """View deriver: JSON or the template for views whose renderer is a ``.html`` template."""
    renderer = info.options.get("renderer")
    name = getattr(renderer, "name", None)
    if info.exception_only:
        return error_page(view) if name == "json" else view
    if not name or not name.endswith(TEMPLATE_SUFFIX):
        return view

    def render_json_or_html(context, request):
        result = view(context, request)
        if isinstance(result, dict):
            translate_messages(request, result)
        if isinstance(result, Redirect):
            return redirect_answer(request, result, name)
        if isinstance(result, dict):
            result.setdefault("template", name)
            request.override_renderer = _html_template(request, result["template"]) or "json"
        return result

    return render_json_or_html


def redirect_answer(request, result: Redirect, template: str | None):
    """Answer a :func:`redirect` of a view whose template is ``template``: a 302 to ``next`` for a
    browser when the template exists (the flash kept for the next page), else the JSON."""
    if template is None or _html_template(request, template) is None:
        request.override_renderer = "json"
        return result
    if result.get("flash"):
        keep_flash(request, result["flash"], result.get("status"))
    found = HTTPFound(location=result["next"])
    # Cookies the view set (a protected project's unlocking) go with the redirect.
    for cookie in request.response.headers.getall("Set-Cookie"):
        found.headers.add("Set-Cookie", cookie)
    return found


def error_page(view):
    """Wrap an error view: browsers get the page ``<status>.html`` when it exists, others the JSON."""

    def render_error(context, request):
        result = view(context, request)
        if isinstance(result, dict) and not isinstance(result, Redirect):
            # Set either way: a template that failed to render may still be named on the request.
            template = None if is_api(request) else _html_template(request, f"{request.response.status_code}.html")
            request.override_renderer = template or "json"
        return result

    return render_error


#: Keys need not be strings (``json``'s behaviour); timestamps go to the renderer's adapters as before.
ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


def dumps(value: Any, default=None, **kw: Any) -> bytes:
    """Encode a JSON answer with orjson (a tenth of ``json.dumps``'s time on a page of objects);
    what orjson refuses (an integer beyond 64 bits in an ``info``) goes through ``json``."""
    try:
        return orjson.dumps(value, default=default, option=ORJSON_OPTIONS)
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(value, default=default).encode("utf-8")


def add_page_globals(event) -> None:
    """Give every HTML page the visitor's CSRF token (JSON answers never create one) and the
    flash message a redirect kept for it (``kept_flash``, shown once by base.html)."""
    if str(event.get("renderer_name", "")).endswith(TEMPLATE_SUFFIX):
        event["csrf_token"] = csrf_token(event["request"])
        event["kept_flash"] = pop_flash(event["request"])


def _page_csrf_token() -> str:
    """The CSRF token of the request being rendered, for macros imported without the page's context."""
    return csrf_token(get_current_request())


class _MissesKept(BaseLoader):
    """The site's template loader, remembering the names it did not find.

    The statistics pages include a plugin's part ``ignore missing``, and Jinja2 caches no miss: each
    view of the page searched every template folder again. Used only when templates are not
    reloaded, so the files are fixed for the life of the process.
    """

    def __init__(self, loader: BaseLoader):
        self.loader, self.missing = loader, set()

    def get_source(self, environment, template):
        if template in self.missing:
            raise TemplateNotFound(template)
        try:
            return self.loader.get_source(environment, template)
        except TemplateNotFound:
            self.missing.add(template)
            raise


def profile_link(name: str, fullname: str | None = None) -> Markup:
    """Filter: a user's name linking to their profile (not a macro: pages list many, and a macro
    call costs several times more)."""
    # escape() and an f-string: Markup.format runs Python's string.Formatter, five times dearer.
    return Markup(f'<a href="/account/{escape(quote(str(name), safe="/"))}/">{escape(fullname or name)}</a>')


def nav_link(href: str, text: str, current: bool, class_: str | None = None) -> Markup:
    """A link of the nav bar, marked ``aria-current`` when it leads to the page's section (a
    function, not a macro: every page draws seven or more, and a macro call costs several times more)."""
    attributes = (f' class="{escape(class_)}"' if class_ else "") + (' aria-current="page"' if current else "")
    return Markup(f'<a href="{escape(href)}"{attributes}>{escape(text)}</a>')


class _StaticPaths:
    """The templates' ``static_path(spec)``: ``request.static_path`` of the page being rendered,
    kept per application root and file. Every page names the same files, and Pyramid builds each
    address through its static route (a twentieth of ``/stats/``)."""

    def __init__(self):
        self.paths: dict[tuple[str, str], str] = {}

    def __call__(self, spec: str) -> str:
        request = get_current_request()
        key = (request.script_name, spec)
        try:
            return self.paths[key]
        except KeyError:
            path = self.paths[key] = request.static_path(spec)
            return path


def _add_template_globals(environment, registry) -> None:
    if not environment.auto_reload:
        environment.loader = _MissesKept(environment.loader)
    environment.globals["page_csrf_token"] = _page_csrf_token
    environment.globals["static_path"] = _StaticPaths()
    environment.filters["profile_link"] = profile_link
    environment.globals["nav_link"] = nav_link
    # The pages that offer an importer, a presenter or a sign-in provider list the installed ones.
    environment.globals["installed_importers"] = find_service(registry, IImporters)
    environment.globals["installed_presenters"] = find_service(registry, IPresenters)
    environment.globals["installed_auth_providers"] = find_service(registry, IAuthProviders)


def _by_search_path(factory, info):
    """Make the renderer of a core view's template, found on the search path alone.

    pyramid_jinja2 first tries the name as a file of the view's package
    (``pybossa_core.views:stats/global.html``): for the core's views, whose templates sit on the
    search path, that always fails, and Jinja2 caches no failure, so every page paid for a search
    of the file system and a TemplateNotFound (a tenth of ``/stats/``'s instructions). Plugins'
    views keep the package lookup.
    """
    if info.package is not None and info.package.__name__.partition(".")[0] == "pybossa_core":
        info = types.SimpleNamespace(name=info.name, package=None)
    return factory(info)


def _set_up_page_renderer(registry) -> None:
    """Pages find the core's templates by search path, compiled for their language."""
    factory = registry.getUtility(IRendererFactory, name=TEMPLATE_SUFFIX)
    factory.environment = LanguageTemplates(factory.environment)
    registry.registerUtility(functools.partial(_by_search_path, factory), IRendererFactory, name=TEMPLATE_SUFFIX)


def _moved_to(asset: str):
    """A view sending an old asset address to the site's file."""
    def moved(request):
        return HTTPMovedPermanently(location=request.static_path(asset))
    return moved


def _theme_folder(settings, name: str) -> str:
    """The folder a ``theme.*`` setting names, with a trailing separator; a missing one stops startup."""
    path = settings[name]
    if not os.path.isdir(path):
        raise SettingsError(f"{name}: {path!r} is not a folder")
    return os.path.join(os.path.abspath(path), "")


def includeme(config) -> None:
    settings = config.get_settings()
    config.add_renderer("json", JSON(serializer=dumps))
    config.include("pyramid_jinja2")
    config.add_jinja2_renderer(TEMPLATE_SUFFIX)
    config.add_jinja2_search_path("pybossa_core:templates", name=TEMPLATE_SUFFIX)
    if settings["theme.templates"]:
        config.add_jinja2_search_path(_theme_folder(settings, "theme.templates"), name=TEMPLATE_SUFFIX, prepend=True)
    config.add_subscriber(add_page_globals, BeforeRender)
    # After pyramid_jinja2 has built the environment (its actions run at lower orders).
    config.action(None, lambda: _add_template_globals(config.get_jinja2_environment(TEMPLATE_SUFFIX), config.registry),
                  order=999)
    config.action(None, lambda: _set_up_page_renderer(config.registry), order=999)
    # The plugins' templates and static files, their static views before the core's, which
    # would answer their URLs too.
    config.include("pybossa_core.plugin_pages")
    # The old theme's asset addresses, matched before the static view that would answer 404.
    for number, (old, new) in enumerate(sorted(CLASSIC_ASSETS.items())):
        config.add_route(f"static.classic.{number}", f"/static/{old}")
        config.add_view(_moved_to(STATIC_ASSETS + new), route_name=f"static.classic.{number}")
    # The site's static view (the API docs' Swagger UI is served from it too).
    config.add_static_view("static", STATIC_ASSETS, cache_max_age=3600)
    if settings["theme.static"]:
        config.override_asset(to_override=STATIC_ASSETS, override_with=_theme_folder(settings, "theme.static"))
    # Under rendered_view: the renderer it picks is the one that renders the dict.
    config.add_view_deriver(web_view, under="rendered_view", over="mapped_view")
