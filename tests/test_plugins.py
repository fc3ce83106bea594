"""Plugin loading, the hook facade and plugin settings (the guide's coverage of hooks: test_plugin_guide.py)."""

from __future__ import annotations

import importlib.metadata
import logging
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import colander
import pytest
import transaction

from pybossa_core import hookspecs
from pybossa_core.config import configure
from pybossa_core.events import EventBus, ProjectCreated, TaskCompleted
from pybossa_core.plugin_api import (
    AggregatorSpec,
    AuthProviderSpec,
    ImporterSpec,
    PresenterSpec,
    SchedulerSpec,
    StatsSpec,
    plugin_settings,
)
from pybossa_core.plugins import (
    EventName,
    FailedPlugin,
    PluginFailed,
    PluginHooks,
    PluginInfo,
    PluginStartupError,
    hookimpl,
    load_plugins,
)
from tests.conftest import app_settings, in_test_transaction

HOOK_NAMES = sorted(
    name for name, value in vars(hookspecs).items() if hasattr(value, "pybossa_spec")
)

SAMPLE_IMPORTER = ImporterSpec(
    name="sample",
    title="Sample",
    schema_factory=lambda: colander.SchemaNode(colander.Mapping()),
    tasks=lambda data: [{"info": dict(data)}],
)


@pytest.fixture(autouse=True)
def no_builtin_plugins(monkeypatch, request):
    """Test the loader on exactly the plugins each test names; the built-ins have their own test."""
    if "builtins" not in request.keywords:
        monkeypatch.setattr("pybossa_core.plugins.DEFAULT_PLUGINS", ())


@pytest.mark.builtins
def test_an_installed_scheduler_overrides_the_builtin_of_its_name_and_says_so(caplog):
    @hookimpl(specname="register_schedulers")
    def own_default() -> list[SchedulerSpec]:
        return [SchedulerSpec("default", "Mine", lambda request: [])]

    hooks = load_plugins({}, autoload=False, extra_plugins=[plugin_module("mine", own_default)])

    schedulers = hooks.registries["schedulers"]
    assert schedulers["default"].title == "Mine"
    assert {"depth_first", "breadth_first", "depth_first_all", "incremental", "locked"} <= set(schedulers)
    [override] = hooks.overrides
    assert str(override) == "scheduler default of pybossa_core.services.scheduling.builtin"
    assert hooks.conflicts == []
    assert "plugin mine overrides scheduler default of pybossa_core.services.scheduling.builtin" in caplog.text


def plugin_module(name: str, *functions: Callable[..., Any]) -> types.ModuleType:
    """Return a module named ``name`` holding ``functions``, as an entry point would load it."""
    module = types.ModuleType(name)
    for function in functions:
        setattr(module, function.__name__, function)
    return module


@hookimpl(specname="register_importers")
def register_sample_importer() -> list[ImporterSpec]:
    return [SAMPLE_IMPORTER]


@dataclass
class FakeEntryPoint:
    """Stands in for an installed ``importlib.metadata.EntryPoint``."""

    name: str
    plugin: object
    dist: object | None = None

    def load(self) -> object:
        if isinstance(self.plugin, BaseException):
            raise self.plugin
        return self.plugin


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> list[FakeEntryPoint]:
    """The ``pybossa`` entry points the loader sees; a test appends to it."""
    entry_points: list[FakeEntryPoint] = []

    def fake_entry_points(*, group: str) -> list[FakeEntryPoint]:
        assert group == "pybossa"
        return entry_points

    monkeypatch.setattr(importlib.metadata, "entry_points", fake_entry_points)
    return entry_points


def distribution(name: str, version: str) -> types.SimpleNamespace:
    return types.SimpleNamespace(name=name, version=version)


# Loading -------------------------------------------------------------------------------------


