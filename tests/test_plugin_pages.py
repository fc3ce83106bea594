"""Plugins bring their own pages: an importer's form template and static files from its package,
else a form drawn from its schema; the core holds no page of a bundled plugin."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pybossa_core.testing import create_project, create_user, import_tasks, signed_in_browser
from tests.plugin_packages import GUIDE, forget_plugins, guide_files, write_plugins

CORE_TEMPLATES = Path(__file__).resolve().parents[1] / "pybossa_core" / "templates"
HTML = {"Accept": "text/html"}


@pytest.fixture
def third_party(tmp_path):
    yield write_plugins(tmp_path / "site-packages")
    forget_plugins(tmp_path / "site-packages")


@pytest.fixture
def pybossa_plugins(third_party):
    return list(third_party)


@pytest.fixture
def owner_browser(pybossa_testapp):
    owner = create_user(pybossa_testapp, "owner")
    create_project(pybossa_testapp, owner, "birds")
    return owner, signed_in_browser(pybossa_testapp, owner)


def test_the_import_page_offers_both_importers(owner_browser):
    _, browser = owner_browser
    page = browser.get("/project/birds/tasks/import", headers=HTML)
    assert 'href="/project/birds/tasks/import?type=words"' in page.text
    assert 'href="/project/birds/tasks/import?type=colours"' in page.text


def test_an_importer_with_its_own_template_gets_its_page_and_static_file(owner_browser):
    owner, browser = owner_browser

    page = browser.get("/project/birds/tasks/import?type=words", headers=HTML)

    assert page.content_type == "text/html"
    assert "Drawn by the plugin's template." in page.text
    assert "Words, separated by spaces" in page.text and '<textarea id="words"' in page.text
    script = page.html.find("script", src=lambda src: src and src.endswith("words.js"))["src"]
    assert script == "/static/plugins/pybossa_importer_words/words.js"
    served = browser.get(script)
    assert served.content_type in ("application/javascript", "text/javascript")
    assert served.text == 'document.getElementById("words-script").textContent = "Its script ran.";\n'
    # JSON clients still see PYBOSSA's template name.
    assert browser.get("/project/birds/tasks/import?type=words", headers={"Accept": "application/json"}).json[
        "template"
    ] == "/projects/importers/words.html"
    assert import_tasks(browser, owner, {"short_name": "birds"}, "words", words="crow robin")["flash"] == (
        "2 new tasks were imported successfully"
    )


def test_an_importer_without_a_template_gets_a_form_drawn_from_its_schema(owner_browser, pybossa_testapp):
    owner, browser = owner_browser

    page = browser.get("/project/birds/tasks/import?type=colours", headers=HTML)

    assert page.content_type == "text/html"
    [form] = [form for form in page.forms.values() if form.action == "/project/birds/tasks/import"]
    assert form["type"].value == "colours"
    assert '<label for="colours">Colours' in page.text and "Comma-separated colour names." in page.text
    assert '<label for="shade">Shade' in page.text
    form["colours"] = "red, blue"
    answer = form.submit().follow()
    assert "2 new tasks were imported successfully" in answer.text
    query = {"short_name": "birds", "api_key": owner.api_key}
    project = pybossa_testapp.get("/api/project", query).json[0]
    tasks = pybossa_testapp.get("/api/task", {"project_id": project["id"], "api_key": owner.api_key}).json
    assert [task["info"] for task in tasks] == [{"colour": "red", "shade": "plain"}, {"colour": "blue", "shade": "plain"}]


@pytest.mark.parametrize(
    "path",
    [
        "/static/plugins/pybossa_importer_words/../__init__.py",
        "/static/plugins/pybossa_importer_words/%2e%2e/__init__.py",
        "/static/plugins/pybossa_importer_colours/__init__.py",
        "/static/plugins/pybossa_importer_words/missing.js",
    ],
)
def test_only_a_plugins_static_folder_is_served(pybossa_testapp, path):
    assert pybossa_testapp.get(path, expect_errors=True).status_int == 404


def test_the_guide_shows_every_file_of_both_examples():
    assert sorted(guide_files()) == [
        "pybossa_importer_colours/__init__.py",
        "pybossa_importer_words/__init__.py",
        "pybossa_importer_words/static/words.js",
        "pybossa_importer_words/templates/words/form.html",
    ]


def test_the_core_holds_no_page_of_a_bundled_plugin():
    assert sorted(path.name for path in (CORE_TEMPLATES / "projects" / "importers").iterdir()) == ["_form.html"]


def test_an_importer_that_is_not_installed_is_named(owner_browser):
    _, browser = owner_browser

    page = browser.get("/project/birds/tasks/import?type=csv", headers=HTML, status=404)
    answer = browser.get("/project/birds/tasks/import?type=csv", headers={"Accept": "application/json"}, status=404)

    message = "The importer csv is not installed on this site"
    assert message in page.text and "pybossa-importer-csv" in page.text
    assert answer.json["description"].startswith(message) and answer.json["status_code"] == 404


PACKAGE_DATA = re.compile(r"^Ship both folders in the wheel: in `pyproject.toml`,\n\n```toml\n(.*?)^```$", re.M | re.S)
#: Run in the environment the distribution is installed into: a site with the installed plugins.
SERVE_WORDS = '''
import sys
import webtest
from pybossa_core.config import configure
from pybossa_core.renderers import template_exists

app = configure({"secret": "s" * 32, "database.url": "sqlite:///" + sys.argv[1]}, environ={}).make_wsgi_app()
assert template_exists(app.registry, "projects/importers/words.html"), "the form template was not shipped"
print(webtest.TestApp(app).get("/static/plugins/pybossa_importer_words/words.js").text, end="")
'''


@pytest.mark.slow
def test_the_guides_package_data_ships_the_pages_in_the_wheel(tmp_path):
    """Installed as a distribution (a wheel, not a folder on the path), the words importer still
    brings its form template and its script: the guide's package-data lines ship them."""
    source = tmp_path / "pybossa-importer-words"
    for name, text in guide_files().items():
        if name.startswith("pybossa_importer_words/"):
            (source / "src" / name).parent.mkdir(parents=True, exist_ok=True)
            (source / "src" / name).write_text(text, encoding="utf-8")
    [package_data] = PACKAGE_DATA.findall(GUIDE.read_text(encoding="utf-8"))
    (source / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "pybossa-importer-words"\nversion = "0.1.0"\n\n'
        '[project.entry-points.pybossa]\nimporter-words = "pybossa_importer_words"\n\n' + package_data,
        encoding="utf-8",
    )
    target = tmp_path / "site-packages"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(source)],
                   check=True, capture_output=True, timeout=300)
    environ = {key: value for key, value in os.environ.items() if not key.startswith("PYBOSSA_")}
    environ["PYTHONPATH"] = str(target)

    served = subprocess.run([sys.executable, "-c", SERVE_WORDS, str(tmp_path / "site.sqlite")], cwd=tmp_path,
                            env=environ, capture_output=True, text=True, timeout=120)

    assert served.returncode == 0, served.stderr
    assert served.stdout == guide_files()["pybossa_importer_words/static/words.js"]
