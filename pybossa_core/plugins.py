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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import pluggy

from pybossa_core import hookspecs

if TYPE_CHECKING:
    import transaction

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
    "FailedPlugin",
    "PluginHooks",
    "PluginInfo",
    "hookimpl",
    "load_plugins",
]

hookimpl = pluggy.HookimplMarker("pybossa")

ENTRY_POINT_GROUP = "pybossa"

# Modules of the core registered as plugins after the installed ones; their hook
# implementations are marked trylast=True so an installed plugin is always called first.
DEFAULT_PLUGINS: tuple[str, ...] = (
    "pybossa_core.services.scheduling.builtin",
    "pybossa_core.services.aggregation.builtin",
)

EventName = Literal["on_startup", "on_project_created", "on_task_run_created", "on_task_completed"]

logger = logging.getLogger("pybossa_core.plugins")


@dataclass(frozen=True)
class PluginInfo:
    """A registered plugin as ``pybossa plugins`` shows it."""

    name: str
    version: str | None
    hooks: list[str]


@dataclass(frozen=True)
class FailedPlugin:
    """A plugin that could not be loaded or validated, and was left out."""

    name: str
    distribution: str | None
    error: str


class PluginHooks:
    """The typed facade over the plugin manager: one method per registration hook, and
    ``notify`` for event hooks, so the core never spells ``pm.hook.x(...)`` itself."""

    def __init__(
        self,
        pm: pluggy.PluginManager,
        failed: Sequence[FailedPlugin] = (),
        distributions: Mapping[str, importlib.metadata.Distribution] | None = None,
    ) -> None:
        self.pm = pm
        self.failed = list(failed)
        self._distributions = dict(distributions or {})

    def register_importers(self, settings: Mapping[str, Any] | None = None) -> list[ImporterSpec]:
        """Return every plugin's importers for these settings (none: no settings at all),
        installed plugins before built-in defaults."""
        return _flatten(self.pm.hook.register_importers(settings=settings or {}))

    def register_presenters(self) -> list[PresenterSpec]:
        """Return every plugin's presenters, installed plugins before built-in defaults."""
        return _flatten(self.pm.hook.register_presenters())

    def register_auth_providers(self, settings: Mapping[str, Any]) -> list[AuthProviderSpec]:
        """Return every plugin's sign-in providers, enabled or not, for these settings."""
        return _flatten(self.pm.hook.register_auth_providers(settings=settings))

    def register_stats(self) -> list[StatsSpec]:
        """Return every plugin's statistics calculators."""
        return _flatten(self.pm.hook.register_stats())

    def register_schedulers(self) -> list[SchedulerSpec]:
        """Return every plugin's schedulers, installed plugins before built-in defaults."""
        return _flatten(self.pm.hook.register_schedulers())

    def register_aggregators(self) -> list[AggregatorSpec]:
        """Return every plugin's result aggregators, installed plugins before built-in defaults."""
        return _flatten(self.pm.hook.register_aggregators())

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

    def notify_after_commit(
        self,
        transaction_manager: transaction.TransactionManager,
        event_name: EventName,
        **kwargs: Any,
    ) -> None:
        """Call :meth:`notify` once the current transaction has committed.

        An aborted or failed transaction never notifies, so plugins only hear about data that
        exists; the event's arguments are plain ids because the ORM objects are gone by then.
        """

        def after_commit(committed: bool) -> None:
            if committed:
                self.notify(event_name, **kwargs)

        transaction_manager.get().addAfterCommitHook(after_commit)

    def list_plugins(self) -> list[PluginInfo]:
        """Return the registered plugins with their versions and hooks; ``failed`` has the
        ones left out."""
        return [
            PluginInfo(
                name=name,
                version=self._distributions[name].version if name in self._distributions else None,
                hooks=sorted(caller.name for caller in self.pm.get_hookcallers(plugin) or ()),
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
    """Build the plugin manager and return its facade.

    Installed plugins come from the ``pybossa`` entry points (unless ``autoload`` is false)
    minus the names in the ``plugins.disabled`` setting; ``extra_plugins`` are registered as
    given, which is how tests choose exactly the plugins they exercise; the core's
    ``DEFAULT_PLUGINS`` come last. An installed plugin that fails to import or register, and
    any plugin implementing an unknown hook, is logged, left out and listed in ``failed``, so
    one broken plugin never stops the site.
    """
    pm = pluggy.PluginManager("pybossa")
    pm.add_hookspecs(hookspecs)
    for name in settings.get("plugins.disabled", []):
        pm.set_blocked(name)
    failed: list[FailedPlugin] = []
    distributions: dict[str, importlib.metadata.Distribution] = {}
    if autoload:
        _load_entry_points(pm, failed, distributions)
    for plugin in extra_plugins:
        pm.register(plugin)
    for module_name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(module_name), name=module_name)
    _drop_invalid_plugins(pm, failed, distributions)
    if os.environ.get("PYBOSSA_TRACE_PLUGINS") == "1":
        pm.add_hookcall_monitoring(_trace_before, _trace_after)
    return PluginHooks(pm, failed, distributions)


def _load_entry_points(
    pm: pluggy.PluginManager,
    failed: list[FailedPlugin],
    distributions: dict[str, importlib.metadata.Distribution],
) -> None:
    """Register the ``pybossa`` entry points one by one.

    pluggy's ``load_setuptools_entrypoints`` stops at the first plugin that fails to import,
    which would take the whole site down with it; here that plugin is recorded and skipped.
    """
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if pm.is_blocked(entry_point.name):
            continue
        try:
            pm.register(entry_point.load(), name=entry_point.name)
        except Exception as exc:
            _record_failure(failed, entry_point.name, entry_point.dist, exc)
        else:
            if entry_point.dist is not None:
                distributions[entry_point.name] = entry_point.dist


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
            _record_failure(failed, name, distributions.pop(name, None), exc)
        else:
            return


def _record_failure(
    failed: list[FailedPlugin],
    name: str,
    distribution: importlib.metadata.Distribution | None,
    exc: Exception,
) -> None:
    """Log a plugin that is left out and add it to ``failed``."""
    dist_name = distribution.name if distribution is not None else None
    logger.error("plugin %s (distribution %s) left out: %s", name, dist_name, exc, exc_info=exc)
    failed.append(FailedPlugin(name, dist_name, f"{type(exc).__name__}: {exc}"))


def _flatten(results: Iterable[list[Any]]) -> list[Any]:
    """Join the lists of a registration hook (pluggy already drops the ``None`` results)."""
    return [spec for specs in results for spec in specs]


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