def test_installed_plugin_is_loaded_from_its_entry_point(installed):
    installed.append(
        FakeEntryPoint(
            "importer-sample",
            plugin_module("sample_plugin", register_sample_importer),
            distribution("pybossa-importer-sample", "1.2.0"),
        )
    )

    hooks = load_plugins({})

    assert hooks.register_importers() == [SAMPLE_IMPORTER]
    assert hooks.list_plugins() == [
        PluginInfo(name="importer-sample", version="1.2.0", hooks=["register_importers"], distribution="pybossa-importer-sample")
    ]
    assert hooks.failed == []


def test_autoload_false_ignores_installed_plugins(installed):
    installed.append(
        FakeEntryPoint("importer-sample", plugin_module("p", register_sample_importer))
    )

    hooks = load_plugins({}, autoload=False)

    assert hooks.register_importers() == []
    assert hooks.list_plugins() == []


def test_plugin_that_fails_to_import_is_reported_and_skipped(installed, caplog):
    installed.append(
        FakeEntryPoint(
            "importer-broken",
            ImportError("No module named 'requests'"),
            distribution("pybossa-importer-broken", "0.1"),
        )
    )
    installed.append(
        FakeEntryPoint("importer-sample", plugin_module("sample_plugin", register_sample_importer))
    )

    hooks = load_plugins({})

    assert hooks.failed == [
        FailedPlugin(
            name="importer-broken",
            distribution="pybossa-importer-broken",
            error="ImportError: No module named 'requests'",
        )
    ]
    assert [plugin.name for plugin in hooks.list_plugins()] == ["importer-sample"]
    assert hooks.register_importers() == [SAMPLE_IMPORTER]
    assert "importer-broken" in caplog.text


def test_plugin_with_a_misspelled_hook_is_unregistered_and_reported(installed, caplog):
    @hookimpl
    def register_importerz() -> list[ImporterSpec]:
        return [SAMPLE_IMPORTER]

    installed.append(
        FakeEntryPoint(
            "importer-typo",
            plugin_module("typo_plugin", register_importerz),
            distribution("pybossa-importer-typo", "0.1"),
        )
    )

    hooks = load_plugins(
        {}, extra_plugins=[plugin_module("sample_plugin", register_sample_importer)]
    )

    [failure] = hooks.failed
    assert (failure.name, failure.distribution) == ("importer-typo", "pybossa-importer-typo")
    assert "unknown hook 'register_importerz'" in failure.error
    assert [plugin.name for plugin in hooks.list_plugins()] == ["sample_plugin"]
    assert "importer-typo" in caplog.text


def sample_importers(module_name: str, *names: str, title: str = "Sample") -> types.ModuleType:
    @hookimpl
    def register_importers() -> list[ImporterSpec]:
        return [ImporterSpec(name, title, SAMPLE_IMPORTER.schema_factory, SAMPLE_IMPORTER.tasks) for name in names]

    return plugin_module(module_name, register_importers)


def test_two_plugins_registering_one_name_conflict_naming_both_distributions(installed, caplog):
    installed.append(FakeEntryPoint("importer-jsonl", sample_importers("a", "jsonl", "a_only"),
                                    distribution("pybossa-importer-jsonl", "1.0")))
    installed.append(FakeEntryPoint("importer-lines", sample_importers("b", "jsonl"),
                                    distribution("pybossa-importer-lines", "0.1")))

    hooks = load_plugins({})

    [conflict] = hooks.conflicts
    message = str(conflict)
    assert message.startswith("importer 'jsonl' is registered by ")
    assert "importer-jsonl (pybossa-importer-jsonl)" in message
    assert "importer-lines (pybossa-importer-lines)" in message
    assert "plugins.prefer" in message
    # Neither wins silently; the names nobody disputes are kept.
    assert set(hooks.registries["importers"]) == {"a_only"}
    assert message in caplog.text
    with pytest.raises(PluginStartupError, match="importer 'jsonl' is registered by"):
        hooks.check_startup(strict=False)


