"""The pages plugins bring: each plugin package's ``templates/`` and ``static/`` folders.

As in Datasette, a plugin ships its pages inside its distribution and the core finds them
through :mod:`importlib.resources`, never by a path of its own:

- ``<package>/templates/<path>`` is the template ``plugins/<package>/<path>`` of the site's
  Jinja2 environment (so it may ``{% extends %}`` the core's templates, and the core's pages
  may include it);
- ``<package>/static/<path>`` is served at ``/static/plugins/<package>/<path>``
  (``plugin_static(package, path)`` in a template gives its URL).

Each kind of description with a page has a page name per name it registers (:data:`PAGES`),
drawn by the template the description names, else by the core's generic one:

- an importer's form is ``projects/importers/<name>.html`` (PYBOSSA's name, which its JSON
  answer keeps): ``ImporterSpec.form_template``, else ``projects/importers/_form.html``, which
  draws one field per node of the importer's colander schema;
- a presenter's entry in the presenter chooser is ``projects/presenters/<name>.html`` (PYBOSSA's
  name too): ``PresenterSpec.page_template``, else ``projects/presenters/_card.html`` (its title
  and description);
- a sign-in provider's button is ``account/providers/<name>.html``:
  ``AuthProviderSpec.button_template``, else ``account/providers/_button.html``;
- a statistics calculator's part of its scope's page is ``stats/parts/<scope>.html``:
  ``StatsSpec.page_template``, shown below the core's figures; without one there is none.

A theme's own file of a page's name still wins.
"""
from __future__ import annotations

from collections.abc import Mapping
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import NamedTuple

from jinja2 import BaseLoader, ChoiceLoader, TemplateNotFound
from pyramid.threadlocal import get_current_request
from pyramid_jinja2 import PARENT_RELATIVE_DELIM

from pybossa_core.interfaces import IPluginHooks, find_service

TEMPLATE_PREFIX = "plugins/"
STATIC_PREFIX = "static/plugins/"


class Page(NamedTuple):
    """The page of a kind of description: the field naming its own template, the page's name for
    a name it registers, and the core's page drawing one without a template (None: no page)."""

    field: str
    name: str
    generic: str | None


#: The pages descriptions may bring, by registry.
PAGES = {
    "importers": Page("form_template", "projects/importers/{}.html", "projects/importers/_form.html"),
    "presenters": Page("page_template", "projects/presenters/{}.html", "projects/presenters/_card.html"),
    "auth_providers": Page("button_template", "account/providers/{}.html", "account/providers/_button.html"),
    "stats": Page("page_template", "stats/parts/{}.html", None),
}


def page_name(registry: str, name: str) -> str:
    """The template name of the page of ``registry``'s description ``name``."""
    return PAGES[registry].name.format(name)


def importer_page(name: str) -> str:
    """The template name of importer ``name``'s form (PYBOSSA's)."""
    return page_name("importers", name)


class PluginTemplates(BaseLoader):
    """Loads ``plugins/<package>/<path>`` from the packages' ``templates/`` folders, and each
    alias (an importer's page) as the template it stands for."""

    def __init__(self, folders: Mapping[str, Traversable], aliases: Mapping[str, str]) -> None:
        self.folders, self.aliases = folders, aliases

    def get_source(self, environment, template):
        # A page's include or extends is named relative to its parent by pyramid_jinja2: the
        # site's names are from the root, so the parent is left off.
        template = template.split(PARENT_RELATIVE_DELIM, 1)[0]
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


def page_aliases(hooks) -> dict[str, str]:
    """Each page name of a registered description -> the template that draws it."""
    aliases = {}
    for registry, page in PAGES.items():
        for name, offer in hooks.offers_in_use(registry).items():
            own = getattr(offer.spec, page.field)
            target = f"{TEMPLATE_PREFIX}{offer.package}/{own}" if own and offer.package else page.generic
            # A description named as the generic page ("_form") is drawn by it, not by itself.
            if target is not None and target != page_name(registry, name):
                aliases[page_name(registry, name)] = target
    return aliases


def includeme(config) -> None:
    """Serve the plugins' static folders and add their templates to the Jinja2 environment.

    Included before the core's ``/static/`` view, which would otherwise answer their URLs.
    """
    hooks = find_service(config.registry, IPluginHooks)
    static = {}
    for package, folder in plugin_folders(hooks, "static").items():
        if isinstance(folder, Path):  # a zipped plugin's files have no path to serve from
            static[package] = folder
            config.add_static_view(f"{STATIC_PREFIX}{package}", str(folder), cache_max_age=3600)
    loader = PluginTemplates(plugin_folders(hooks, "templates"), page_aliases(hooks))

    def plugin_static(package: str, path: str) -> str:
        return get_current_request().static_path(str(static[package] / path))

    def add_loader() -> None:
        environment = config.get_jinja2_environment(".html")
        environment.loader = ChoiceLoader([environment.loader, loader])
        environment.globals["plugin_static"] = plugin_static

    # After pyramid_jinja2 has built the environment (its actions run at lower orders).
    config.action(None, add_loader, order=999)
