"""Build the Pyramid configuration of a site from its settings."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pyramid.config import Configurator

from pybossa_core.plugins import load_plugins
from pybossa_core.settings import load_settings


def by_name(specs: Iterable[Any]) -> dict[str, Any]:
    """Index plugin descriptions by name; the first wins, so installed plugins override built-in defaults."""
    registry: dict[str, Any] = {}
    for spec in specs:
        registry.setdefault(spec.name, spec)
    return registry


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

    config = Configurator(settings=settings)
    # Plugins first: the registries they fill are read by the areas below.
    hooks = load_plugins(settings, extra_plugins=plugins, autoload=autoload_plugins)
    config.registry["plugins"] = hooks
    config.registry["importers"] = by_name(hooks.register_importers())
    config.registry["presenters"] = by_name(hooks.register_presenters())
    config.registry["auth_providers"] = by_name(hooks.register_auth_providers(settings))
    config.registry["stats"] = by_name(hooks.register_stats())
    config.registry["schedulers"] = by_name(hooks.register_schedulers())
    # The database session and its per-request transaction.
    config.include("pybossa_core.db")
    # Who is calling (API key; sessions come with the account views).
    config.include("pybossa_core.security")
    # The error JSON for everything under /api.
    config.include("pybossa_core.errors")
    # Uploaded files, stored and served under /uploads/.
    config.include("pybossa_core.services.uploads")
    # The REST API.
    config.include("pybossa_core.api")
    config.commit()
    hooks.notify("on_startup", config=config)
    return config
