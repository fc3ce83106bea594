"""An owner builds a project in Chromium through the project pages, from creation to downloading its data.

The owner signs in through the sign-in form, creates a project, starts its presenter from a
template in the editor and saves it, imports a CSV file chosen on the computer, publishes the
project, browses its tasks and downloads an export.  Bad input on the creation form is shown
next to its fields and creates nothing.  Each main page is screenshotted into var/screenshots/;
no page may ask anything of another host or log a script error.
"""
from __future__ import annotations

import io
import itertools
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from pybossa_core.models import Webhook
from tests.views.conftest import PASSWORD, PASSWORD_HASH

CSV = "question,url\nA sparrow?,/uploads/a.png\nA robin?,/uploads/b.png\nA crow?,/uploads/c.png\n"
_numbers = itertools.count(1)


@pytest.fixture
def owner(live_factories):
    """A user with a password, unique on the live site's database (it outlives each test)."""
    with live_factories as make:
        return make.user(f"builder{next(_numbers)}", passwd_hash=PASSWORD_HASH)


def sign_in_through_the_form(visit, user) -> None:
    page = visit.page
    page.goto(f"{visit.site_url}/account/signin")
    page.fill("#email", user.email_addr)
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]")
    expect(page.locator(".nav-user")).to_be_visible()


def create_project(visit, short_name: str) -> None:
    page = visit.page
    page.goto(f"{visit.site_url}/project/new")
    visit.screenshot("project-new")
    page.fill("#name", f"Birds {short_name}")
    page.fill("#short_name", short_name)
    page.fill("#description", "Count the birds")
    page.fill("#long_description", "Look at each photo and say what bird it shows.")
    page.click("form button[type=submit]")
    expect(page).to_have_url(f"{visit.site_url}/project/{short_name}/update")
    expect(page.locator("#name")).to_have_value(f"Birds {short_name}")
    visit.screenshot("project-update")


def pick_and_save_a_presenter(visit, short_name: str) -> None:
    page = visit.page
    page.goto(f"{visit.site_url}/project/{short_name}/tasks/taskpresentereditor")
    visit.screenshot("project-presenter-options")
    page.click('a[href$="taskpresentereditor?template=basic"]')
    # CodeMirror replaces the textarea; the preview runs the template with pybossa.js.
    expect(page.locator(".CodeMirror")).to_be_visible()
    assert f"pybossa.run('{short_name}')" in page.evaluate("presenterEditor.getValue()")
    preview = page.frame_locator("iframe[name=preview]")
    expect(preview.locator("body")).to_contain_text("answered", timeout=10_000)
    page.evaluate("presenterEditor.replaceRange('<p id=\"edited\">My own note</p>\\n', {line: 0, ch: 0})")
    page.click("#preview-button")
    expect(preview.locator("#edited")).to_have_text("My own note")
    visit.screenshot("project-presenter-editor")
    page.click("form.editor-form button[type=submit]")
    expect(page).to_have_url(f"{visit.site_url}/project/{short_name}/tasks/")


def import_csv_file(visit, short_name: str) -> None:
    page = visit.page
    page.goto(f"{visit.site_url}/project/{short_name}/tasks/import")
    visit.screenshot("project-import-options")
    page.click('a[href$="tasks/import?type=csv"]')
    page.set_input_files("#csv_file", files=[{"name": "birds.csv", "mimeType": "text/csv", "buffer": CSV.encode()}])
    expect(page.locator("#csv_text")).to_have_value(CSV)
    visit.screenshot("project-import-csv")
    page.click(".importer-form button[type=submit]")
    expect(page).to_have_url(f"{visit.site_url}/project/{short_name}/tasks/")
    expect(page.locator(".figures")).to_contain_text("3 tasks")
    visit.screenshot("project-tasks")


