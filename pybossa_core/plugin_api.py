"""What plugins may import: the ``hookimpl`` marker, the descriptions their hooks return, plugin
errors, settings, and the helpers importers share (fetching from a web service, the fields of a
file's kind).

Plugins import this module (and ``pybossa_core.testing`` in their tests) and nothing else from
the core, so the core can change its internals without breaking them.
"""

from __future__ import annotations

import dataclasses
import json
import os
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypedDict

from pyramid.i18n import TranslationString

from pybossa_core import interfaces, models, outbound
from pybossa_core.i18n import _, english
from pybossa_core.outbound import Response as FetchedResponse
from pybossa_core.markers import hookimpl
from pybossa_core.models import figure_counts as counters

if TYPE_CHECKING:
    import colander

__all__ = [
    "PLUGIN_API_VERSION",
    "Aggregate",
    "AggregatorSpec",
    "AuthProviderSpec",
    "Chart",
    "DashboardFigures",
    "FetchFailed",
    "FetchedResponse",
    "ImportFailed",
    "ImporterSpec",
    "PluginError",
    "PresenterSpec",
    "ProjectFigures",
    "STATS_FIGURES",
    "SchedulerSpec",
    "SeriesChart",
    "SiteFigures",
    "SiteTotals",
    "StatsScope",
    "StatsSpec",
    "Vote",
    "counters",
    "exact_match",
    "plurality",
    "tally",
    "fetch",
    "fetch_json",
    "fetch_response",
    "hookimpl",
    "interfaces",
    "media_fields",
    "models",
    "plugin_settings",
]

#: The version of what plugins may import (this module and ``pybossa_core.testing``): every
#: pybossa-core release ``<PLUGIN_API_VERSION>.x`` keeps it, so a plugin depends on
#: ``pybossa-core>=0.1,<0.2`` (the next version may change it).
PLUGIN_API_VERSION = "0.1"

#: File name extensions by the ``info`` field PYBOSSA's presenters read a file of that kind from.
MEDIA_EXTENSIONS = {
    "pdf_url": frozenset({".pdf"}),
    "audio_url": frozenset({".mp4", ".m4a", ".ogg", ".oga", ".webm", ".wav", ".mp3"}),
    "video_url": frozenset({".mp4", ".m4v", ".ogg", ".ogv", ".webm", ".avi"}),
}
IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".gif"})


@dataclass(frozen=True)
class ImporterSpec:
    """A task importer: the form a project owner fills in and the tasks it produces.

    ``schema_factory`` returns a fresh colander schema for the import form (PYBOSSA's
    ``type=<name>`` form field selects the importer). ``tasks`` receives the validated form
    data and yields task dicts: ``{"info": {...}}`` plus any of the task fields
    ``n_answers``, ``priority_0``, ``quorum``, ``calibration`` and ``gold_answers`` (a gold
    task's expected answer: ``calibration = 1`` needs it). It raises
    :class:`ImportFailed` when the source cannot be turned into tasks. An importer needing
    settings (a service's URL or key) receives them in the ``register_importers`` hook and
    binds them into ``tasks``.

    ``form_template`` names the template of its form in the plugin package's ``templates/``
    folder (``"form.html"``); without one the site draws the form from the schema.
    """

    name: str
    title: str
    schema_factory: Callable[[], colander.SchemaNode]
    tasks: Callable[[Mapping[str, Any]], Iterable[dict[str, Any]]]
    form_template: str | None = None


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
    #: Its entry in the presenter chooser, a template in the plugin package's ``templates/``
    #: folder (it sees ``presenter``, this spec, and ``editor_url``); without one, its title
    #: and description.
    page_template: str | None = None


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
    #: Its button on the sign-in page, a template in the plugin package's ``templates/`` folder
    #: (it sees ``provider``, this spec, and ``login_url``, with the page's ``next``); without
    #: one, a button with its title.
    button_template: str | None = None


#: The pages a statistics calculator computes: a project's, the site's ``/stats/`` and the admin dashboard.
StatsScope = Literal["project", "site", "dashboard"]


class Chart(TypedDict):
    """A pie or bar chart as PYBOSSA draws it: ``values`` are ``{"label", "value": [x, y]}``."""

    label: str
    values: list[dict[str, Any]]


