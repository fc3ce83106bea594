"""Published PYBOSSA projects' presenters, exactly as their authors published them, end to end.

The presenters are other projects' code, so the repository does not carry them: point
``PYBOSSA_PUBLISHED_PRESENTERS`` at a folder holding ``<app>/template.html`` for the apps below
(Scifabric's app-flickrperson and app-soundcloud, their ``template.html`` unchanged) to run
them.  Each is created as its author's instructions say (its short name, tasks with the info
keys its template reads), a volunteer answers every task in Chromium, and the answers are read
back through the API.  What the templates ask of other hosts (a placeholder photo) is answered
by the test; the site itself asks nothing of them.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_presenters import (  # noqa: F401
    MEDIA, answer_every_task, answers_by_task, click, media, project_with, tiny_png,
)

__all__ = ["media"]

FOLDER = os.environ.get("PYBOSSA_PUBLISHED_PRESENTERS")

#: app -> the info of its two tasks, and the answer stored for a click on "Yes".
APPS = {
    "flickrperson": ([{"url_b": MEDIA + "photo.png", "url_m": MEDIA + "photo.png", "link": MEDIA + "photo.png"}] * 2,
                     "Yes"),
    "soundcloud": ([{"audio_url": MEDIA + "sound.wav", "question": "Is this a hip-hop song?"}] * 2, {"answer": "Yes"}),
}


def published_template(app: str) -> str:
    if not FOLDER:
        pytest.skip("PYBOSSA_PUBLISHED_PRESENTERS names no folder of published presenters")
    return (Path(FOLDER) / app / "template.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("app", APPS)
def test_a_published_presenter_runs_unchanged(app, visit, live_factories, media):
    template = published_template(app)
    infos, answer = APPS[app]
    volunteer, project, tasks = project_with(live_factories, template, infos, short_name=app)
    site = visit.site_url
    visit.context.route(lambda url: not url.startswith(site + "/"),
                        lambda route: route.fulfill(status=200, content_type="image/png", body=tiny_png()))
    visit.sign_in(volunteer)
    visit.page.goto(f"{site}/project/{app}/newtask")

    shown = answer_every_task(visit, [click('.btn-answer[value="Yes"]')] * 2, f"published-{app}")

    assert sorted(shown) == [task.id for task in tasks]
    assert answers_by_task(visit, project, volunteer) == {task.id: answer for task in tasks}
    expect(visit.page).to_have_url(re.compile(re.escape(f"{site}/project/{app}/task/") + r"\d+$"))
    # Only what the template itself names elsewhere (flickrperson's placeholder photo) left the site.
    assert {url.split("/")[2] for url in visit.foreign_requests()} <= {"i.imgur.com"}
    assert visit.errors == []
