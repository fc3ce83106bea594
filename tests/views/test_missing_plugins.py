"""Missing plugins are named (issue 24): a presenter asked for that no plugin registers, projects
naming a scheduler or aggregator no plugin registers, a site without importers or presenters;
and the admin plugins page, which lists every plugin, what it registers and what failed."""
from __future__ import annotations

import pytest

from pybossa_core.config import configure
from pybossa_core.plugin_api import ImporterSpec, PresenterSpec, SchedulerSpec, hookimpl
from pybossa_core.services.scheduling import builtin
from pybossa_core.testing import app_settings
from tests.conftest import in_test_transaction
from tests.views.conftest import JSON, PASSWORD_HASH, sign_in

HTML = {"Accept": "text/html"}


class Lines:
    """An importer without csv, a presenter, and a scheduler replacing the built-in default."""

    @hookimpl
    def register_importers(self):
        return [ImporterSpec("lines", "One per line", dict, list)]

    @hookimpl
    def register_presenters(self):
        return [PresenterSpec("plain", "Plain", "A plain page.", "<p>{{ project.short_name }}</p>")]

    @hookimpl
    def register_schedulers(self):
        return [SchedulerSpec("default", "Mine", builtin.depth_first)]


class Broken:
    @hookimpl
    def register_importers(self):
        raise RuntimeError("no service configured")


def site_of(dbengine, uploads_dir, *plugins):
    return configure(app_settings(dbengine, uploads_dir), environ={}, plugins=plugins,
                     autoload_plugins=False).make_wsgi_app()


@pytest.fixture(scope="module")
def plugged_app(dbengine, uploads_dir):
    return site_of(dbengine, uploads_dir, Lines(), Broken())


@pytest.fixture(scope="module")
def bare_app(dbengine, uploads_dir):
    return site_of(dbengine, uploads_dir)


@pytest.fixture
def plugged(plugged_app, tm, dbsession):
    return in_test_transaction(plugged_app, tm, dbsession)


@pytest.fixture
def bare(bare_app, tm, dbsession):
    return in_test_transaction(bare_app, tm, dbsession)


@pytest.fixture
def root(make):
    admin = make.admin("root")
    admin.passwd_hash = PASSWORD_HASH
    make.project(admin, "birds")
    make.project(admin, "gone", info={"sched": "fifo", "aggregator": "bayes"})
    make.project(admin, "fine", info={"sched": "breadth_first", "aggregator": "majority"})
    return admin


def test_the_admin_plugins_page_lists_each_plugin_what_it_registers_and_the_failures(plugged, root):
    sign_in(plugged, root)

    answer = plugged.get("/admin/plugins", headers=JSON).json
    page = plugged.get("/admin/plugins", headers=HTML)

    listed = {plugin["name"]: plugin for plugin in answer["plugins"]}
    [lines] = [plugin for plugin in answer["plugins"] if "register_importers" in plugin["hooks"]]
    assert lines["kinds"] == ["importers", "presenters", "schedulers"]
    assert lines["registers"] == [
        {"kind": "importer", "name": "lines"}, {"kind": "presenter", "name": "plain"}, {"kind": "scheduler", "name": "default"},
    ]
    assert lines["status"] == ["OVERRIDES scheduler default of pybossa_core.services.scheduling.builtin"]
    assert listed["pybossa_core.services.aggregation.builtin"]["builtin"] is True
    assert listed["pybossa_core.services.aggregation.builtin"]["status"] == ["OK"]
    [failed] = answer["failed"]
    assert failed["error"] == "register_importers raised RuntimeError: no service configured"
    assert [missing["scope"] for missing in answer["not_computed"]] == ["project", "site", "dashboard"]
    assert [(missing["project"], missing["kind"], missing["name"]) for missing in answer["projects_missing_plugins"]] == [
        ("gone", "schedulers", "fifo"), ("gone", "aggregators", "bayes"),
    ]
    assert answer["projects_missing_plugins"][0]["message"] == (
        "The scheduler fifo is not installed on this site: its administrator needs to install the plugin that "
        "provides it and restart the site. Project gone uses 'default' meanwhile."
    )
    rows = {row["id"]: row.text for row in page.html.select("#plugins tbody tr")}
    assert "importer lines, presenter plain, scheduler default" in " ".join(rows[f"plugin-{lines['name']}"].split())
    assert "no service configured" in page.html.find(id="failed-plugins").text
    missing = page.html.find(id="missing-plugins").text
    assert "The aggregator bayes is not installed on this site" in missing and "gone" in missing
    assert "pybossa-stats-default" in missing
    assert 'href="/admin/plugins"' in plugged.get("/admin/", headers=HTML).text


def test_the_admin_plugins_page_is_for_admins(plugged, root, make):
    assert plugged.get("/admin/plugins", headers=JSON, status=302).json["status"] == "not_signed_in"
    volunteer = make.user("volunteer", passwd_hash=PASSWORD_HASH)
    sign_in(plugged, volunteer)
    plugged.get("/admin/plugins", headers=JSON, status=403)


def test_a_presenter_that_is_not_installed_is_named(plugged, root):
    sign_in(plugged, root)

    page = plugged.get("/project/birds/tasks/taskpresentereditor?template=photo", headers=HTML, status=404)
    answer = plugged.get("/project/birds/tasks/taskpresentereditor?template=photo", headers=JSON, status=404).json

    message = "The presenter photo is not installed on this site"
    assert message in page.text
    assert answer["description"].startswith(message) and answer["status_code"] == 404


def test_without_csv_the_presenter_options_name_the_sites_importers(plugged, root):
    sign_in(plugged, root)

    answer = plugged.get("/project/birds/tasks/taskpresentereditor", headers=JSON).json

    assert answer["presenters"] == ["projects/presenters/plain.html"]
    assert "one of the site's" in answer["flash"] and "CSV importer" not in answer["flash"]


def test_a_site_without_importers_says_what_to_install_on_the_import_page(bare, root):
    sign_in(bare, root)

    page = bare.get("/project/birds/tasks/import", headers=HTML)
    answer = bare.get("/project/birds/tasks/import", headers=JSON).json

    assert answer["available_importers"] == [] and answer["status"] == "warning"
    assert answer["flash"].startswith("No importer is installed on this site")
    assert "pybossa-importer-csv" in answer["flash"]
    assert "pip install pybossa-importer-csv" in page.html.find(id="no-importer").text


def test_a_site_without_presenters_opens_the_editor_saying_what_to_install(bare, root):
    sign_in(bare, root)

    answer = bare.get("/project/birds/tasks/taskpresentereditor", headers=JSON).json
    page = bare.get("/project/birds/tasks/taskpresentereditor", headers=HTML)

    assert answer["template"] == "projects/task_presenter_editor.html" and answer["form"]["editor"] == ""
    assert answer["flash"].startswith("No task presenter template is installed on this site")
    assert "pybossa-presenters-basic" in page.text and "CSV importer" not in page.text
