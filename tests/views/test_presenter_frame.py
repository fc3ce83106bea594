"""The presenter's sandboxed frame (views.presenter_frame) and the old theme's asset addresses, through HTTP."""
from __future__ import annotations

import re

import pytest

from tests.views.conftest import csrf_of, sign_in

PRESENTER = '<div id="skeleton">presenter of birds</div><script>pybossa.run("birds");</script>'
HTML = {"Accept": "text/html"}


def script_sources(html: str) -> list[str]:
    return re.findall(r'<script src="([^"]+)"', html)


def sandbox_of(answer) -> list[str]:
    [policy] = [part.strip() for part in answer.headers["Content-Security-Policy"].split(";") if "sandbox" in part]
    return policy.split()[1:]


def test_the_frame_holds_the_presenter_in_the_classic_environment_and_nothing_of_the_account(browser, member, project):
    project.info = {"task_presenter": PRESENTER}
    member.locale = "es"
    frame = browser.get("/project/birds/frame/newtask", headers=HTML)

    sandbox = sandbox_of(frame)
    assert "allow-scripts" in sandbox and "allow-same-origin" not in sandbox and "allow-top-navigation" not in sandbox
    assert "frame-ancestors 'self'" in frame.headers["Content-Security-Policy"]
    html = frame.text
    assert PRESENTER in html
    assert script_sources(html) == [
        "/static/js/presenter-frame.js", "/static/vendor/jquery2/jquery.min.js",
        "/static/vendor/bootstrap3/js/bootstrap.min.js", "/static/js/pybossa.js", "/static/js/pybossa-player.js"]
    assert "/static/vendor/bootstrap3/css/bootstrap.min.css" in html and "font-awesome4/css/font-awesome.min.css" in html
    assert frame.html.find(id="PYBOSSA_USER_LOCALE").get_text() == "es"
    assert frame.html.find("base")["href"] == "/project/birds/newtask"
    # Nothing that would let the owner's code act as the volunteer.
    for secret in (csrf_of(browser), member.api_key, member.email_addr):
        assert secret not in html
    assert "csrf-token" not in html


@pytest.mark.parametrize("declared, chosen, environment", [
    (False, None, "classic"), (True, None, "modern"), (True, "classic", "classic"), (False, "modern", "modern")])
def test_the_owner_chooses_the_environment_or_the_presenter_declares_it(testapp, project, declared, chosen, environment):
    presenter = ('<meta name="pybossa-environment" content="modern">' if declared else "") + PRESENTER
    project.info = {"task_presenter": presenter, **({"presenter_environment": chosen} if chosen else {})}
    html = testapp.get("/project/birds/frame/newtask", headers=HTML).text
    assert f'<meta name="pybossa-environment" content="{environment}">' in html
    assert ("/static/vendor/jquery/jquery.min.js" in html) == (environment == "modern")
    assert ("bootstrap3" in html) == (environment == "classic")


def test_the_task_frame_starts_with_its_task_of_this_project_only(testapp, make, project):
    project.info = {"task_presenter": PRESENTER}
    task = make.task(project)
    other = make.task(make.project(make.user(), "other"))
    html = testapp.get(f"/project/birds/frame/task/{task.id}", headers=HTML).text
    assert f'<meta name="pybossa-task-id" content="{task.id}">' in html
    testapp.get(f"/project/birds/frame/task/{other.id}", headers=HTML, status=404)


def test_drafts_frames_are_shown_to_their_owners_only(testapp, member, project):
    project.info = {"task_presenter": PRESENTER}
    project.published = False
    testapp.get("/project/birds/frame/newtask", headers=HTML, status=404)
    sign_in(testapp, member)
    assert PRESENTER in testapp.get("/project/birds/frame/newtask", headers=HTML).text


def test_the_editor_preview_shows_the_posted_presenter_to_owners_only(testapp, make, member, project):
    sign_in(testapp, member)
    posted = {"editor": "<p id='draft'>unsaved</p>", "csrf_token": csrf_of(testapp)}
    preview = testapp.post("/project/birds/frame/preview", posted, headers=HTML)
    assert "<p id='draft'>unsaved</p>" in preview.text and "allow-same-origin" not in sandbox_of(preview)
    assert '<meta name="pybossa-environment" content="classic">' in preview.text
    # The preview runs in the environment chosen beside the editor, saved or not.
    project.info = {"presenter_environment": "classic"}
    preview = testapp.post("/project/birds/frame/preview", {**posted, "environment": "modern"}, headers=HTML)
    assert '<meta name="pybossa-environment" content="modern">' in preview.text
    testapp.post("/project/birds/frame/preview", {"editor": "x"}, headers=HTML, status=400)

    sign_in(testapp, make.user("stranger", passwd_hash=member.passwd_hash))
    testapp.post("/project/birds/frame/preview", {**posted, "csrf_token": csrf_of(testapp)}, headers=HTML, status=403)


@pytest.mark.parametrize("old, new", [
    ("/static/js/pybossa/pybossa.js", "/static/js/pybossa.js"),
    ("/static/js/pybossa-player/dist/pybossa-player.min.js", "/static/js/pybossa-player.js"),
    ("/static/js/throbber/throbber.js", "/static/js/throbber.js"),
    ("/static/vendor/jquery.js", "/static/vendor/jquery2/jquery.min.js"),
])
def test_the_old_themes_asset_addresses_lead_to_the_sites_files(testapp, old, new):
    moved = testapp.get(old, status=301)
    assert moved.location.endswith(new)
    asset = testapp.get(new)
    assert asset.content_type in ("application/javascript", "text/javascript") and asset.body
