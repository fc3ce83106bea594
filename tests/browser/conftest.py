"""Fixtures for the browser tests: one headless Chromium per session, driving the live site.

Chromium is Debian's (``/usr/bin/chromium``, installed by ``make install``), driven through
Playwright.  The browser tests run on SQLite only: they check what the browser does with the
pages and pybossa.js, which no database changes; the PostgreSQL runs of the same flows are
the WebTest and live-server tests.
"""
from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.views.conftest import JSON, PASSWORD

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
#: How long (ms) a page may take to show what a test waits for.
TIMEOUT = 10_000


@pytest.fixture
def sqlite_only(backend):
    """Skip the PostgreSQL run of a browser test, saying why."""
    if backend != "sqlite":
        pytest.skip("browser tests run on SQLite only: the database is checked by the WebTest and live-server tests")


@pytest.fixture(scope="session")
def chromium():
    """A headless Chromium for the whole session."""
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (make install does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


class Visit:
    """A browser tab on the live site, and every URL it requested."""

    def __init__(self, context, site_url: str):
        self.context, self.site_url = context, site_url
        self.page = context.new_page()
        self.page.set_default_timeout(TIMEOUT)
        self.requested: list[str] = []
        self.page.on("request", lambda request: self.requested.append(request.url))
        #: Uncaught script errors and console errors, which a working page has none of.
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))

    def sign_in(self, user) -> None:
        """Sign ``user`` in as a JavaScript client does: read the CSRF token, post the form as JSON."""
        api = self.context.request
        csrf = api.get(f"{self.site_url}/account/register", headers=JSON).json()["form"]["csrf"]
        answer = api.post(f"{self.site_url}/account/signin", headers={**JSON, "X-CSRFToken": csrf},
                          data={"email": user.email_addr, "password": PASSWORD})
        assert answer.ok and answer.json()["status"] == "success", answer.text()

    def api(self, path: str, **params):
        """GET ``path`` on the site's API with the tab's cookies; return the JSON."""
        answer = self.context.request.get(f"{self.site_url}{path}", params=params, headers=JSON)
        assert answer.ok, answer.text()
        return answer.json()

    @property
    def presenter(self):
        """The page's sandboxed presenter frame (views.presenter_frame)."""
        return self.page.frame_locator("iframe[data-pybossa-presenter]")

    def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    def foreign_requests(self) -> list[str]:
        """The URLs the tab asked of any other host than the site.

        Only network schemes count: Chromium's own PDF viewer loads as chrome-extension:// URLs.
        """
        network = [url for url in self.requested if urlsplit(url).scheme in {"http", "https", "ws", "wss"}]
        return [url for url in network if not url.startswith(self.site_url + "/")]


@pytest.fixture
def visit(sqlite_only, chromium, live_server):
    """A fresh browser context (no cookies) with one tab on the live site."""
    context = chromium.new_context()
    yield Visit(context, live_server.url)
    context.close()
