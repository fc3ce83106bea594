"""The plugin author's side: the pybossa_core.testing pytest plugin, docs/plugins.md covering
every hook, a test per hook, and the guide's example importer built and installed for real."""

from __future__ import annotations

import ast
import importlib.metadata
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import colander
import pytest

from pybossa_core import hookspecs
from pybossa_core.plugin_api import (
    AuthProviderSpec,
    ImportFailed,
    ImporterSpec,
    PresenterSpec,
    SchedulerSpec,
    hookimpl,
    interfaces,
    models,
    plugin_settings,
)
from pybossa_core.testing import (
    SECRET,
    answer_next_task,
    create_project,
    create_tasks,
    create_user,
    import_tasks,
    signed_in_browser,
)
from tests.source import imported_modules

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "plugins.md"
JSON = {"Accept": "application/json"}

HOOK_NAMES = sorted(name for name, value in vars(hookspecs).items() if hasattr(value, "pybossa_spec"))


# A plugin implementing every hook, served by the pybossa_core.testing fixtures ----------------


class QuestionsForm(colander.MappingSchema):
    questions = colander.SchemaNode(colander.String())


def question_tasks(data):
    questions = [line.strip() for line in data["questions"].splitlines() if line.strip()]
    if not questions:
        raise ImportFailed("Write at least one question, one per line.")
    return [{"info": {"question": question}, "n_answers": 1} for question in questions]


def pick_newest(request):
    return request.fetch(request.ordered(request.with_room(request.open_tasks()), models.Task.id.desc()))


class EveryHookPlugin:
    """Registers one of everything and records the events the site tells it about."""

    def __init__(self):
        self.events = []

    @hookimpl
    def register_importers(self):
        return [ImporterSpec("questions", "One question per line", QuestionsForm, question_tasks)]

    @hookimpl
    def register_presenters(self):
        return [PresenterSpec("quiz", "Quiz", "Ask one question.", "<p>{{ project.short_name }}</p>")]

    @hookimpl
    def register_auth_providers(self, settings):
        configured = plugin_settings(settings, "sample")
        return [AuthProviderSpec("sample", "Sample", bool(configured.get("token")), "/account/sample/", dict)]

    @hookimpl
    def register_schedulers(self):
        return [SchedulerSpec("newest", "Newest tasks first", pick_newest)]

    @hookimpl
    def on_startup(self, config):
        self.events.append(("on_startup", sorted(interfaces.find_service(config.registry, interfaces.IImporters))))

    @hookimpl
    def on_project_created(self, project_id, owner_id):
        self.events.append(("on_project_created", project_id, owner_id))

    @hookimpl
    def on_task_run_created(self, project_id, task_id, task_run_id, user_id):
        self.events.append(("on_task_run_created", project_id, task_id, task_run_id, user_id))

    @hookimpl
    def on_task_completed(self, project_id, task_id, result_id):
        self.events.append(("on_task_completed", project_id, task_id, result_id))


@pytest.fixture
def plugin():
    return EveryHookPlugin()


@pytest.fixture
def pybossa_plugins(plugin):
    return [plugin]


@pytest.fixture
def pybossa_settings():
    return {"plugin.sample.token": "t"}


@pytest.fixture
def owner(pybossa_testapp):
    return create_user(pybossa_testapp, "owner")


def test_hooks_fixture_has_exactly_the_plugins_under_test(pybossa_hooks, plugin):
    assert [name for name, registered in pybossa_hooks.pm.list_name_plugin() if registered is plugin]
    assert [importer.name for importer in pybossa_hooks.register_importers()] == ["questions"]
    # The core's built-in schedulers are always there, after the plugin's.
    assert [scheduler.name for scheduler in pybossa_hooks.register_schedulers()][0] == "newest"
    assert "default" in [scheduler.name for scheduler in pybossa_hooks.register_schedulers()]


def test_site_calls_on_startup_once_its_registries_are_built(pybossa_app, plugin):
    assert plugin.events == [("on_startup", ["questions"])]
    assert sorted(interfaces.find_service(pybossa_app.registry, interfaces.IImporters)) == ["questions"]


def test_site_offers_the_plugins_importer_and_imports_its_tasks(pybossa_testapp, owner):
    project = create_project(pybossa_testapp, owner, "quiz")

    page = signed_in_browser(pybossa_testapp, owner).get("/project/quiz/tasks/import", headers=JSON).json
    imported = import_tasks(pybossa_testapp, owner, project, "questions", questions="Cat?\n\nDog?\n")
    refused = import_tasks(pybossa_testapp, owner, project, "questions", questions=" \n")

    assert page["available_importers"] == ["projects/tasks/questions.html"]
    assert (imported["status"], imported["flash"]) == ("success", "2 new tasks were imported successfully")
    tasks = pybossa_testapp.get("/api/task", {"project_id": project["id"]}).json
    assert [task["info"] for task in tasks] == [{"question": "Cat?"}, {"question": "Dog?"}]
    assert refused["status"] == "error"
    assert refused["form"]["errors"] == {"form": ["Write at least one question, one per line."]}