class SeriesChart(TypedDict):
    """A chart of the dashboard: one label per day (or bucket) and one list of numbers per series."""

    labels: list[str]
    series: list[list[int]]


class ProjectFigures(TypedDict):
    """What a ``project`` calculator returns (or ``None`` before the project's first answer).

    The page also shows the project's own totals (tasks, answers, volunteers, progress), which
    the core counts itself.
    """

    #: Seconds an answer took on average.
    avg_contrib_time: float
    #: The charts: ``userStats``, ``userAnonStats``, ``userAuthStats`` (:class:`Chart` with
    #: ``top5``), ``dayStats`` and ``hourStats`` (lists of series ``{"label", "values"}``).
    projectStats: dict[str, Any]
    #: ``{"anonymous": {...}, "authenticated": {...}}``: ``users``, ``taskruns``,
    #: ``pct_taskruns`` and ``top5`` of each, and ``geo`` (false).
    userStats: dict[str, Any]


class SiteTotals(TypedDict):
    """The totals of ``/stats/`` (:attr:`SiteFigures.stats`)."""

    n_anon: int
    n_auth: int
    n_draft_projects: int
    n_published_projects: int
    n_task_runs: int
    n_tasks: int
    n_total_projects: int
    n_total_users: int


class SiteFigures(TypedDict):
    """What a ``site`` calculator returns: the figures of ``/stats/``."""

    stats: SiteTotals
    users: Chart
    projects: Chart
    tasks: Chart
    #: ``{"id", "name", "short_name", "info", "n_answers"}`` of public projects only.
    top5_projects_24_hours: list[dict[str, Any]]
    #: ``{"id", "name", "fullname", "n_answers"}``.
    top5_users_24_hours: list[dict[str, Any]]


class DashboardFigures(TypedDict):
    """What a ``dashboard`` calculator returns: the admin dashboard's week."""

    active_anon_last_week: SeriesChart
    active_users_last_week: SeriesChart
    new_users_week: SeriesChart
    new_tasks_week: SeriesChart
    new_task_runs_week: SeriesChart
    returning_users_week: SeriesChart
    #: ``{"day", "id", "short_name", "p_name", "owner_id", "u_name", "email_addr"}`` each.
    draft_projects_last_week: list[dict[str, Any]]
    published_projects_last_week: list[dict[str, Any]]
    update_projects_last_week: list[dict[str, Any]]


#: The figures each scope's page shows, declared once: a key a calculator leaves out is shown
#: as "—", a key it adds is shown in a table of its own.
STATS_FIGURES: dict[str, type] = {"project": ProjectFigures, "site": SiteFigures, "dashboard": DashboardFigures}


@dataclass(frozen=True)
class StatsSpec:
    """A statistics calculator for one scope: ``project``, ``site`` or ``dashboard``.

    ``recompute(session, now, **scope)`` returns the figures of its page as the core serves
    them (``scope`` is ``project=<Project>`` for a project's page, nothing for the others),
    reading the tables through :data:`models`: a dict of the scope's declaration in
    :data:`STATS_FIGURES` (:class:`ProjectFigures`, :class:`SiteFigures`,
    :class:`DashboardFigures`). The core calls it when its cached answer is gone (a write
    changed what it counts) or, for the dashboard, in its daily job. A calculator that would
    rather follow answers as they arrive implements the ``on_task_run_created`` hook beside it.
    """

    name: str
    scope: StatsScope
    recompute: Callable[..., Any]
    #: A part of its scope's page, below the core's figures: a template in the plugin package's
    #: ``templates/`` folder that sees the page's keys (the figures it computed among them).
    page_template: str | None = None


@dataclass(frozen=True)
class SchedulerSpec:
    """A task scheduler a project selects in ``info.sched``.

    ``pick`` receives a :class:`pybossa_core.services.scheduling.TaskRequest`
    and returns the tasks to hand out (the rows ``TaskRequest.fetch`` returns, or ``Task``
    objects); ``allows_overfill`` lets answers to
    completed tasks count (for schedulers that offer them on purpose).
    """

    name: str
    title: str
    pick: Callable[..., Any]
    allows_overfill: bool = False


