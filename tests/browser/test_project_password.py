"""A visitor meets a password-protected project in Chromium: asked once, then let in."""
from __future__ import annotations

import itertools

from playwright.sync_api import expect

from pybossa_core.services.project_passwords import set_password

_numbers = itertools.count(1)


def test_a_visitor_gives_the_password_and_reaches_the_contribution_page(visit, live_factories):
    short_name = f"vault{next(_numbers)}"
    with live_factories as make:
        project = make.project(make.user(), short_name, name="The Vault",
                               info={"task_presenter": "<p id='presenter'>Welcome in</p>"})
        set_password(project, "open sesame")
        make.task(project)
    page = visit.page
    page.goto(f"{visit.site_url}/project/{short_name}/newtask")
    expect(page).to_have_url(f"{visit.site_url}/project/{short_name}/password?next=%2Fproject%2F{short_name}%2Fnewtask")
    visit.screenshot("project-password")

    page.fill("#password", "a guess")
    page.click("form button[type=submit]")
    expect(page.locator("#password-error")).to_contain_text("Sorry, incorrect password")

    page.fill("#password", "open sesame")
    page.click("form button[type=submit]")
    expect(page).to_have_url(f"{visit.site_url}/project/{short_name}/newtask")
    # Unlocked for this visitor: the project's other pages open without asking again.
    page.goto(f"{visit.site_url}/project/{short_name}/")
    expect(page).to_have_url(f"{visit.site_url}/project/{short_name}/")
    expect(page.locator("h1")).to_contain_text("The Vault")
    assert visit.foreign_requests() == [] and visit.errors == []
