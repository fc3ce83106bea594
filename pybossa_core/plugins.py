"""Plugin loading and the typed facade through which the core calls hooks.

A plugin distribution registers a module in the ``pybossa`` entry-point group::

    [project.entry-points.pybossa]
    importer-csv = "pybossa_importer_csv"

and marks its hook implementations with :data:`hookimpl`. The core builds the plugin manager
in ``configure()`` with :func:`load_plugins`, never at import time, and calls hooks only
through the :class:`PluginHooks` it returns.
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import pluggy
from pyramid.i18n import TranslationString
from zope.interface import Interface

from pybossa_core import hookspecs
from pybossa_core.i18n import _
from pybossa_core.markers import hookimpl
from pybossa_core.interfaces import (
    IAggregators,
    IAuthProviders,
    IImporters,
    IPresenters,
    ISchedulers,
    IStatsCalculators,
)

if TYPE_CHECKING:
    from pybossa_core.plugin_api import (
        AggregatorSpec,
        AuthProviderSpec,
        ImporterSpec,
        PresenterSpec,
        SchedulerSpec,
        StatsSpec,
    )

__all__ = [
    "DEFAULT_PLUGINS",
    "REGISTRIES",
    "Conflict",
    "FailedPlugin",
    "Offer",
    "Override",
    "PluginFailed",
    "PluginHooks",
    "PluginInfo",
    "PluginStartupError",
    "hookimpl",
    "load_plugins",
    "not_installed",
]


ENTRY_POINT_GROUP = "pybossa"

# Modules of the core registered as plugins after the installed ones; their hook
# implementations are marked trylast=True so an installed plugin is always called first.
DEFAULT_PLUGINS: tuple[str, ...] = (
    "pybossa_core.services.scheduling.builtin",
    "pybossa_core.services.aggregation.builtin",
)


class Registry(NamedTuple):
    """What one registration hook fills: its hook, the ``plugin_api`` class of what it returns,
    the attribute a description is known by, and what a message calls one."""

    hook: str
    spec_class: str
    key: str
    label: str
    #: The interface the registry is registered under as a service (``pybossa_core.interfaces``).
    iface: type[Interface]


#: The registries the registration hooks fill, by name; each a service under its interface.
REGISTRIES: dict[str, Registry] = {
    "importers": Registry("register_importers", "ImporterSpec", "name", _("importer"), IImporters),
    "presenters": Registry("register_presenters", "PresenterSpec", "name", _("presenter"), IPresenters),
    "auth_providers": Registry("register_auth_providers", "AuthProviderSpec", "name", _("sign-in provider"), IAuthProviders),
    # One statistics calculator per scope: the page it computes.
    "stats": Registry("register_stats", "StatsSpec", "scope", _("statistics scope"), IStatsCalculators),
    "schedulers": Registry("register_schedulers", "SchedulerSpec", "name", _("scheduler"), ISchedulers),
    "aggregators": Registry("register_aggregators", "AggregatorSpec", "name", _("aggregator"), IAggregators),
}

def not_installed(registry: str, name: object, example: str | None = None) -> TranslationString:
    """Say that the ``registry`` description ``name`` a request or a project asks for is not on
    this site, and what its administrator does about it (``example``: a distribution to name);
    :func:`pybossa_core.i18n.english` gives its English text."""
    mapping = {"kind": REGISTRIES[registry].label, "name": name, "example": example}
    if example:
        return _("The ${kind} ${name} is not installed on this site: its administrator needs to install the plugin "
                 "that provides it (such as ${example}) and restart the site.", mapping=mapping)
    return _("The ${kind} ${name} is not installed on this site: its administrator needs to install the plugin "
             "that provides it and restart the site.", mapping=mapping)


EventName = Literal["on_startup", "on_project_created", "on_task_run_created", "on_task_completed"]

logger = logging.getLogger("pybossa_core.plugins")


class PluginFailed(Exception):
    """A plugin's registration hook raised or returned something else than its descriptions."""


class PluginStartupError(Exception):
    """The plugins stop the site from starting: two claim one name, or (``plugins.strict``)
    one failed. The message names every plugin concerned."""


@dataclass(frozen=True)
class PluginInfo:
    """A registered plugin as ``pybossa plugins`` shows it."""

    name: str
    version: str | None
    hooks: list[str]
    #: The installed distribution that holds it (None for the core's and a test's own).
    distribution: str | None = None


