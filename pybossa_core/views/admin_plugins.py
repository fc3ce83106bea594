"""``/admin/plugins``: the site's plugins as ``pybossa plugins`` lists them, for admins (HTML, or
JSON when asked): each registered plugin's version, kinds, status and what it registers; the
plugins left out and why; the disabled ones; and what is missing (statistics pages no plugin
computes, projects naming a scheduler or aggregator no plugin registers).
"""
from __future__ import annotations

from pybossa_core.i18n import _, english
from pybossa_core.interfaces import IPluginHooks, IStatsCalculators
from pybossa_core.plugin_api import STATS_FIGURES
from pybossa_core.plugins import DEFAULT_PLUGINS, REGISTRIES
from pybossa_core.security import ADMINISTER
from pybossa_core.services import figures
from pybossa_core.services.missing_plugins import projects_naming_missing

#: The registries each registration hook fills, by hook name.
KINDS = {registry.hook: name for name, registry in REGISTRIES.items()}


def plugin_json(hooks, info, statuses) -> dict:
    return {
        "name": info.name,
        "version": info.version,
        "distribution": info.distribution,
        "builtin": info.name in DEFAULT_PLUGINS,
        "status": statuses[info.name],
        "kinds": [KINDS[hook] for hook in info.hooks if hook in KINDS],
        "registers": [{"kind": REGISTRIES[offer.registry].label, "name": offer.key} for offer in hooks.registered_by(info.name)],
        "hooks": info.hooks,
    }


def plugins(request):
    """Return the plugins and their failures (for admins: ``security.ADMINISTER``)."""
    hooks = request.find_service(IPluginHooks)
    statuses = hooks.statuses()
    stats = request.find_service(IStatsCalculators)
    return {
        "title": _("Plugins"),
        "plugins": [plugin_json(hooks, info, statuses) for info in hooks.list_plugins()],
        "failed": [{"name": failure.name, "distribution": failure.distribution, "error": failure.error}
                   for failure in hooks.failed],
        "disabled": hooks.disabled,
        "unknown_disabled": hooks.unknown_disabled,
        "not_computed": [{"scope": scope, "message": english(figures.not_computed_message(scope))}
                         for scope in STATS_FIGURES if scope not in stats],
        "projects_missing_plugins": [missing.to_json() for missing in
                                     projects_naming_missing(request.dbsession, hooks.registries)],
    }


def includeme(config) -> None:
    config.add_route("admin.plugins", "/admin/plugins{slash:/?}")
    config.add_view(plugins, route_name="admin.plugins", request_method="GET", renderer="/admin/plugins.html",
                    permission=ADMINISTER)
