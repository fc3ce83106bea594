"""The pages plugins bring: each plugin package's ``templates/`` and ``static/`` folders.

As in Datasette, a plugin ships its pages inside its distribution and the core finds them
through :mod:`importlib.resources`, never by a path of its own:

- ``<package>/templates/<path>`` is the template ``plugins/<package>/<path>`` of the site's
  Jinja2 environment (so it may ``{% extends %}`` the core's templates, and the core's pages
  may include it);
- ``<package>/static/<path>`` is served at ``/static/plugins/<package>/<path>``
  (``plugin_static(package, path)`` in a template gives its URL).

An importer's form is the page ``projects/importers/<name>.html`` (PYBOSSA's name, which its
JSON answer keeps): the template its :class:`~pybossa_core.plugin_api.ImporterSpec` names in
``form_template``, else ``projects/importers/_form.html``, which draws one field per node of
the importer's colander schema. A theme's own ``projects/importers/<name>.html`` still wins.
"""
from __future__ import annotations

from collections.abc import Mapping
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from jinja2 import BaseLoader, ChoiceLoader, TemplateNotFound
from pyramid.threadlocal import get_current_request

#: The page an importer without a template of its own gets: a form drawn from its schema.
GENERIC_IMPORTER_FORM = "projects/importers/_form.html"
TEMPLATE_PREFIX = "plugins/"
STATIC_PREFIX = "static/plugins/"


def importer_page(name: str) -> str:
    """The template name of importer ``name``'s form (PYBOSSA's)."""
    return f"projects/importers/{name}.html"


class PluginTemplates(BaseLoader):
    """Loads ``plugins/<package>/<path>`` from the packages' ``templates/`` folders, and each
    alias (an importer's page) as the template it stands for."""

    def __init__(self, folders: Mapping[str, Traversable], aliases: Mapping[str, str]) -> None:
        self.folders, self.aliases = folders, aliases

    def get_source(self, environment, template):
        target = self.aliases.get(template)
        if target is not None:
            return environment.loader.get_source(environment, target)
        package, _, path = template.removeprefix(TEMPLATE_PREFIX).partition("/")
        folder = self.folders.get(package) if template.startswith(TEMPLATE_PREFIX) else None
        parts = path.split("/")
        if folder is None or any(part in ("", ".", "..") for part in parts):
            raise TemplateNotFound(template)
        resource = folder.joinpath(*parts)
        if not resource.is_file():
            raise TemplateNotFound(template)
        return resource.read_text(encoding="utf-8"), None, lambda: True


def plugin_folders(hooks, name: str) -> dict[str, Traversable]:
    """The ``name`` folder (``templates``, ``static``) of every plugin package that has one."""
    folders = {}
    for package in hooks.packages():
        folder = files(package) / name
        if folder.is_dir():
            folders[package] = folder
    return folders


def importer_aliases(hooks) -> dict[str, str]:
    """Each importer's page name -> the template that draws it."""
    aliases = {}
    for name, offer in hooks.offers_in_use("importers").items():
        own = offer.spec.form_template
        target = f"{TEMPLATE_PREFIX}{offer.package}/{own}" if own and offer.package else GENERIC_IMPORTER_FORM
        if importer_page(name) != target:
            aliases[importer_page(name)] = target
    return aliases


def includeme(config) -> None:
    """Serve the plugins' static folders and add their templates to the Jinja2 environment.

    Included before the core's ``/static/`` view, which would otherwise answer their URLs.
    """
    hooks = config.registry["plugins"]
    static = {}
    for package, folder in plugin_folders(hooks, "static").items():
        if isinstance(folder, Path):  # a zipped plugin's files have no path to serve from
            static[package] = folder
            config.add_static_view(f"{STATIC_PREFIX}{package}", str(folder), cache_max_age=3600)
    loader = PluginTemplates(plugin_folders(hooks, "templates"), importer_aliases(hooks))

    def plugin_static(package: str, path: str) -> str:
        return get_current_request().static_path(str(static[package] / path))

    def add_loader() -> None:
        environment = config.get_jinja2_environment(".html")
        environment.loader = ChoiceLoader([environment.loader, loader])
        environment.globals["plugin_static"] = plugin_static

    # After pyramid_jinja2 has built the environment (its actions run at lower orders).
    config.action(None, add_loader, order=999)