def test_site_fills_the_plugins_presenter_with_the_project(pybossa_testapp, owner):
    create_project(pybossa_testapp, owner, "quiz")
    browser = signed_in_browser(pybossa_testapp, owner)

    options = browser.get("/project/quiz/tasks/taskpresentereditor", headers=JSON).json
    chosen = browser.get("/project/quiz/tasks/taskpresentereditor", {"template": "quiz"}, headers=JSON).json

    assert options["presenters"] == ["projects/presenters/quiz.html"]
    assert chosen["form"]["editor"] == "<p>quiz</p>"


def test_site_shows_which_sign_in_providers_the_settings_enable(pybossa_testapp):
    providers = pybossa_testapp.get("/account/signin", headers=JSON).json["auth"]

    assert providers == {"twitter": False, "facebook": False, "google": False, "sample": True}


def test_site_hands_out_tasks_with_the_projects_scheduler(pybossa_testapp, owner):
    project = create_project(pybossa_testapp, owner, "quiz", info={"sched": "newest"})
    first, second = create_tasks(pybossa_testapp, owner, project, [{"n": 1}, {"n": 2}])

    handed = pybossa_testapp.get(f"/api/{project['id']}/newtask", {"api_key": owner.api_key}).json

    assert handed["id"] == second["id"] != first["id"]


def test_site_tells_plugins_of_a_new_project_an_answer_and_a_completed_task(pybossa_testapp, plugin, owner):
    volunteer = create_user(pybossa_testapp, "volunteer")
    project = create_project(pybossa_testapp, owner, "quiz")
    [task] = create_tasks(pybossa_testapp, owner, project, [{"question": "Cat?"}], n_answers=1)

    task_run = answer_next_task(pybossa_testapp, volunteer, project, {"answer": "yes"})

    [result] = pybossa_testapp.get("/api/result", {"project_id": project["id"]}).json
    assert plugin.events[1:] == [
        ("on_project_created", project["id"], owner.id),
        ("on_task_run_created", project["id"], task["id"], task_run["id"], volunteer.id),
        ("on_task_completed", project["id"], task["id"], result["id"]),
    ]


def test_each_test_gets_a_site_of_its_own(pybossa_testapp):
    """The first user of a fresh site is its administrator: nothing is left from other tests."""
    first = create_user(pybossa_testapp, "owner")

    assert pybossa_testapp.get("/api/user", {"api_key": first.api_key}).json[0]["name"] == "owner"
    assert pybossa_testapp.get("/account/profile", {"api_key": first.api_key}, headers=JSON).json["user"]["admin"]


# docs/plugins.md documents every hook, and every hook has a test (Datasette's meta-tests) ----


def hook_signature(name: str) -> str:
    """Return ``name(arg: type, ...) -> type``, the hook's signature as hookspecs.py writes it."""
    signature = inspect.signature(getattr(hookspecs, name))
    # hookspecs.py has `from __future__ import annotations`: each annotation is its source text.
    arguments = ", ".join(f"{parameter.name}: {parameter.annotation}" for parameter in signature.parameters.values())
    return f"{name}({arguments}) -> {signature.return_annotation}"


def guide_hook_sections() -> dict[str, tuple[str, str]]:
    """Return each hook section of the guide's "# Hooks" part by hook name: (heading, body)."""
    hooks_part = GUIDE.read_text(encoding="utf-8").split("\n# Hooks\n", 1)[1].split("\n# ", 1)[0]
    sections = re.split(r"^## ", hooks_part, flags=re.MULTILINE)[1:]
    return {
        section.split("(", 1)[0]: (heading, body)
        for section in sections
        for heading, _, body in [section.partition("\n")]
    }


def test_hook_signatures_are_the_source_text():
    assert hook_signature("on_task_completed") == "on_task_completed(project_id: int, task_id: int, result_id: int) -> None"


def test_guide_documents_exactly_the_hooks_of_hookspecs():
    assert sorted(guide_hook_sections()) == HOOK_NAMES


@pytest.mark.parametrize("name", HOOK_NAMES)
def test_every_hook_is_documented_under_its_full_signature(name):
    heading, body = guide_hook_sections()[name]

    assert heading == hook_signature(name)
    for part in ("When\n: ", "Arguments\n: ", "Returns\n: "):
        assert part in body, f"the {name} section lacks {part.split()[0]!r}"
    assert re.search(rf"```python\n.*@hookimpl\ndef {name}\(", body, re.DOTALL), f"no example of {name}"


def names_of_tests(path: Path) -> set[str]:
    return {
        node.name
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_")
    }


TEST_FILES = sorted([*(ROOT / "tests").rglob("test_*.py"), *ROOT.glob("plugins/*/*/tests/test_*.py")])


