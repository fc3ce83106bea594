"""A volunteer's first visit, end to end in Chromium: register, find a project, answer three
tasks through the image presenter, and watch the progress count them."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.test_pages_account import NEW_ACCOUNT, fill
from tests.browser.test_presenters import MEDIA, answer_every_task, click, media, project_with  # noqa: F401

from pybossa_core.interfaces import IPresenters, find_service

__all__ = ["media"]


def test_a_visitor_registers_and_answers_three_tasks_through_the_image_presenter(visit, live_server, live_factories, media):
    template = find_service(live_server.app.registry, IPresenters)["image"].template
    infos = [{"url_m": MEDIA + "photo.png", "question": f"Is photo {number} red?"} for number in range(3)]
    _, project, tasks = project_with(live_factories, template, infos)
    page = visit.page

    page.goto(f"{visit.site_url}/account/register")
    fill(visit, {**NEW_ACCOUNT, "name": "rosalind", "email_addr": "rosalind@example.com", "fullname": "Rosalind F"})
    page.click("button[type=submit]")
    expect(page.locator(".nav-user")).to_have_text("Rosalind F")

    page.goto(f"{visit.site_url}/project/{project.short_name}/")
    page.click("text=Start contributing")
    # pybossa.run may already have put the first task's own address in the bar: either is the page.
    expect(page).to_have_url(re.compile(re.escape(f"{visit.site_url}/project/{project.short_name}/") + r"(newtask|task/\d+)$"))
    shown = answer_every_task(visit, [click('.btn-answer[value="Yes"]')] * 3, "journey-image")

    assert sorted(shown) == [task.id for task in tasks]
    expect(visit.presenter.locator("#done")).to_have_text("3")
    assert visit.api(f"/api/project/{project.short_name}/userprogress") == {"done": 3, "total": 3}
    [me] = visit.api("/api/user", name="rosalind")
    runs = visit.api("/api/taskrun", project_id=project.id, all=1)
    assert {(run["user_id"], run["info"]) for run in runs} == {(me["id"], "Yes")}
    assert visit.foreign_requests() == [] and visit.errors == []
