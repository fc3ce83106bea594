"""Security headers on every HTML route (pybossa_core.security_headers), checked through HTTP.

Every route the site has is asked for as a browser would ask, by an admin (who may see the
most pages), with its placeholders filled from a real project, task and user.  Every HTML
answer must carry a Content-Security-Policy whose scripts are the site's own or carry the
request's nonce (and every inline script of the page carries it), must not be framed by
another site, and must carry nosniff and the referrer policy.
"""
from __future__ import annotations

import re

import pytest
from pyramid.interfaces import IRoutesMapper

from pybossa_core.security_headers import HSTS
from tests.views.conftest import PASSWORD_HASH, sign_in

HTML = {"Accept": "text/html"}
PLACEHOLDER = re.compile(r"\{(\w+)(?::((?:[^{}]|\{[^{}]*\})*))?\}")
#: Routes a GET of which ends the test's session.
SKIPPED_ROUTES = {"account.signout"}
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)([^>]*)>", re.IGNORECASE)


def fill(pattern: str, values: dict[str, str]) -> str:
    def value(match):
        name, rule = match.group(1), match.group(2) or ""
        if name in values:
            return values[name]
        if rule == "/?":
            return ""
        if re.fullmatch(r"[\w-]+(\|[\w-]+)*", rule):
            return rule.split("|")[0]
        return "1"

    path = PLACEHOLDER.sub(value, pattern)
    return "/" + path.lstrip("/").replace("*subpath", "css/pybossa.css")


def site_paths(app, values: dict[str, str]) -> list[tuple[str, str]]:
    routes = app.registry.getUtility(IRoutesMapper).get_routes()
    return sorted({(route.name, fill(route.pattern, values)) for route in routes if route.name not in SKIPPED_ROUTES})


def policy(header: str) -> dict[str, str]:
    return {part.split()[0]: part.strip() for part in header.split(";") if part.strip()}


def test_every_html_route_answers_with_the_security_headers(app, testapp, make):
    admin = make.user("boss", admin=True, passwd_hash=PASSWORD_HASH)
    project = make.project(admin, "birds", info={"task_presenter": "<p>Birds</p>", "tutorial": "<p>How</p>"})
    task = make.task(project)
    make.task_run(task, admin)
    sign_in(testapp, admin)
    values = {"short_name": "birds", "task_id": str(task.id), "id": str(project.id), "name": "boss",
              "user": "boss", "category": "thinking"}

    checked = []
    for name, path in site_paths(app, values):
        answer = testapp.get(path, headers=HTML, expect_errors=True)
        assert answer.status_int != 500, (name, path, answer.status)
        headers = answer.headers
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin", path
        assert headers["X-Frame-Options"] == "SAMEORIGIN", path
        if answer.content_type != "text/html":
            continue
        directives = policy(headers["Content-Security-Policy"])
        assert directives["frame-ancestors"] == "frame-ancestors 'self'", path
        if "sandbox" in directives:
            # The presenter frame: the owner's scripts run, never with the site's origin.
            assert "allow-scripts" in directives["sandbox"] and "allow-same-origin" not in directives["sandbox"]
        else:
            nonce = re.fullmatch(r"script-src 'self' 'nonce-([\w-]+)'", directives["script-src"]).group(1)
            assert directives["object-src"] == "object-src 'none'"
            for attributes in INLINE_SCRIPT.findall(answer.text):
                assert 'type="application/json"' in attributes or f'nonce="{nonce}"' in attributes, (path, attributes)
        checked.append(name)

    # Every kind of page was among them: the site's, an account's, a project's, the admin's, the presenter's.
    for expected in ("site.home", "account.profile", "project.settings", "admin.index", "project.newtask",
                     "project.frame", "project.task_presenter_editor", "api.docs"):
        assert expected in checked, expected
    assert len(checked) > 60


def test_each_page_has_a_nonce_of_its_own(testapp):
    nonces = {policy(testapp.get("/", headers=HTML).headers["Content-Security-Policy"])["script-src"] for _ in range(3)}
    assert len(nonces) == 3


def test_json_answers_and_static_files_get_the_headers_that_apply_to_them(testapp):
    api = testapp.get("/api/project", headers={"Accept": "application/json"})
    assert api.headers["X-Content-Type-Options"] == "nosniff" and "Content-Security-Policy" not in api.headers
    font = testapp.get("/static/vendor/font-awesome4/fonts/fontawesome-webfont.woff2")
    # The presenter frame has an opaque origin, and fonts are fetched in CORS mode.
    assert font.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("secure", [True, False])
def test_hsts_is_sent_only_by_sites_served_over_https(site_with, secure):
    site = site_with(**{"session.secure_cookie": secure})
    headers = site.get("/", headers=HTML).headers
    assert headers.get("Strict-Transport-Security") == (HSTS if secure else None)