@dataclass(frozen=True)
class Vote:
    """One volunteer's answer to a task, as an aggregator sees it.

    ``answer`` is the task run's ``info``, or its value under the project's ``info.answer_key``;
    ``reliability`` is the share of the volunteer's gold answers that were right, smoothed
    (``(right + 1) / (gold + 2)``: 0.5 for a volunteer without gold answers), ``n_gold`` and
    ``n_correct`` the counts it rests on (for an aggregator that smooths otherwise).
    """

    task_run_id: int
    volunteer: str
    answer: Any
    reliability: float = 0.5
    n_gold: int = 0
    n_correct: int = 0


@dataclass(frozen=True)
class Aggregate:
    """What an aggregator makes of a task's votes: the answer, how sure it is (0 to 1), and any
    other keys for the result's ``info`` (``ties``, vote counts)."""

    answer: Any
    confidence: float
    details: Mapping[str, Any] = field(default_factory=dict)


def exact_match(answer: Any, expected: Any) -> bool:
    """Score a gold answer: right when it equals the expected one (JSON equality)."""
    return answer == expected


def tally(votes: Iterable[Vote], weight: Callable[[Vote], float] = lambda vote: 1.0) -> dict[str, tuple[Any, float]]:
    """Return each answer's (weighted) votes: ``{json: (answer, weight)}``, in the order answers were
    first given. Answers are compared as JSON values."""
    totals: dict[str, tuple[Any, float]] = {}
    for vote in votes:
        key = json.dumps(vote.answer, sort_keys=True, separators=(",", ":"))
        answer, total = totals.get(key, (vote.answer, 0.0))
        totals[key] = (answer, total + weight(vote))
    return totals


def plurality(votes: Iterable[Vote], weight: Callable[[Vote], float] = lambda vote: 1.0) -> Aggregate:
    """Return the answer with the most (weighted) votes, its share of the weight as confidence.

    Answers are compared as JSON values. On a tie the answer voted first wins and ``details``
    holds ``ties``, every tied answer; without votes (or weight) the answer is ``None``.
    """
    totals = tally(votes, weight)
    total = sum(value for _, value in totals.values())
    if not totals or total <= 0:
        return Aggregate(None, 0.0)
    best = max(value for _, value in totals.values())
    tied = [answer for answer, value in totals.values() if value == best]
    details = {"ties": tied} if len(tied) > 1 else {}
    return Aggregate(tied[0], best / total, details)


@dataclass(frozen=True)
class AggregatorSpec:
    """A result aggregator a project selects in ``info.aggregator``.

    ``aggregate(task, votes)`` receives the task (``{"id": ..., "info": ...}``) and its
    :class:`Vote` list, in answer order, and returns an :class:`Aggregate`; it is called when a
    task completes (and, under adaptive retirement, after each answer from ``info.min_answers``
    on), so it must be quick. ``matches(answer, expected)`` scores a gold answer (exact equality
    by default; compare fuzzily for boxes or text). ``uses_reliability`` asks the core to look up
    each volunteer's reliability (otherwise every vote has the defaults).
    ``aggregate_project(votes_by_task)``, when given, re-aggregates a whole project at once (in a
    background job the owner asks for): it receives ``{task_id: [Vote, ...]}`` for every
    completed task and returns ``{task_id: Aggregate}``, the results to write.
    """

    name: str
    title: str
    aggregate: Callable[[Mapping[str, Any], list[Vote]], Aggregate]
    matches: Callable[[Any, Any], bool] = exact_match
    uses_reliability: bool = False
    aggregate_project: Callable[[Mapping[int, list[Vote]]], Mapping[int, Aggregate]] | None = None


class PluginError(Exception):
    """Raised by plugin code when it cannot do what the core asked."""


class ImportFailed(PluginError):
    """Raised by an importer when its source cannot become tasks.

    The message is shown to the project owner, so it says what is wrong with their file or
    link and how to fix it, never a traceback.
    """

    def __init__(self, message: str) -> None:
        # A TranslationString (of the plugin's domain, docs/i18n.md) is shown in the owner's
        # language; ``message`` stays its English text.
        text = english(message)
        super().__init__(text)
        self.message = text
        self.shown = message