def test_plugins_prefer_picks_the_winner_of_a_conflict_and_lists_it(installed):
    installed.append(FakeEntryPoint("importer-jsonl", sample_importers("a", "jsonl", title="A")))
    installed.append(FakeEntryPoint("importer-lines", sample_importers("b", "jsonl", title="B")))

    hooks = load_plugins({"plugins.prefer": ["importer-lines"]})

    assert hooks.conflicts == []
    assert hooks.registries["importers"]["jsonl"].title == "B"
    [override] = hooks.overrides
    assert (override.winner.plugin, str(override)) == ("importer-lines", "importer jsonl of importer-jsonl")
    hooks.check_startup(strict=True)


def test_a_site_with_two_plugins_claiming_one_name_does_not_start(dbengine, uploads_dir):
    plugins = [sample_importers("first", "jsonl"), sample_importers("second", "jsonl")]

    with pytest.raises(PluginStartupError, match="importer 'jsonl' is registered by (first and second|second and first)"):
        configure(app_settings(dbengine, uploads_dir), plugins=plugins, autoload_plugins=False, environ={})


@pytest.mark.parametrize(
    ("returned", "error"),
    [
        ("csv", "register_importers returned a str, not a list of ImporterSpec"),
        (["csv"], "register_importers returned a list of str, not a list of ImporterSpec"),
        (ValueError("no\nluck"), "register_importers raised ValueError: no luck"),
    ],
)
def test_a_registration_hook_that_fails_leaves_its_plugin_out_named(installed, caplog, returned, error):
    @hookimpl
    def register_importers():
        if isinstance(returned, Exception):
            raise returned
        return returned

    @hookimpl
    def on_startup(config):
        raise AssertionError("a failed plugin is not called again")

    installed.append(FakeEntryPoint("importer-bad", plugin_module("bad", register_importers, on_startup),
                                    distribution("pybossa-importer-bad", "0.1")))
    installed.append(FakeEntryPoint("importer-sample", plugin_module("sample_plugin", register_sample_importer)))

    hooks = load_plugins({})

    assert hooks.failed == [FailedPlugin("importer-bad", "pybossa-importer-bad", error)]
    assert hooks.registries["importers"] == {"sample": SAMPLE_IMPORTER}
    assert [plugin.name for plugin in hooks.list_plugins()] == ["importer-sample"]
    assert "importer-bad" in caplog.text
    hooks.notify("on_startup", config=None)
    hooks.check_startup(strict=False)
    with pytest.raises(PluginStartupError, match=f"plugin importer-bad failed: {error}"):
        hooks.check_startup(strict=True)


def test_the_facade_raises_naming_a_plugin_whose_registration_fails():
    @hookimpl
    def register_importers():
        return "csv"

    hooks = load_plugins({}, autoload=False)
    hooks.pm.register(plugin_module("bad", register_importers), name="bad")

    with pytest.raises(PluginFailed, match="plugin bad: register_importers returned a str"):
        hooks.register_importers()


def test_disabled_plugin_is_not_loaded(installed):
    installed.append(
        FakeEntryPoint("importer-sample", plugin_module("p", register_sample_importer))
    )

    hooks = load_plugins({"plugins.disabled": ["importer-sample"]})

    assert hooks.register_importers() == []
    assert hooks.list_plugins() == []
    assert hooks.failed == []
    assert hooks.disabled == ["importer-sample"]


def test_a_disabled_name_that_matches_no_plugin_is_a_warning(installed, caplog):
    installed.append(FakeEntryPoint("importer-sample", plugin_module("p", register_sample_importer)))

    hooks = load_plugins({"plugins.disabled": ["importer-sampel"]})

    assert [plugin.name for plugin in hooks.list_plugins()] == ["importer-sample"]
    assert hooks.disabled == []
    assert "plugins.disabled names importer-sampel, which is no installed plugin" in caplog.text


