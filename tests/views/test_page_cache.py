"""Anonymous views of ``/``, ``/stats/``, the leaderboard and a project's statistics: rendered once
per change of what they show, each visitor getting their own CSRF token and script nonce."""
from __future__ import annotations

import re

import pytest
from pyramid.interfaces import IBeforeRender

from pybossa_core import page_cache
from pybossa_core.models.meta import utcnow
from tests.views.conftest import JSON, csrf_of, sign_in

PAGES = ("/", "/stats/", "/leaderboard/", "/project/birds/stats")
TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
NONCE = re.compile(r'<script nonce="([^"]+)"')


@pytest.fixture
def rendered():
    """``rendered(site)``: the list of the templates ``site`` renders from then on, by name."""
    registered = []

    def watch(registry):
        names = []
        registered.append((registry, lambda event: names.append(event["renderer_name"])))
        registry.registerHandler(registered[-1][1], (IBeforeRender,))
        return names

    yield watch
    for registry, handler in registered:
        registry.unregisterHandler(handler, (IBeforeRender,))


@pytest.fixture
def renders(app, rendered):
    """The templates the tests' site renders during the test, by name."""
    return rendered(app.registry)


@pytest.fixture
def answered(make, project):
    task = make.task(project, n_answers=2)
    make.task_run(task, make.user("alice", fullname="Alice A"))
    return task


def own_values(answer) -> tuple[str, str]:
    """The page's CSRF token and its scripts' nonce, checked against the CSP header's."""
    nonces = set(NONCE.findall(answer.text))
    assert nonces and answer.headers["Content-Security-Policy"].count(f"'nonce-{nonces.pop()}'") == 1 and not nonces
    return TOKEN.search(answer.text).group(1), NONCE.search(answer.text).group(1)


def without_own_values(answer) -> str:
    token, nonce = own_values(answer)
    return answer.text.replace(token, "TOKEN").replace(nonce, "NONCE")


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_visitors_share_one_rendering_with_their_own_token_and_nonce(testapp, answered, renders, path):
    first = testapp.get(path)
    again = testapp.get(path)
    testapp.reset()  # another visitor: no cookie yet
    other = testapp.get(path)

    assert len(renders) == 1
    assert without_own_values(first) == without_own_values(again) == without_own_values(other)
    assert own_values(first)[0] == own_values(again)[0] != own_values(other)[0]
    assert len({own_values(answer)[1] for answer in (first, again, other)}) == 3
    # The new visitor was given the token of the page in their cookie: their form posts pass.
    assert "pybossa_session=" in other.headers["Set-Cookie"]
    assert csrf_of(testapp) == own_values(other)[0]


def test_a_write_renders_the_pages_again_with_what_it_changed(testapp, make, project, answered, renders, dbsession):
    assert "Alice A" in testapp.get("/leaderboard/")
    stats = testapp.get("/project/birds/stats").text
    make.task_run(answered, make.user("bob", fullname="Bob Builder"))
    project.name = "Birds renamed"
    dbsession.flush()

    assert "Bob Builder" in testapp.get("/leaderboard/")
    renamed = testapp.get("/project/birds/stats").text
    assert "Birds renamed" in renamed and "Birds renamed" not in stats
    assert len(renders) == 4


def test_a_project_no_longer_readable_is_refused_though_its_page_was_kept(testapp, project, answered, dbsession):
    testapp.get("/project/birds/stats")
    project.published = False
    dbsession.flush()
    testapp.get("/project/birds/stats", status=404)


def test_signed_in_views_are_their_own_and_never_kept(testapp, make, member, answered, renders):
    anonymous = testapp.get("/stats/")
    sign_in(testapp, member)
    signed_in = testapp.get("/stats/")
    assert "Member One" in signed_in and "Member One" not in anonymous
    testapp.reset()
    assert "Member One" not in testapp.get("/stats/")
    assert renders.count("stats/global.html") == 2


def test_a_flash_message_is_shown_to_its_visitor_only(testapp, member, answered, renders):
    testapp.get("/stats/")
    sign_in(testapp, member)
    testapp.get("/account/signout", headers={"X-CSRFToken": csrf_of(testapp)}, status=302)
    assert "You are now signed out" in testapp.get("/stats/")
    assert "You are now signed out" not in testapp.get("/stats/")
    testapp.reset()
    assert "You are now signed out" not in testapp.get("/stats/")


def test_each_language_and_query_has_its_own_page(testapp, answered, renders):
    english = testapp.get("/stats/")
    french = testapp.get("/stats/", headers={"Accept-Language": "fr"})
    assert english.html.find("html")["lang"] == "en" and french.html.find("html")["lang"] == "fr"
    assert testapp.get("/stats/", headers={"Accept-Language": "fr"}).html.find("html")["lang"] == "fr"
    assert testapp.get("/stats/", {"lang": "es"}).html.find("html")["lang"] == "es"
    assert testapp.get("/stats/", headers=JSON).json["template"] == "/stats/global.html"
    assert renders.count("stats/global.html") == 3


def test_a_kept_page_is_rendered_again_after_the_allowed_lag(site_with, answered, rendered, monkeypatch):
    site = site_with(**{"cache.max_lag": "30"})
    renders = rendered(site.app.app.registry)
    site.get("/stats/")
    site.get("/stats/")
    assert len(renders) == 1
    later = utcnow().timestamp() + 31
    monkeypatch.setattr(page_cache.time, "time", lambda: later)
    site.get("/stats/")
    assert len(renders) == 2


def test_pages_are_rendered_each_time_while_templates_are_reloaded(site_with, answered, rendered):
    site = site_with(**{"pyramid.reload_templates": "true"})
    renders = rendered(site.app.app.registry)
    site.get("/stats/")
    site.get("/stats/")
    assert len(renders) == 2
