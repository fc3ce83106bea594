"""Third-party importers in Chromium: one with its own form template and script, one without a
page (the site draws its form from the schema); both import tasks from the browser."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from pybossa_core.config import configure
from tests import factories
from tests.browser.conftest import Visit
from tests.conftest import LiveServer, app_settings, fresh_engine
from tests.plugin_packages import forget_plugins, write_plugins
from tests.views.conftest import PASSWORD, PASSWORD_HASH


@pytest.fixture
def plugin_site(sqlite_only, backend, tmp_path_factory):
    """A live site with exactly the two third-party importers, an owner and a project."""
    folder = tmp_path_factory.mktemp("third_party")
    plugins = write_plugins(folder)
    with fresh_engine(backend, tmp_path_factory, "plugin_pages") as engine:
        app = configure(app_settings(engine, tmp_path_factory.mktemp("uploads")), plugins=plugins,
                        autoload_plugins=False, environ={}).make_wsgi_app()
        server = LiveServer(app)
        with factories.Committing(server) as make:
            owner = make.user("pageowner", passwd_hash=PASSWORD_HASH)
            make.project(owner, short_name="colours")
        yield server, owner
        server.server.shutdown()
    forget_plugins(folder)


@pytest.fixture
def owner_visit(chromium, plugin_site):
    server, owner = plugin_site
    context = chromium.new_context()
    visit = Visit(context, server.url)
    page = visit.page
    page.goto(f"{server.url}/account/signin")
    page.fill("#email", owner.email_addr)
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]")
    expect(page.locator(".nav-user")).to_be_visible()
    yield visit
    assert visit.errors == [] and visit.foreign_requests() == []
    context.close()


def test_an_importer_page_and_script_from_the_plugin(owner_visit):
    page, url = owner_visit.page, owner_visit.site_url
    page.goto(f"{url}/project/colours/tasks/import")
    page.click('a[href$="tasks/import?type=words"]')
    expect(page.locator("#words-note")).to_have_text("Drawn by the plugin's template.")
    expect(page.locator("#words-script")).to_have_text("Its script ran.")
    owner_visit.screenshot("plugin-importer-own-page")
    page.fill("#words", "crow robin wren")
    page.click(".importer-form button[type=submit]")
    expect(page).to_have_url(f"{url}/project/colours/tasks/")
    expect(page.locator(".figures")).to_contain_text("3 tasks")


def test_an_importer_without_a_page_gets_a_form_from_its_schema(owner_visit):
    page, url = owner_visit.page, owner_visit.site_url
    page.goto(f"{url}/project/colours/tasks/import?type=colours")
    expect(page.get_by_label("Colours")).to_be_visible()
    expect(page.locator("#colours-help")).to_have_text("Comma-separated colour names.")
    owner_visit.screenshot("plugin-importer-generic-page")
    page.get_by_label("Colours").fill("red, green")
    page.get_by_label("Shade").fill("dark")
    page.click(".importer-form button[type=submit]")
    expect(page).to_have_url(f"{url}/project/colours/tasks/")
    expect(page.locator(".figures")).to_contain_text("2 tasks")