def test_list_plugins_shows_each_plugin_with_its_hooks():
    @hookimpl
    def on_task_completed(task_id: int) -> None:
        pass

    hooks = load_plugins(
        {},
        autoload=False,
        extra_plugins=[plugin_module("sample_plugin", register_sample_importer, on_task_completed)],
    )

    assert hooks.list_plugins() == [
        PluginInfo(
            name="sample_plugin",
            version=None,
            hooks=["on_task_completed", "register_importers"],
        )
    ]


def test_trace_plugins_logs_every_hook_call(monkeypatch, caplog):
    monkeypatch.setenv("PYBOSSA_TRACE_PLUGINS", "1")
    hooks = load_plugins(
        {}, autoload=False, extra_plugins=[plugin_module("sample_plugin", register_sample_importer)]
    )

    with caplog.at_level(logging.DEBUG, logger="pybossa_core.plugins"):
        hooks.register_importers()

    assert "calling register_importers({'settings': {}}) on ['sample_plugin']" in caplog.text
    assert f"register_importers returned [[{SAMPLE_IMPORTER!r}]]" in caplog.text


# Events --------------------------------------------------------------------------------------


def test_notify_calls_the_other_plugins_when_one_raises(caplog):
    calls = []

    @hookimpl
    def on_project_created(project_id: int, owner_id: int) -> None:
        calls.append((project_id, owner_id))

    # tryfirst makes the failing plugin run before the recording one.
    @hookimpl(tryfirst=True, specname="on_project_created")
    def fail_on_project_created(project_id: int) -> None:
        raise RuntimeError("mail server down")

    hooks = load_plugins(
        {},
        autoload=False,
        extra_plugins=[
            plugin_module("recording_plugin", on_project_created),
            plugin_module("failing_plugin", fail_on_project_created),
        ],
    )

    hooks.notify("on_project_created", project_id=7, owner_id=3)

    assert calls == [(7, 3)]
    assert "plugin failing_plugin failed in on_project_created" in caplog.text
    assert "mail server down" in caplog.text


def test_notify_refuses_arguments_that_do_not_match_the_hook():
    hooks = load_plugins({}, autoload=False)

    with pytest.raises(TypeError, match="on_task_completed takes"):
        hooks.notify("on_task_completed", project_id=1, task_id=2)


class RefusingParticipant:
    """A transaction participant whose vote fails, as a database refusing the commit would."""

    def sortKey(self) -> str:
        return "refusing-participant"

    def tpc_vote(self, txn: object) -> None:
        raise RuntimeError("could not serialize access")

    def abort(self, txn: object) -> None:
        pass

    tpc_begin = commit = tpc_finish = tpc_abort = abort


@pytest.fixture
def completions():
    """A facade with one plugin recording on_task_completed, and its record."""
    calls = []

    @hookimpl
    def on_task_completed(project_id: int, task_id: int, result_id: int) -> None:
        calls.append((project_id, task_id, result_id))

    hooks = load_plugins(
        {}, autoload=False, extra_plugins=[plugin_module("recorder", on_task_completed)]
    )
    return hooks, calls


def completed(tm: transaction.TransactionManager) -> tuple[types.SimpleNamespace, TaskCompleted]:
    """What the event bus is handed by a request in ``tm``'s transaction completing task 2."""
    return types.SimpleNamespace(tm=tm), TaskCompleted(project_id=1, task_id=2, result_id=3, project=None)


def test_events_reach_the_plugins_once_the_transaction_commits(completions):
    hooks, calls = completions
    tm = transaction.TransactionManager(explicit=True)
    tm.begin()

    EventBus(hooks).emit_after_commit(*completed(tm))
    assert calls == []
    tm.commit()

    assert calls == [(1, 2, 3)]


def test_events_are_silent_when_the_transaction_aborts(completions):
    hooks, calls = completions
    tm = transaction.TransactionManager(explicit=True)
    tm.begin()

    EventBus(hooks).emit_after_commit(*completed(tm))
    tm.abort()

    assert calls == []