def test_an_owner_builds_publishes_and_exports_a_project(visit, owner, live_factories):
    page, short_name = visit.page, f"birds{next(_numbers)}"
    sign_in_through_the_form(visit, owner)
    create_project(visit, short_name)
    pick_and_save_a_presenter(visit, short_name)
    import_csv_file(visit, short_name)

    page.goto(f"{visit.site_url}/project/{short_name}/publish")
    visit.screenshot("project-publish")
    page.click("form button[type=submit]:has-text('Publish')")
    expect(page).to_have_url(f"{visit.site_url}/project/{short_name}/")
    expect(page.locator("a.btn:has-text('Start contributing')")).to_be_visible()
    visit.screenshot("project-page")
    project = visit.api("/api/project", short_name=short_name)[0]
    assert project["published"] is True and "My own note" in project["info"]["task_presenter"]

    page.goto(f"{visit.site_url}/project/{short_name}/tasks/browse")
    expect(page.locator(".data-table tbody tr")).to_have_count(3)
    visit.screenshot("project-tasks-browse")
    stored = visit.api("/api/task", project_id=project["id"])
    assert sorted(task["info"]["question"] for task in stored) == ["A crow?", "A robin?", "A sparrow?"]

    page.goto(f"{visit.site_url}/project/{short_name}/tasks/export")
    visit.screenshot("project-export")
    with page.expect_download() as waiting:
        page.click(f'a[href="/project/{short_name}/tasks/export?type=task&format=csv"]')
    download = waiting.value
    with zipfile.ZipFile(io.BytesIO(Path(download.path()).read_bytes())) as archive:
        (name,) = archive.namelist()
        exported = archive.read(name).decode("utf-8")
    assert name.endswith(".csv") and "A sparrow?" in exported and "A crow?" in exported

    # One answer through the saved presenter gives the statistics page its charts.
    page.goto(f"{visit.site_url}/project/{short_name}/newtask")
    expect(visit.presenter.locator("#edited")).to_have_text("My own note")
    visit.presenter.locator('.btn-answer[value="Yes"]').click()
    expect(visit.presenter.locator("#success")).to_be_visible()
    assert [run["info"] for run in visit.api("/api/taskrun", project_id=project["id"])] == ["Yes"]
    page.goto(f"{visit.site_url}/project/{short_name}/stats")
    expect(page.locator("#day-stats")).to_be_visible()
    page.wait_for_function("() => ['day-stats', 'hour-stats', 'user-stats'].every(id => pybossaCharts.instances[id])")
    visit.screenshot("project-stats")

    for path, shot in (("results", "project-results"), ("settings", "project-settings"), ("blog", "project-blog")):
        page.goto(f"{visit.site_url}/project/{short_name}/{path}")
        expect(page.locator("h1")).to_contain_text(f"Birds {short_name}")
        visit.screenshot(shot)
    # The edit form files the project in a category (offered by name), whose listing then shows it.
    with live_factories as make:
        category = make.category(f"nature{next(_numbers)}", name="Nature", description="Birds, trees and bees")
    page.goto(f"{visit.site_url}/project/{short_name}/update")
    page.select_option("select#category_id", str(category.id))
    page.click("form button[value=Save]")
    expect(page).to_have_url(f"{visit.site_url}/project/{short_name}/")
    page.goto(f"{visit.site_url}/project/category/{category.short_name}/")
    expect(page.locator(".project-card")).to_contain_text(f"Birds {short_name}")
    expect(page.locator(f'a[href="/project/category/{category.short_name}/?orderby=name"]')).to_be_visible()
    visit.screenshot("project-index")
    assert visit.foreign_requests() == [] and visit.errors == []


def test_bad_input_on_the_new_project_form_is_shown_next_to_the_fields(visit, owner, live_factories):
    with live_factories as make:
        make.project(owner, "takenname", name="Taken")
    page = visit.page
    sign_in_through_the_form(visit, owner)
    page.goto(f"{visit.site_url}/project/new")
    page.fill("#short_name", "takenname")
    page.fill("#description", "Count the birds")
    # The browser's own check of required fields is left out: the server's answer is what is tested.
    page.eval_on_selector("form[action='/project/new']", "form => form.noValidate = true")
    page.click("form button[type=submit]")

    expect(page.locator("#name-error")).to_be_visible()
    expect(page.locator("#short_name-error")).to_contain_text("already")
    expect(page.locator("#name")).to_have_attribute("aria-describedby", "name-error")
    expect(page.locator("#short_name")).to_have_value("takenname")
    expect(page.locator(".flash")).to_contain_text("Please correct the errors")
    visit.screenshot("project-new-errors")
    assert [project["name"] for project in visit.api("/api/project", short_name="takenname", all=1)] == ["Taken"]
    assert visit.foreign_requests() == [] and visit.errors == []


def test_an_owner_sends_a_webhook_delivery_again_from_its_row(visit, owner, live_factories):
    with live_factories as make:
        project = make.project(owner, f"hooked{next(_numbers)}", webhook="http://127.0.0.1:9/hook")
        make.session.add(Webhook(project_id=project.id, payload={"event": "task_completed"},
                                 response="refused", response_status_code=500))
    page = visit.page
    sign_in_through_the_form(visit, owner)
    page.goto(f"{visit.site_url}/project/{project.short_name}/webhook")
    expect(page.locator(".data-table tbody tr")).to_have_count(1)
    page.click("form.resend-one button")
    expect(page.locator(".resend-status")).to_have_text("Queued")
    # The answer came in place: the page itself stayed.
    assert page.url == f"{visit.site_url}/project/{project.short_name}/webhook"
    visit.screenshot("project-webhook")
    assert visit.foreign_requests() == [] and visit.errors == []
