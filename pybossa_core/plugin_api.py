"""What plugins may import: the descriptions their hooks return, plugin errors, and settings.

Plugins import this module and ``pybossa_core.plugins`` (for ``hookimpl``) and nothing else
from the core, so the core can change its internals without breaking them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import colander

__all__ = [
    "AuthProviderSpec",
    "ImportFailed",
    "ImporterSpec",
    "PluginError",
    "PresenterSpec",
    "SchedulerSpec",
    "StatsSpec",
    "plugin_settings",
]


@dataclass(frozen=True)
class ImporterSpec:
    """A task importer: the form a project owner fills in and the tasks it produces.

    ``schema_factory`` returns a fresh colander schema for the import form (PYBOSSA's
    ``type=<name>`` form field selects the importer). ``tasks`` receives the validated form
    data and yields task dicts: ``{"info": {...}}`` plus any of the task fields
    ``n_answers``, ``priority_0``, ``quorum`` and ``calibration``. It raises
    :class:`ImportFailed` when the source cannot be turned into tasks.
    """

    name: str
    title: str
    schema_factory: Callable[[], colander.SchemaNode]
    tasks: Callable[[Mapping[str, Any]], Iterable[dict[str, Any]]]


@dataclass(frozen=True)
class PresenterSpec:
    """A task presenter a project owner can start from: its HTML/JS template and tutorial.

    The template uses the PYBOSSA browser library (``pybossa.run(...)``) and keeps the
    ``{{ project.short_name }}`` placeholder, which the core fills in when it renders the page.
    """

    name: str
    title: str
    description: str
    template: str
    tutorial: str = ""


@dataclass(frozen=True)
class AuthProviderSpec:
    """A sign-in provider: whether the settings enable it, where its login starts, and how
    its answer becomes a profile.

    ``fetch_profile`` turns the provider's token response into a profile dict with the keys
    ``provider``, ``external_id``, ``name``, ``fullname`` and ``tokens`` (and ``email`` when
    the provider gives one); it raises :class:`PluginError` when the response lacks what it
    needs.

    The sign-in round trip, served by the core at ``login_url`` and
    ``/account/<name>/oauth-authorized``, calls two more functions:

    - ``start(callback_url, state)`` returns ``(authorize_url, stash)``: where to send the
      visitor, and what to keep until they come back (an OAuth 1 request token secret,
      say); the core keeps ``stash`` in an encrypted cookie for ten minutes.
    - ``finish(params, stash, callback_url)`` receives the callback's query parameters and
      returns the profile, exchanging the code or verifier for tokens on the way; it raises
      :class:`PluginError` when the provider refuses.

    With ``checks_state`` (OAuth 2) the core refuses a callback whose ``state`` parameter
    is not the one it handed to ``start``; an OAuth 1 provider checks its request token in
    ``finish`` instead.
    """

    name: str
    title: str
    enabled: bool
    login_url: str
    fetch_profile: Callable[..., dict[str, Any]]
    start: Callable[[str, str], tuple[str, dict[str, Any]]] | None = None
    finish: Callable[[Mapping[str, str], Mapping[str, Any], str], dict[str, Any]] | None = None
    checks_state: bool = True


@dataclass(frozen=True)
class StatsSpec:
    """A statistics calculator for one scope.

    ``on_task_run`` updates the figures incrementally when a task run is saved;
    ``recompute`` rebuilds them from scratch in a background job. Either may be ``None``
    when the calculator does not work that way.
    """

    name: str
    scope: Literal["project", "site", "leaderboard", "dashboard"]
    on_task_run: Callable[..., Any] | None = None
    recompute: Callable[..., Any] | None = None


@dataclass(frozen=True)
class SchedulerSpec:
    """A task scheduler a project selects in ``info.sched``.

    ``pick`` receives a :class:`pybossa_core.services.scheduling.TaskRequest`
    and returns the tasks to hand out; ``allows_overfill`` lets answers to
    completed tasks count (for schedulers that offer them on purpose).
    """

    name: str
    title: str
    pick: Callable[..., Any]
    allows_overfill: bool = False


class PluginError(Exception):
    """Raised by plugin code when it cannot do what the core asked."""


class ImportFailed(PluginError):
    """Raised by an importer when its source cannot become tasks.

    The message is shown to the project owner, so it says what is wrong with their file or
    link and how to fix it, never a traceback.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def plugin_settings(settings: Mapping[str, Any], plugin_id: str) -> dict[str, str]:
    """Return the settings of plugin ``plugin_id`` as ``{key: value}``.

    Keys come from ``plugin.<id>.<key>`` in the ini file; an environment variable
    ``PYBOSSA_PLUGIN_<ID>_<KEY>`` (upper case, ``-`` in the id spelled ``_``) overrides the
    ini value. The overlay happens here rather than in the core's settings because only the
    plugin knows its id, which is what makes the variable name unambiguous to split.
    """
    prefix = f"plugin.{plugin_id}."
    values = {
        name.removeprefix(prefix): value
        for name, value in settings.items()
        if name.startswith(prefix)
    }
    env_prefix = f"PYBOSSA_PLUGIN_{plugin_id.upper().replace('-', '_')}_"
    values.update(
        (name.removeprefix(env_prefix).lower(), value)
        for name, value in os.environ.items()
        if name.startswith(env_prefix)
    )
    return values