@dataclass(frozen=True)
class FailedPlugin:
    """A plugin that could not be loaded, validated or registered, and was left out."""

    name: str
    distribution: str | None
    error: str


@dataclass(frozen=True)
class Offer:
    """One description a plugin registered, and which plugin it came from."""

    registry: str
    spec: Any
    plugin: str
    distribution: str | None
    builtin: bool
    #: The Python package whose ``templates/`` and ``static/`` folders hold the plugin's pages.
    package: str | None = None

    @property
    def key(self) -> str:
        return getattr(self.spec, REGISTRIES[self.registry].key)

    @property
    def source(self) -> str:
        """The plugin as a message names it: its name and, when installed, its distribution."""
        return f"{self.plugin} ({self.distribution})" if self.distribution else self.plugin


@dataclass(frozen=True)
class Override:
    """A name registered by more than one plugin, where one wins: over a built-in default,
    or as chosen by ``plugins.prefer``."""

    winner: Offer
    others: tuple[Offer, ...]

    def __str__(self) -> str:
        label = REGISTRIES[self.winner.registry].label
        return f"{label} {self.winner.key} of {', '.join(other.plugin for other in self.others)}"


@dataclass(frozen=True)
class Conflict:
    """A name registered by two or more installed plugins, none of them preferred."""

    offers: tuple[Offer, ...]

    def __str__(self) -> str:
        label = REGISTRIES[self.offers[0].registry].label
        sources = " and ".join(offer.source for offer in self.offers)
        return (
            f"{label} {self.offers[0].key!r} is registered by {sources}: uninstall or disable "
            "(plugins.disabled) all but one, or name the one to use in plugins.prefer"
        )


