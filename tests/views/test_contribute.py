"""The contribution page (/project/<short_name>/newtask) and the task page as browsers see them."""
from __future__ import annotations

import re

from tests.views.conftest import JSON, PASSWORD, csrf_of, sign_in

PRESENTER = '<div id="skeleton">presenter of birds</div><script>pybossa.run("birds");</script>'
HTML = {"Accept": "text/html"}


def script_sources(html: str) -> list[str]:
    return re.findall(r'<script src="([^"]+)"', html)


def presenter_frame(page):
    """The page's presenter frame (views.presenter_frame), which must be sandboxed without the site's origin."""
    [frame] = page.html.select("iframe[data-pybossa-presenter]")
    tokens = list(frame["sandbox"])
    assert "allow-scripts" in tokens and "allow-same-origin" not in tokens
    return frame


def test_newtask_page_runs_the_presenter_in_a_sandboxed_frame(browser, project):
    project.info = {"task_presenter": PRESENTER}
    page = browser.get("/project/birds/newtask", headers=HTML)
    assert page.content_type == "text/html"
    html = page.text
    assert script_sources(html)[0] == "/static/js/presenter-host.js"
    frame = presenter_frame(page)
    assert (frame["src"], frame["data-project-id"], frame["data-short-name"]) == (
        "/project/birds/frame/newtask", str(project.id), "birds")
    assert frame.has_attr("data-follow-address")
    # The owner's code is never part of the page that holds the volunteer's CSRF token.
    assert PRESENTER not in html
    assert f'<meta name="csrf-token" content="{csrf_of(browser)}">' in html
    assert "Member One" in html and "Sign out" in html


def test_newtask_answers_json_clients_without_the_presenter(testapp, make, project):
    project.info = {"task_presenter": PRESENTER}
    body = testapp.get("/project/birds/newtask", headers=JSON).json
    assert set(body) == {"owner", "project", "title", "template", "flash", "status"}
    assert body["template"] == "/projects/presenter.html"
    assert body["title"] == "Project: Birds &middot; Contribute"
    assert body["status"] == "warning" and "anonymous user" in body["flash"]
    assert "task_presenter" not in body["project"]["info"]


def test_anonymous_visitors_are_warned_they_get_no_credit(testapp, project):
    project.info = {"task_presenter": PRESENTER}
    page = testapp.get("/project/birds/newtask", headers=HTML)
    assert "You are an anonymous user and will not get any credit" in page.text
    assert presenter_frame(page)["src"] == "/project/birds/frame/newtask" and "Sign in" in page.text


def test_projects_without_anonymous_contributors_send_visitors_to_sign_in(testapp, project):
    project.allow_anonymous_contributors = False
    redirected = testapp.get("/project/birds/newtask", headers=HTML, status=302)
    assert redirected.location.endswith("/account/signin?next=%2Fproject%2Fbirds%2Fnewtask")
    body = testapp.get("/project/birds/newtask", headers=JSON).json
    assert body["status"] == "warning" and "<strong>Birds</strong>" in body["flash"]


def test_drafts_are_contributed_to_by_their_owners_only(testapp, make, member, project):
    project.published = False
    page = testapp.get("/project/birds/newtask", headers=HTML, status=404)
    assert "404" in page.text and page.content_type == "text/html"
    sign_in(testapp, member)
    assert testapp.get("/project/birds/newtask", headers=JSON).json["project"]["published"] is False


def test_a_project_without_presenter_says_so(browser, project):
    project.info = {}
    body = browser.get("/project/birds/newtask", headers=JSON).json
    assert body["status"] == "error" and "does not have a task presenter" in body["flash"]
    assert not browser.get("/project/birds/newtask", headers=HTML).html.select("iframe")


def test_the_tutorial_comes_first_once(browser, project):
    project.info = {"task_presenter": PRESENTER, "tutorial": "<p>How to count birds</p>"}
    first = browser.get("/project/birds/newtask", headers=HTML)
    assert presenter_frame(first)["src"] == "/project/birds/frame/tutorial"
    assert "birdstutorial=seen" in first.headers["Set-Cookie"]
    second = browser.get("/project/birds/newtask", headers=HTML)
    assert presenter_frame(second)["src"] == "/project/birds/frame/newtask"


def test_task_page_presets_its_task_for_pybossa_run(testapp, make, project):
    project.info = {"task_presenter": PRESENTER}
    task = make.task(project)
    page = testapp.get(f"/project/birds/task/{task.id}", headers=HTML)
    assert presenter_frame(page)["src"] == f"/project/birds/frame/task/{task.id}"
    frame = testapp.get(f"/project/birds/frame/task/{task.id}", headers=HTML).text
    assert f'<meta name="pybossa-task-id" content="{task.id}">' in frame and PRESENTER in frame
    body = testapp.get(f"/project/birds/task/{task.id}", headers=JSON).json
    assert set(body) == {"owner", "project", "template", "title"}
    assert "task_presenter" not in body["project"]["info"]


def test_browsers_sign_in_through_the_form_and_come_back(testapp, member, project):
    project.allow_anonymous_contributors = False
    project.info = {"task_presenter": PRESENTER}
    form_page = testapp.get("/project/birds/newtask", headers=HTML).follow(headers=HTML)
    form = form_page.forms[0]
    assert form.action == "/account/signin?next=/project/birds/newtask"
    form["email"], form["password"] = member.email_addr, "wrong-password"
    refused = form.submit(headers=HTML)
    assert refused.status_int == 200 and "Ooops, Incorrect email/password" in refused.text
    form = refused.forms[0]
    form["password"] = PASSWORD
    signed_in = form.submit(headers=HTML, status=302)
    assert signed_in.location.endswith("/project/birds/newtask")
    assert presenter_frame(signed_in.follow(headers=HTML))["src"] == "/project/birds/frame/newtask"


def test_tutorial_page_shows_the_owners_tutorial(testapp, project):
    project.info = {"task_presenter": PRESENTER, "tutorial": "<p>How to count birds</p>"}
    page = testapp.get("/project/birds/tutorial", headers=HTML)
    assert presenter_frame(page)["src"] == "/project/birds/frame/tutorial" and 'href="/project/birds/newtask"' in page.text
    assert "<p>How to count birds</p>" in testapp.get("/project/birds/frame/tutorial", headers=HTML).text
    assert testapp.get("/project/birds/tutorial", headers=JSON).json["tutorial"] == "<p>How to count birds</p>"