class FetchFailed(ImportFailed):
    """Raised by :func:`fetch` when a link gives no usable answer; ``status`` is the HTTP
    status of an error answer (None when there was no answer at all)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


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


def fetch(url: str, *, source: str, **options: Any) -> bytes:
    """GET ``url`` for an importer and return the answer's body.

    :func:`fetch_response` with the same options (``params``, ``headers``, ``explain``,
    ``timeout``, ``max_bytes``), checks, limits and errors.
    """
    return fetch_response(url, source=source, **options).body


def fetch_response(
    url: str,
    *,
    source: str,
    params: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    explain: Callable[[bytes], str | None] | None = None,
    timeout: float | None = None,
    max_bytes: int | None = None,
) -> FetchedResponse:
    """GET ``url`` (with query ``params`` added) for an importer; return the answer (2xx).

    The request goes through the site's guarded fetcher (``pybossa_core.outbound``): only
    ``http``/``https``, no host inside a private or local network unless the site allows it
    (``outbound.allowed_internal_hosts``), checked again on every redirect, within the site's
    time and size limits (``timeout`` and ``max_bytes`` may only lower them). Importers never
    call ``urllib``, ``requests`` or ``http.client`` themselves.

    Every failure raises :class:`FetchFailed` naming ``source`` (what the owner knows the
    link as: "The link", "Flickr"): the link is refused, the server cannot be reached or is
    too slow, answers with an HTTP error (``status`` set), or sends too much. ``explain``
    turns an error answer's body into the service's own explanation, added to the message
    when it gives one.
    """
    if params:
        url += ("&" if urllib.parse.urlsplit(url).query else "?") + urllib.parse.urlencode(params)
    policy = outbound.current_policy()
    limits = {}
    if timeout is not None:
        limits["timeout"] = min(timeout, policy.timeout)
    if max_bytes is not None:
        limits["max_bytes"] = min(max_bytes, policy.max_bytes)
    policy = dataclasses.replace(policy, **limits)
    try:
        response = outbound.request(url, headers=headers, policy=policy)
    except outbound.Refused as refusal:
        raise FetchFailed(_("${source} could not be fetched: ${reason}.", mapping={"source": source, "reason": refusal.reason})) from None
    except outbound.TooLarge:
        raise FetchFailed(_("${source} sent more than ${size}; import a smaller source.",
                            mapping={"source": source, "size": _size(policy.max_bytes)})) from None
    except outbound.Unreachable:
        # The low-level reason stays out: it would tell open ports from closed ones.
        raise FetchFailed(_("${source} could not be fetched.", mapping={"source": source})) from None
    if response.status >= 300:
        detail = explain(response.body) if explain else None
        mapping = {"source": source, "status": response.status, "detail": detail}
        message = (_("${source} answered with HTTP error ${status}: ${detail}", mapping=mapping) if detail
                   else _("${source} answered with HTTP error ${status}.", mapping=mapping))
        raise FetchFailed(message, status=response.status)
    return response


def _size(limit: int) -> str:
    megabytes = limit / (1024 * 1024)
    return f"{megabytes:g} MB" if megabytes >= 1 else f"{limit} bytes"


def fetch_json(url: str, *, source: str, **options: Any) -> Any:
    """Return the JSON answer of ``url``, as :func:`fetch` gets it (same options and errors).

    Raises :class:`ImportFailed` when the answer is not JSON.
    """
    body = fetch(url, source=source, **options)
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ImportFailed(_("${source} did not answer with JSON.", mapping={"source": source})) from None


def media_fields(filename: str, *, image_url: str, media_url: str) -> dict[str, str]:
    """Return the ``info`` fields PYBOSSA's presenters read for a file, chosen by its extension.

    An image gets ``url_m`` and ``url_b`` (``image_url``, both) and its ``title``; a PDF,
    audio or video file gets ``pdf_url``, ``audio_url`` or ``video_url`` (``media_url``; a
    ``.webm`` file is both audio and video). Any other file gets nothing.
    """
    extension = os.path.splitext(filename)[1].lower()
    fields = {name: media_url for name, extensions in MEDIA_EXTENSIONS.items() if extension in extensions}
    if extension in IMAGE_EXTENSIONS:
        fields.update(url_m=image_url, url_b=image_url, title=filename)
    return fields
