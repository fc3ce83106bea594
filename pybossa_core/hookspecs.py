"""Every hook the core calls, and nothing else.

Hooks are called with keyword arguments; an implementation may accept any subset of a hook's
arguments, so arguments can be added later without breaking plugins. The core calls these
hooks only through :class:`pybossa_core.plugins.PluginHooks`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pybossa_core.markers import hookspec

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pyramid.config import Configurator

    from pybossa_core.plugin_api import (
        AggregatorSpec,
        AuthProviderSpec,
        ImporterSpec,
        PresenterSpec,
        SchedulerSpec,
        StatsSpec,
    )



# -------------------------------------------------------------------------------------------
# Registration hooks: called once at startup, each plugin on its own; what they return is
# indexed by name into registries on config.registry. A name two installed plugins return is a
# startup error (unless plugins.prefer picks one); an installed plugin may replace a built-in.
# -------------------------------------------------------------------------------------------


@hookspec
def register_importers(settings: Mapping[str, Any]) -> list[ImporterSpec]:
    """Return the task importers this plugin provides.

    Called once while the application is configured, before it serves any request.

    :param settings: The validated application settings; a network importer reads its own
        with :func:`~pybossa_core.plugin_api.plugin_settings` (base URLs, API keys) and
        binds them into its ``tasks`` function.
    :return: A list of :class:`~pybossa_core.plugin_api.ImporterSpec`; ``None`` or an empty
        list means the plugin provides no importer.

    A plugin that raises, or returns something else, is left out and listed as failed.
    """


@hookspec
def register_presenters() -> list[PresenterSpec]:
    """Return the task presenter templates this plugin provides.

    Called once while the application is configured, before it serves any request.

    :return: A list of :class:`~pybossa_core.plugin_api.PresenterSpec`; ``None`` or an empty
        list means the plugin provides no presenter.

    A plugin that raises, or returns something else, is left out and listed as failed.
    """


@hookspec
def register_auth_providers(settings: Mapping[str, Any]) -> list[AuthProviderSpec]:
    """Return the sign-in providers this plugin provides, enabled or not.

    Called once while the application is configured, before it serves any request.

    :param settings: The validated application settings; read your own with
        :func:`~pybossa_core.plugin_api.plugin_settings` to decide whether the provider is
        enabled (typically: are its credentials set).
    :return: A list of :class:`~pybossa_core.plugin_api.AuthProviderSpec`; ``None`` or an
        empty list means the plugin provides no provider. Return disabled providers too, so
        the site can say which ones exist but are not configured.

    A plugin that raises, or returns something else, is left out and listed as failed.
    """


@hookspec
def register_stats() -> list[StatsSpec]:
    """Return the statistics calculators this plugin provides.

    Called once while the application is configured, before it serves any request.

    :return: A list of :class:`~pybossa_core.plugin_api.StatsSpec`; ``None`` or an empty list
        means the plugin provides no calculator.

    A plugin that raises, or returns something else, is left out and listed as failed.
    """


@hookspec
def register_schedulers() -> list[SchedulerSpec]:
    """Return the task schedulers this plugin provides.

    Called once while the application is configured, before it serves any request. The
    core's own schedulers are registered the same way, as a built-in default plugin.

    :return: A list of :class:`~pybossa_core.plugin_api.SchedulerSpec`; ``None`` or an empty
        list means the plugin provides no scheduler.

    A plugin that raises, or returns something else, is left out and listed as failed.
    """


@hookspec
def register_aggregators() -> list[AggregatorSpec]:
    """Return the result aggregators this plugin provides.

    Called once while the application is configured, before it serves any request. The
    core's own ``majority`` is registered the same way, as a built-in default plugin.

    :return: A list of :class:`~pybossa_core.plugin_api.AggregatorSpec`; ``None`` or an empty
        list means the plugin provides no aggregator.

    Exceptions propagate and stop the application from starting.
    """


# -------------------------------------------------------------------------------------------
# Event hooks: tell plugins what happened; they decide nothing and return nothing. The core
# calls each implementation separately, logs an exception and goes on to the next one.
# -------------------------------------------------------------------------------------------


@hookspec
def on_startup(config: Configurator) -> None:
    """Act on the application being configured.

    Called once at the end of configuration, after the registries are built and before the
    first request.

    :param config: The Pyramid configurator of the application being built.
    :return: Nothing; a return value is ignored.

    An exception is logged and the other plugins are still called.
    """


@hookspec
def on_project_created(project_id: int, owner_id: int) -> None:
    """Act on a new project.

    Called after the transaction that created the project has committed; never called when
    it was rolled back.

    :param project_id: The id of the new project.
    :param owner_id: The id of the user who created it.
    :return: Nothing; a return value is ignored.

    An exception is logged and the other plugins are still called.
    """


@hookspec
def on_task_run_created(
    project_id: int, task_id: int, task_run_id: int, user_id: int | None
) -> None:
    """Act on a volunteer's answer (a task run) being saved.

    Called after the transaction that saved the task run has committed; never called when it
    was rolled back.

    :param project_id: The id of the task's project.
    :param task_id: The id of the answered task.
    :param task_run_id: The id of the new task run.
    :param user_id: The id of the volunteer, or ``None`` for an anonymous contribution.
    :return: Nothing; a return value is ignored.

    An exception is logged and the other plugins are still called.
    """


@hookspec
def on_task_completed(project_id: int, task_id: int, result_id: int) -> None:
    """Act on a task receiving all the answers it needs.

    Called after the transaction that completed the task and created its result has
    committed; never called when it was rolled back.

    :param project_id: The id of the task's project.
    :param task_id: The id of the completed task.
    :param result_id: The id of the result created for it.
    :return: Nothing; a return value is ignored.

    An exception is logged and the other plugins are still called.
    """
