"""The qualification quiz in Chromium (issue 19): a volunteer answers the quiz's gold tasks through
the basic presenter, then gets the project's real tasks if they passed, or the polite refusal."""
from __future__ import annotations

import itertools

from playwright.sync_api import expect

from pybossa_core.interfaces import IPresenters, find_service
from pybossa_core.services.quiz import REFUSAL
from tests.browser.test_presenters import SHORT_NAME_PLACEHOLDER, answer_every_task, click
from tests.views.conftest import PASSWORD_HASH

GOLD = "Yes"
_numbers = itertools.count(1)


def quiz_project(live_server, live_factories):
    """A project of the basic presenter with two gold tasks (answer Yes), two real ones and a
    two-question quiz; its owner's API key and a volunteer who may sign in."""
    template = find_service(live_server.app.registry, IPresenters)["basic"].template
    with live_factories as make:
        volunteer, owner = make.user(passwd_hash=PASSWORD_HASH), make.user()
        short_name = f"quiz{next(_numbers)}"
        presenter = template.replace(SHORT_NAME_PLACEHOLDER, short_name)
        project = make.project(owner, short_name, info={"task_presenter": presenter, "quiz": {"questions": 2, "pass_rate": 1}})
        gold = [make.task(project, calibration=1, gold_answers=GOLD, info={"question": f"Gold question {number}?"})
                for number in range(2)]
        # First in the scheduler's order: only the quiz puts the gold tasks before them.
        real = [make.task(project, priority_0=1.0, info={"question": f"Real question {number}?"}) for number in range(2)]
        ids = [task.id for task in gold], [task.id for task in real]
    return volunteer, owner.api_key, project, *ids


def test_a_volunteer_who_passes_the_quiz_goes_on_to_real_tasks(visit, live_server, live_factories):
    volunteer, owner_key, project, gold, real = quiz_project(live_server, live_factories)
    visit.sign_in(volunteer)
    visit.page.goto(f"{visit.site_url}/project/{project.short_name}/newtask")

    shown = answer_every_task(visit, [click(f'.btn-answer[value="{GOLD}"]')] * 4, "quiz-passed")

    assert sorted(shown[:2]) == sorted(gold) and sorted(shown[2:]) == sorted(real)
    [standing] = visit.api(f"/api/project/{project.id}/quiz", api_key=owner_key)
    assert (standing["answered"], standing["correct"], standing["status"]) == (2, 2, "passed")
    assert visit.foreign_requests() == [] and visit.errors == []


def test_a_volunteer_who_fails_is_refused_politely(visit, live_server, live_factories):
    volunteer, _, project, gold, _ = quiz_project(live_server, live_factories)
    visit.sign_in(volunteer)
    page = visit.page
    page.goto(f"{visit.site_url}/project/{project.short_name}/newtask")
    presenter = visit.presenter
    for number in range(2):
        expect(presenter.locator("#task-id")).not_to_have_text("#")
        assert int(presenter.locator("#task-id").inner_text()) in gold
        expect(presenter.locator("#done")).to_have_text(str(number))
        presenter.locator('.btn-answer[value="No"]').click()
    # The quiz failed: no task is presented, and the page says why.
    expect(presenter.locator("#finish")).to_be_visible()
    page.goto(f"{visit.site_url}/project/{project.short_name}/newtask")
    expect(page.locator(".flash")).to_have_text(REFUSAL)
    visit.screenshot("quiz-failed")
    assert visit.api(f"/api/{project.id}/newtask")["info"] == {"error": REFUSAL}
    assert visit.errors == []