class PluginHooks:
    """The typed facade over the plugin manager: one method per registration hook, and
    ``notify`` for event hooks, so the core never spells ``pm.hook.x(...)`` itself.

    ``registries`` holds what the registration hooks returned at load time, by registry and
    name, with ``overrides`` and ``conflicts`` saying where plugins claimed one name.
    """

    def __init__(
        self,
        pm: pluggy.PluginManager,
        failed: Sequence[FailedPlugin] = (),
        distributions: Mapping[str, importlib.metadata.Distribution] | None = None,
        settings: Mapping[str, Any] | None = None,
        disabled: Sequence[str] = (),
        unknown_disabled: Sequence[str] = (),
    ) -> None:
        self.pm = pm
        self.failed = list(failed)
        self.settings = dict(settings or {})
        #: Installed plugins that ``plugins.disabled`` kept out.
        self.disabled = list(disabled)
        #: Names in ``plugins.disabled`` that match no installed plugin (misspelled, or uninstalled).
        self.unknown_disabled = list(unknown_disabled)
        self._distributions = dict(distributions or {})
        self.registries: dict[str, dict[str, Any]] = {name: {} for name in REGISTRIES}
        self._in_use: dict[str, dict[str, Offer]] = {name: {} for name in REGISTRIES}
        self.overrides: list[Override] = []
        self.conflicts: list[Conflict] = []

    def register_importers(self, settings: Mapping[str, Any] | None = None) -> list[ImporterSpec]:
        """Return every plugin's importers for these settings (default: the ones the plugins
        were loaded with), installed plugins before built-in defaults."""
        return self._specs("importers", settings)

    def register_presenters(self) -> list[PresenterSpec]:
        """Return every plugin's presenters, installed plugins before built-in defaults."""
        return self._specs("presenters")

    def register_auth_providers(self, settings: Mapping[str, Any] | None = None) -> list[AuthProviderSpec]:
        """Return every plugin's sign-in providers, enabled or not, for these settings
        (default: the ones the plugins were loaded with)."""
        return self._specs("auth_providers", settings)

    def register_stats(self) -> list[StatsSpec]:
        """Return every plugin's statistics calculators."""
        return self._specs("stats")

    def register_schedulers(self) -> list[SchedulerSpec]:
        """Return every plugin's schedulers, installed plugins before built-in defaults."""
        return self._specs("schedulers")

    def register_aggregators(self) -> list[AggregatorSpec]:
        """Return every plugin's result aggregators, installed plugins before built-in defaults."""
        return self._specs("aggregators")

    def _specs(self, registry: str, settings: Mapping[str, Any] | None = None) -> list[Any]:
        """Call one registration hook anew; a plugin that fails raises :class:`PluginFailed`."""

        def fail(name: str, error: str, exc: Exception | None) -> None:
            raise PluginFailed(f"plugin {name}: {error}") from exc

        offers = self._offers(registry, self.settings if settings is None else settings, fail)
        return [offer.spec for offer in offers]

    def _offers(
        self, registry: str, settings: Mapping[str, Any], fail: Callable[[str, str, Exception | None], None]
    ) -> list[Offer]:
        """Call each plugin's implementation of ``registry``'s hook on its own and check what it
        returns, so a failure is pinned on its plugin (``fail(name, error, exception)``)."""
        from pybossa_core import plugin_api

        hook_name, class_name, key = REGISTRIES[registry][:3]
        spec_class = getattr(plugin_api, class_name)
        hook = getattr(self.pm.hook, hook_name)
        impls = hook.get_hookimpls()
        kwargs = {"settings": settings} if "settings" in hook.spec.argnames else {}
        offers = []
        for impl in reversed(impls):  # pluggy's call order: installed plugins first, trylast ones last
            others = [other.plugin for other in impls if other is not impl]
            try:
                results = self.pm.subset_hook_caller(hook_name, remove_plugins=others)(**kwargs)
            except Exception as exc:
                fail(impl.plugin_name, f"{hook_name} raised {_one_line(exc)}", exc)
                continue
            specs = results[0] if results else []
            if not isinstance(specs, (list, tuple)) or not all(
                isinstance(spec, spec_class) and isinstance(getattr(spec, key), str) for spec in specs
            ):
                fail(impl.plugin_name, f"{hook_name} returned {_describe(specs)}, not a list of {class_name}", None)
                continue
            distribution = self._distributions.get(impl.plugin_name)
            offers.extend(
                Offer(registry, spec, impl.plugin_name, distribution.name if distribution else None,
                      builtin=impl.plugin_name in DEFAULT_PLUGINS, package=_package_of(impl.plugin))
                for spec in specs
            )
        return offers

    def _build_registries(self, prefer: Sequence[str]) -> None:
        """Call every registration hook once, leave out the plugins that fail, and index what
        the others registered by name; a name two installed plugins claim is a conflict
        unless ``prefer`` names exactly one of them, and a built-in default gives way."""
        failures: dict[str, tuple[str, Exception | None]] = {}

        def fail(name: str, error: str, exc: Exception | None) -> None:
            failures.setdefault(name, (error, exc))

        offers = {registry: self._offers(registry, self.settings, fail) for registry in REGISTRIES}
        for name, (error, exc) in failures.items():
            distribution = self._distributions.pop(name, None)
            self.pm.unregister(name=name)
            _record_failure(self.failed, name, distribution, error, exc)
        for registry, registered in offers.items():
            claims: dict[str, list[Offer]] = {}
            for offer in registered:
                if offer.plugin not in failures:
                    claims.setdefault(offer.key, []).append(offer)
            for key, claimants in claims.items():
                installed = [offer for offer in claimants if not offer.builtin]
                preferred = [offer for offer in installed if offer.plugin in prefer]
                if len(installed) > 1 and len(preferred) != 1:
                    self.conflicts.append(Conflict(tuple(installed)))
                    logger.error("%s", self.conflicts[-1])
                    continue
                winner = preferred[0] if len(installed) > 1 else claimants[0]
                self.registries[registry][key] = winner.spec
                self._in_use[registry][key] = winner
                if len(claimants) > 1:
                    self.overrides.append(Override(winner, tuple(o for o in claimants if o is not winner)))
                    logger.warning("plugin %s overrides %s", winner.plugin, self.overrides[-1])

    def offers_in_use(self, registry: str) -> dict[str, Offer]:
        """The offers ``registries[registry]`` holds, by name: which plugin each came from."""
        return dict(self._in_use[registry])

    def registered_by(self, plugin: str) -> list[Offer]:
        """What ``plugin`` registered that is in use, registry by registry."""
        return [offer for offers in self._in_use.values() for offer in offers.values() if offer.plugin == plugin]

    def statuses(self) -> dict[str, list[str]]:
        """What ``pybossa plugins`` and the admin page say of each registered plugin: ``OK``, or
        each ``OVERRIDES <kind> <name> of <other>`` and ``CONFLICT <kind> <name> with <other>``."""
        notes: dict[str, list[str]] = {}
        for override in self.overrides:
            notes.setdefault(override.winner.plugin, []).append(f"OVERRIDES {override}")
        for conflict in self.conflicts:
            for offer in conflict.offers:
                others = ", ".join(other.plugin for other in conflict.offers if other is not offer)
                notes.setdefault(offer.plugin, []).append(
                    f"CONFLICT {REGISTRIES[offer.registry].label} {offer.key} with {others}"
                )
        return {info.name: notes.get(info.name, ["OK"]) for info in self.list_plugins()}

    def packages(self) -> list[str]:
        """The Python packages of the registered plugins (the core's own left out), whose
        ``templates/`` and ``static/`` folders hold the plugins' pages."""
        found = {_package_of(plugin) for _, plugin in self.pm.list_name_plugin() if plugin is not None}
        return sorted(package for package in found if package and package.partition(".")[0] != "pybossa_core")

    def check_startup(self, strict: bool) -> None:
        """Raise :class:`PluginStartupError` when plugins conflict or, with ``strict``
        (``plugins.strict``), when one failed."""
        problems = [str(conflict) for conflict in self.conflicts]
        if strict:
            problems += [f"plugin {failure.name} failed: {failure.error}" for failure in self.failed]
        if problems:
            raise PluginStartupError("; ".join(problems))

    def notify(self, event_name: EventName, **kwargs: Any) -> None:
        """Call every implementation of an event hook, each on its own.

        pluggy stops a hook call at the first exception; an event must reach every plugin, so
        each implementation is called through a caller that leaves the others out (which
        keeps ``PYBOSSA_TRACE_PLUGINS`` tracing it), and an exception is logged before going
        on to the next one. Wrong arguments are the core's bug and raise ``TypeError``.
        """
        hook = getattr(self.pm.hook, event_name)
        if set(kwargs) != set(hook.spec.argnames):
            raise TypeError(f"{event_name} takes {hook.spec.argnames}, got {sorted(kwargs)}")
        impls = hook.get_hookimpls()
        for impl in impls:
            others = [other.plugin for other in impls if other is not impl]
            call_one = self.pm.subset_hook_caller(event_name, remove_plugins=others)
            try:
                call_one(**kwargs)
            except Exception:
                logger.exception("plugin %s failed in %s", impl.plugin_name, event_name)

    def list_plugins(self) -> list[PluginInfo]:
        """Return the registered plugins with their versions and hooks; ``failed`` has the
        ones left out."""
        return [
            PluginInfo(
                name=name,
                version=self._distributions[name].version if name in self._distributions else None,
                hooks=sorted(caller.name for caller in self.pm.get_hookcallers(plugin) or ()),
                distribution=self._distributions[name].name if name in self._distributions else None,
            )
            for name, plugin in self.pm.list_name_plugin()
            if plugin is not None  # pluggy keeps a blocked name as name -> None
        ]


