"""An owner marks a task as gold in Chromium: from the task list to the task's page and back."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.views.conftest import PASSWORD_HASH


def test_an_owner_marks_a_task_gold_from_the_task_list(visit, live_factories):
    with live_factories as make:
        owner = make.user(passwd_hash=PASSWORD_HASH)
        project = make.project(owner, "goldbirds")
        task = make.task(project, info={"question": "Bird or plane?"})
        task_id, project_id, owner_key = task.id, project.id, owner.api_key
    visit.sign_in(owner)
    page = visit.page
    page.goto(f"{visit.site_url}/project/goldbirds/tasks/browse")
    page.get_by_role("link", name="Make it gold").click()
    expect(page).to_have_url(f"{visit.site_url}/project/goldbirds/tasks/{task_id}/review#gold")
    page.get_by_label("Expected answer (JSON)").fill("{not json")
    page.get_by_role("button", name="Make it a gold task").click()
    expect(page.locator("#gold_answers-error")).to_contain_text("must be JSON")
    page.get_by_label("Expected answer (JSON)").fill('{"label": "bird"}')
    page.get_by_role("button", name="Make it a gold task").click()
    expect(page.locator(".flash")).to_contain_text("The task is a gold task")
    visit.screenshot("gold-task")
    page.goto(f"{visit.site_url}/project/goldbirds/tasks/browse")
    expect(page.get_by_role("link", name="Gold", exact=True)).to_be_visible()
    served = visit.api(f"/api/task/{task_id}", api_key=owner_key)
    assert (served["calibration"], served["gold_answers"], served["project_id"]) == (1, {"label": "bird"}, project_id)
    assert visit.errors == []