def test_events_are_silent_when_the_commit_fails(completions):
    hooks, calls = completions
    tm = transaction.TransactionManager(explicit=True)
    tm.begin()
    tm.get().join(RefusingParticipant())

    EventBus(hooks).emit_after_commit(*completed(tm))
    with pytest.raises(RuntimeError, match="could not serialize"):
        tm.commit()
    tm.abort()

    assert calls == []


# One test per hook, each calling it through the facade ----------------------------------------


def test_hook_register_importers():
    @hookimpl
    def register_importers() -> list[ImporterSpec]:
        return []

    hooks = load_plugins(
        {},
        autoload=False,
        extra_plugins=[
            plugin_module("sample_plugin", register_sample_importer),
            plugin_module("empty_plugin", register_importers),
        ],
    )

    [importer] = hooks.register_importers()
    assert importer is SAMPLE_IMPORTER
    assert importer.tasks({"a": 1}) == [{"info": {"a": 1}}]


def test_hook_register_presenters():
    presenter = PresenterSpec(
        name="sample", title="Sample", description="d", template="<p>{{ project.short_name }}</p>"
    )

    @hookimpl
    def register_presenters() -> list[PresenterSpec]:
        return [presenter]

    hooks = load_plugins(
        {}, autoload=False, extra_plugins=[plugin_module("p", register_presenters)]
    )

    assert hooks.register_presenters() == [presenter]
    assert presenter.tutorial == ""


def test_hook_register_auth_providers():
    @hookimpl
    def register_auth_providers(settings) -> list[AuthProviderSpec]:
        return [
            AuthProviderSpec(
                name="sample",
                title="Sample",
                enabled="token" in plugin_settings(settings, "sample"),
                login_url="/account/sample/",
                fetch_profile=dict,
            )
        ]

    hooks = load_plugins(
        {}, autoload=False, extra_plugins=[plugin_module("p", register_auth_providers)]
    )

    [configured] = hooks.register_auth_providers({"plugin.sample.token": "t"})
    [unconfigured] = hooks.register_auth_providers({})
    assert (configured.name, configured.enabled) == ("sample", True)
    assert (unconfigured.name, unconfigured.enabled) == ("sample", False)


def test_hook_register_stats(dbengine, uploads_dir, tm, dbsession):
    @hookimpl
    def register_stats() -> list[StatsSpec]:
        return [StatsSpec(name="tally", scope="site", recompute=lambda session, now: {"tally": 42})]

    @hookimpl(specname="register_stats")
    def register_no_stats() -> None:
        return None

    plugins = [plugin_module("p", register_stats), plugin_module("quiet", register_no_stats)]
    hooks = load_plugins({}, autoload=False, extra_plugins=plugins)
    assert [(stats.name, stats.scope) for stats in hooks.register_stats()] == [("tally", "site")]
    # The site's /stats/ figures are the ones the calculator of its "site" scope returns.
    site = configure(app_settings(dbengine, uploads_dir), plugins=plugins, autoload_plugins=False,
                     environ={}).make_wsgi_app()
    figures = in_test_transaction(site, tm, dbsession).get("/stats/", headers={"Accept": "application/json"}).json
    assert figures["tally"] == 42 and figures["title"] == "Global Statistics"


def test_hook_register_schedulers():
    def pick(**kwargs: Any) -> list[int]:
        return []

    @hookimpl(trylast=True, specname="register_schedulers")
    def register_default_schedulers() -> list[SchedulerSpec]:
        return [SchedulerSpec(name="default", title="Default", pick=pick)]

    @hookimpl
    def register_schedulers() -> list[SchedulerSpec]:
        return [SchedulerSpec(name="random", title="Random", pick=pick)]

    hooks = load_plugins(
        {},
        autoload=False,
        extra_plugins=[
            plugin_module("builtin", register_default_schedulers),
            plugin_module("installed", register_schedulers),
        ],
    )

    # A built-in default marked trylast comes after every installed plugin, so an installed
    # scheduler of the same name would win.
    assert [scheduler.name for scheduler in hooks.register_schedulers()] == ["random", "default"]