def load_plugins(
    settings: Mapping[str, Any],
    *,
    extra_plugins: Iterable[object] = (),
    autoload: bool = True,
) -> PluginHooks:
    """Build the plugin manager, call the registration hooks, and return the facade.

    Installed plugins come from the ``pybossa`` entry points (unless ``autoload`` is false)
    minus the names in the ``plugins.disabled`` setting; ``extra_plugins`` are registered as
    given, which is how tests choose exactly the plugins they exercise; the core's
    ``DEFAULT_PLUGINS`` come last. An installed plugin that fails to import or register, any
    plugin implementing an unknown hook, and any plugin whose registration hook raises or
    returns something else than its descriptions, is logged, left out and listed in
    ``failed``, so one broken plugin never stops the site (unless ``plugins.strict``: see
    :meth:`PluginHooks.check_startup`).
    """
    pm = pluggy.PluginManager("pybossa")
    pm.add_hookspecs(hookspecs)
    for name in settings.get("plugins.disabled", []):
        pm.set_blocked(name)
    failed: list[FailedPlugin] = []
    distributions: dict[str, importlib.metadata.Distribution] = {}
    disabled: list[str] = []
    unknown_disabled: list[str] = []
    if autoload:
        disabled = _load_entry_points(pm, failed, distributions)
        unknown_disabled = [name for name in settings.get("plugins.disabled", []) if name not in disabled]
        for name in unknown_disabled:
            logger.warning("plugins.disabled names %s, which is no installed plugin", name)
    for plugin in extra_plugins:
        pm.register(plugin)
    for module_name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(module_name), name=module_name)
    _drop_invalid_plugins(pm, failed, distributions)
    if os.environ.get("PYBOSSA_TRACE_PLUGINS") == "1":
        pm.add_hookcall_monitoring(_trace_before, _trace_after)
    hooks = PluginHooks(pm, failed, distributions, settings, disabled, unknown_disabled)
    hooks._build_registries(settings.get("plugins.prefer", []))
    return hooks


