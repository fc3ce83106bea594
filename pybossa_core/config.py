"""Build the Pyramid configuration of a site from its settings."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pyramid.config import Configurator
from pyramid.events import ApplicationCreated

from pybossa_core.interfaces import IPluginHooks, find_request_service
from pybossa_core.plugins import REGISTRIES, load_plugins
from pybossa_core.redaction import protect
from pybossa_core.settings import load_settings


def configure(
    settings: Mapping[str, Any] | None = None,
    *,
    plugins: Iterable[object] = (),
    autoload_plugins: bool = True,
    environ: Mapping[str, str] | None = None,
) -> Configurator:
    """Return the configurator of a site: validated settings, then every area in order.

    ``plugins`` are extra plugin objects registered beside (or, with
    ``autoload_plugins=False``, instead of) the installed distributions.
    ``dbengine`` in ``settings`` replaces the engine (tests hand their own).
    """
    settings = dict(settings or {})
    dbengine = settings.pop("dbengine", None)
    settings = load_settings(settings, environ)
    settings["dbengine"] = dbengine
    # Before any plugin runs: no log line of this process shows a secret of these settings.
    protect(settings, environ)

    config = Configurator(settings=settings)
    # Every shared service is registered under its interface (pybossa_core.interfaces) by its
    # area's includeme, and found with request.find_service.
    config.include("pyramid_services")
    config.include("pybossa_core.routing")
    config.add_subscriber(_one_request_class, ApplicationCreated)
    config.add_request_method(find_request_service, "find_service")
    # Plugins first: the registries they fill (importers, presenters, ...) are read by the areas
    # below. Two plugins claiming one name stop startup, as does any failure with plugins.strict.
    hooks = load_plugins(settings, extra_plugins=plugins, autoload=autoload_plugins)
    hooks.check_startup(settings["plugins.strict"])
    config.register_service(hooks, IPluginHooks)
    for name, registry in hooks.registries.items():
        config.register_service(registry, REGISTRIES[name].iface)
    # The database session and its per-request transaction.
    config.include("pybossa_core.db")
    # The client's address (behind trusted proxies) and the Redis connection, if the site has one.
    config.include("pybossa_core.network")
    config.include("pybossa_core.services.shared_state")
    # The guarded fetcher's policy for importers (what they may reach, how long, how much).
    config.include("pybossa_core.outbound")
    # The services registered so far are found by the areas below while they are built.
    config.commit()
    # Cached site totals and leaderboard, and background jobs: in process, or in Redis and RQ with redis.url.
    config.include("pybossa_core.services.cache")
    config.include("pybossa_core.services.jobs")
    # Exports built once per project data generation (after the cache, whose generations they follow).
    config.include("pybossa_core.services.exports")
    # What happened (a project created, an answer, a task completed), announced to the plugins'
    # hooks after the commit and to the listeners: a project's webhook.
    config.include("pybossa_core.events")
    config.include("pybossa_core.services.webhooks")
    # Who is calling: API key, else the session cookie (kept in the database).
    config.include("pybossa_core.security")
    config.include("pybossa_core.sessions")
    # CSRF tokens on every POST to a view, and on API writes made with a session cookie.
    config.include("pybossa_core.csrf")
    # The error JSON for everything under /api.
    config.include("pybossa_core.errors")
    # A body no view could read (a multipart form without boundary, an unknown charset): 400 or 415.
    config.include("pybossa_core.content_types")
    # Uploaded files, stored and served under /uploads/.
    config.include("pybossa_core.services.uploads")
    # JSON or the template for the web views, per request.
    config.include("pybossa_core.renderers")
    config.include("pybossa_core.page_cache")
    # The catalogs, each request's locale, gettext and Babel in the templates (docs/i18n.md).
    config.include("pybossa_core.i18n")
    config.include("pybossa_core.security_headers")
    # E-mail (files under var/mail/ or SMTP) and the failed sign-in counter.
    config.include("pybossa_core.services.mail")
    config.include("pybossa_core.services.signin_throttle")
    # The REST API.
    config.include("pybossa_core.api")
    # The signed-in user's OAuth tokens, Disqus single sign-on and CernVM signing.
    config.include("pybossa_core.api.token")
    config.include("pybossa_core.api.disqus")
    config.include("pybossa_core.api.vmcp")
    # /api/openapi.json and /api/docs, generated from the routes and schemas above (and any added later).
    config.include("pybossa_core.api.openapi")
    # The statistics calculators' pages: a scope no plugin computes is logged here, once.
    config.include("pybossa_core.services.figures")
    # The web views: their routes' contexts and permissions, accounts, sign-in providers and projects.
    config.include("pybossa_core.contexts")
    config.include("pybossa_core.views")
    config.include("pybossa_core.views.account_leave")
    config.include("pybossa_core.views.category")
    config.include("pybossa_core.views.project")
    config.include("pybossa_core.views.project_owners")
    config.include("pybossa_core.views.review")
    config.include("pybossa_core.views.project_pages")
    config.include("pybossa_core.views.webhook")
    config.include("pybossa_core.views.auditlog")
    config.include("pybossa_core.views.contribute")
    config.include("pybossa_core.views.presenter_frame")
    config.include("pybossa_core.views.blog")
    config.include("pybossa_core.views.export")
    config.include("pybossa_core.views.quality")
    # /health and /ready, for orchestrators.
    config.include("pybossa_core.startup")
    # The site's own pages: home, stats, leaderboard, announcements, help.
    config.include("pybossa_core.views.site")
    # The language switcher's choice of a signed-in user (docs/i18n.md).
    config.include("pybossa_core.views.languages")
    # The failed background jobs, for admins.
    config.include("pybossa_core.views.admin_jobs")
    # The plugins, their failures and what the site lacks, for admins.
    config.include("pybossa_core.views.admin_plugins")
    config.include("pybossa_core.views.admin")
    config.commit()
    hooks.notify("on_startup", config=config)
    return config


def _one_request_class(event: ApplicationCreated) -> None:
    """Give the site's requests one class holding the request methods and properties the site and
    its plugins added (``add_request_method``): Pyramid makes a new class for each request to hold
    them (a ``type()`` call and a class for the garbage collector to free, 28 µs a request)."""
    router = event.app
    extensions = router.request_extensions
    if extensions is None:
        return
    base = router.request_factory
    router.request_factory = type(base.__name__, (base,), {
        "__module__": base.__module__, **extensions.methods, **extensions.descriptors,
    })
    router.request_extensions = None