def test_hook_register_aggregators():
    @hookimpl
    def register_aggregators() -> list[AggregatorSpec]:
        return [AggregatorSpec(name="first", title="First answer", aggregate=lambda task, votes: None)]

    hooks = load_plugins({}, autoload=False, extra_plugins=[plugin_module("installed", register_aggregators)])
    assert [aggregator.name for aggregator in hooks.register_aggregators()] == ["first"]


@pytest.mark.builtins
def test_builtin_majority_comes_after_installed_aggregators():
    hooks = load_plugins({}, autoload=False)
    assert [aggregator.name for aggregator in hooks.register_aggregators()] == ["majority"]


def test_hook_on_startup():
    configs = []

    @hookimpl
    def on_startup(config: object) -> None:
        configs.append(config)

    config = object()
    hooks = load_plugins({}, autoload=False, extra_plugins=[plugin_module("p", on_startup)])

    hooks.notify("on_startup", config=config)

    assert configs == [config]


def test_hook_on_project_created():
    calls = []

    @hookimpl
    def on_project_created(project_id: int, owner_id: int) -> None:
        calls.append((project_id, owner_id))

    hooks = load_plugins({}, autoload=False, extra_plugins=[plugin_module("p", on_project_created)])
    tm = transaction.TransactionManager(explicit=True)
    tm.begin()

    EventBus(hooks).emit_after_commit(types.SimpleNamespace(tm=tm), ProjectCreated(project_id=5, owner_id=9))
    tm.commit()

    assert calls == [(5, 9)]


def test_hook_on_task_run_created():
    task_run_ids = []

    # An implementation may take only the arguments it needs.
    @hookimpl
    def on_task_run_created(task_run_id: int) -> None:
        task_run_ids.append(task_run_id)

    hooks = load_plugins(
        {}, autoload=False, extra_plugins=[plugin_module("p", on_task_run_created)]
    )

    hooks.notify("on_task_run_created", project_id=1, task_id=2, task_run_id=3, user_id=None)

    assert task_run_ids == [3]


def test_hook_on_task_completed(completions):
    hooks, calls = completions

    hooks.notify("on_task_completed", project_id=1, task_id=2, result_id=3)

    assert calls == [(1, 2, 3)]


# plugin_api ----------------------------------------------------------------------------------


def test_plugin_settings_returns_only_that_plugins_keys(monkeypatch):
    monkeypatch.delenv("PYBOSSA_PLUGIN_TWITTER_CONSUMER_KEY", raising=False)
    settings = {
        "plugin.twitter.consumer_key": "key",
        "plugin.twitter.consumer_secret": "secret",
        "plugin.twitterx.consumer_key": "other",
        "database.url": "sqlite://",
    }

    assert plugin_settings(settings, "twitter") == {
        "consumer_key": "key",
        "consumer_secret": "secret",
    }


def test_plugin_settings_environment_overrides_the_ini(monkeypatch):
    monkeypatch.setenv("PYBOSSA_PLUGIN_TWITTER_CONSUMER_KEY", "from-env")
    monkeypatch.setenv("PYBOSSA_PLUGIN_GOOGLE_SHEETS_API_KEY", "sheets")

    assert plugin_settings({"plugin.twitter.consumer_key": "key"}, "twitter") == {
        "consumer_key": "from-env"
    }
    assert plugin_settings({}, "google-sheets") == {"api_key": "sheets"}


# The facade covers every hook (docs/plugins.md and a test per hook: tests/test_plugin_guide.py) ---


def test_facade_covers_every_hook():
    registration_methods = {name for name in vars(PluginHooks) if name.startswith("register_")}

    assert set(HOOK_NAMES) == registration_methods | set(typing.get_args(EventName))