def _load_entry_points(
    pm: pluggy.PluginManager,
    failed: list[FailedPlugin],
    distributions: dict[str, importlib.metadata.Distribution],
) -> list[str]:
    """Register the ``pybossa`` entry points one by one; return the names left out as disabled.

    pluggy's ``load_setuptools_entrypoints`` stops at the first plugin that fails to import,
    which would take the whole site down with it; here that plugin is recorded and skipped.
    """
    disabled = []
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if pm.is_blocked(entry_point.name):
            disabled.append(entry_point.name)
            continue
        try:
            pm.register(entry_point.load(), name=entry_point.name)
        except Exception as exc:
            _record_failure(failed, entry_point.name, entry_point.dist, _one_line(exc), exc)
        else:
            if entry_point.dist is not None:
                distributions[entry_point.name] = entry_point.dist
    return disabled


def _drop_invalid_plugins(
    pm: pluggy.PluginManager,
    failed: list[FailedPlugin],
    distributions: dict[str, importlib.metadata.Distribution],
) -> None:
    """Unregister each plugin implementing a hook no spec declares (a misspelled hook).

    ``check_pending`` raises for one plugin at a time, so it is asked again until it passes.
    """
    while True:
        try:
            pm.check_pending()
        except pluggy.PluginValidationError as exc:
            name = pm.get_name(exc.plugin)
            assert name is not None, "check_pending reports registered plugins only"
            pm.unregister(exc.plugin)
            _record_failure(failed, name, distributions.pop(name, None), _one_line(exc), exc)
        else:
            return


def _record_failure(
    failed: list[FailedPlugin],
    name: str,
    distribution: importlib.metadata.Distribution | None,
    error: str,
    exc: Exception | None = None,
) -> None:
    """Log a plugin that is left out and add it to ``failed``."""
    dist_name = distribution.name if distribution is not None else None
    logger.error("plugin %s (distribution %s) left out: %s", name, dist_name, error, exc_info=exc)
    failed.append(FailedPlugin(name, dist_name, error))


def _package_of(plugin: object) -> str | None:
    """The package a plugin module belongs to (itself, for a package); None for other objects."""
    if not isinstance(plugin, types.ModuleType):
        return None
    return plugin.__package__ or None


def _one_line(exc: BaseException) -> str:
    """An exception as one line: its type and its message with the line breaks folded."""
    return " ".join(f"{type(exc).__name__}: {exc}".split())


def _describe(value: Any) -> str:
    """What a registration hook returned, for its error message."""
    if isinstance(value, (list, tuple)):
        kinds = sorted({type(item).__name__ for item in value})
        return f"a list of {', '.join(kinds)}"
    return f"a {type(value).__name__}"


def _trace_before(
    hook_name: str, hook_impls: Sequence[pluggy.HookImpl], kwargs: Mapping[str, Any]
) -> None:
    plugin_names = [impl.plugin_name for impl in hook_impls]
    logger.debug("calling %s(%r) on %s", hook_name, dict(kwargs), plugin_names)


def _trace_after(
    outcome: pluggy.Result[Any],
    hook_name: str,
    hook_impls: Sequence[pluggy.HookImpl],
    kwargs: Mapping[str, Any],
) -> None:
    if outcome.exception is not None:
        logger.debug("%s raised %r", hook_name, outcome.exception)
    else:
        logger.debug("%s returned %r", hook_name, outcome.get_result())