@pytest.mark.parametrize("name", HOOK_NAMES)
def test_every_hook_has_a_test(name):
    tests = set().union(*(names_of_tests(path) for path in TEST_FILES))

    assert f"test_hook_{name}" in tests


# Plugins import one module of the core (and pybossa_core.testing in their tests) ----------

PLUGIN_MODULES = {"src": {"pybossa_core.plugin_api"}, "tests": {"pybossa_core.plugin_api", "pybossa_core.testing"}}


def core_imports(source: str) -> set[str]:
    """Return the modules of the core that Python ``source`` imports."""
    return {name for name in imported_modules(source) if name.split(".")[0] == "pybossa_core"}


@pytest.mark.parametrize("part", sorted(PLUGIN_MODULES))
def test_bundled_plugins_import_only_the_plugin_api(part):
    strays = {
        str(path.relative_to(ROOT)): stray
        for path in ROOT.glob(f"plugins/*/*/{part}/**/*.py")
        if (stray := core_imports(path.read_text(encoding="utf-8")) - PLUGIN_MODULES[part])
    }
    assert not strays


def test_the_guides_examples_import_only_the_plugin_api():
    examples = re.findall(r"^```python\n(.*?)^```$", GUIDE.read_text(encoding="utf-8"), re.MULTILINE | re.DOTALL)

    assert examples and set().union(*map(core_imports, examples)) == PLUGIN_MODULES["tests"]


# The walk-through's importer, built from the guide's files and installed --------------------

WALK_THROUGH_FILE = re.compile(r"^`(pybossa-importer-lines/[^`]+)`:\n\n```[a-z]*\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def walk_through_files() -> dict[str, str]:
    """Return the guide's walk-through files by path, exactly as the guide shows them."""
    return dict(WALK_THROUGH_FILE.findall(GUIDE.read_text(encoding="utf-8")))


def test_walk_through_shows_every_file_of_the_distribution():
    assert sorted(walk_through_files()) == [
        "pybossa-importer-lines/pyproject.toml",
        "pybossa-importer-lines/src/pybossa_importer_lines/__init__.py",
        "pybossa-importer-lines/tests/conftest.py",
        "pybossa-importer-lines/tests/test_importer_lines.py",
    ]


@pytest.mark.slow
def test_walk_through_importer_installs_is_found_and_passes_its_tests(tmp_path):
    for name, text in walk_through_files().items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    distribution, target = tmp_path / "pybossa-importer-lines", tmp_path / "site-packages"
    # Its own directory, not the site's environment: the test leaves the virtualenv as it was.
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(distribution)],
        check=True, capture_output=True, timeout=120,
    )

    [installed] = importlib.metadata.distributions(path=[str(target)])
    [entry_point] = installed.entry_points.select(group="pybossa")
    assert (installed.name, installed.version) == ("pybossa-importer-lines", "0.1.0")
    assert (entry_point.name, entry_point.value) == ("importer-lines", "pybossa_importer_lines")

    # A site's environment and ini file, without the suite's PYBOSSA_* variables, with the
    # install on the path.
    environ = {key: value for key, value in os.environ.items() if not key.startswith("PYBOSSA_")}
    environ["PYTHONPATH"] = str(target)
    site_ini = tmp_path / "production.ini"
    site_ini.write_text(
        f"[app:main]\nuse = egg:pybossa-core\nsecret = {SECRET}\ndatabase.url = sqlite:///{tmp_path}/site.sqlite\n"
    )
    listing = subprocess.run(
        [str(Path(sys.executable).with_name("pybossa")), "-c", str(site_ini), "plugins"],
        cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=60,
    )
    assert "importer-lines 0.1.0 OK (register_importers)" in listing.stdout.splitlines(), listing.stdout + listing.stderr
    assert listing.returncode == 0, listing.stdout

    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=distribution, env=environ, capture_output=True, text=True, timeout=120,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "4 passed" in tests.stdout


# "Replacing a built-in": its scheduler, written from the guide's files, passes the guide's tests --

REPLACING_FILE = re.compile(r"^`pybossa-scheduler-newest/([^`]+)`:\n\n```[a-z]*\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def replacing_files() -> dict[str, str]:
    return dict(REPLACING_FILE.findall(GUIDE.read_text(encoding="utf-8")))


def test_replacing_a_built_in_shows_the_plugin_and_its_tests():
    assert sorted(replacing_files()) == ["src/pybossa_scheduler_newest/__init__.py", "tests/test_scheduler_newest.py"]


@pytest.mark.slow
def test_replacing_a_built_in_example_passes_its_tests(tmp_path):
    for name, text in replacing_files().items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    environ = {key: value for key, value in os.environ.items() if not key.startswith("PYBOSSA_")}
    environ["PYTHONPATH"] = str(tmp_path / "src")

    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=120,
    )

    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "2 passed" in tests.stdout
