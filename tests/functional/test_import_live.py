"""Imports on a live server (SQLite and PostgreSQL), issue 21 item 7: a slow link stalls nobody.

The download happens with no database transaction open, so while an owner's import waits on a
link that does not answer, other visitors sign in and answer tasks at once; at most one import
runs per project and ``imports.max_per_user`` per owner.
"""
from __future__ import annotations

import http.server
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import transaction

from pybossa_core.config import configure
from pybossa_core.db import get_tm_session
from pybossa_core.interfaces import ISessionFactory, find_service
from tests.conftest import LiveServer, app_settings, fresh_engine
from tests.factories import Committing
from tests.views.conftest import JSON, PASSWORD, PASSWORD_HASH

CSV = b"question\nIs it a bird?\nIs it a plane?\n"


class StalledLink:
    """A server whose links answer only once ``release`` is set; ``asked`` is set by each request."""

    def __init__(self):
        self.release = threading.Event()
        self.asked = threading.Semaphore(0)
        link = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                link.asked.release()
                link.release.wait()
                self.send_response(200)
                self.send_header("Content-Type", "text/csv")
                self.send_header("Content-Length", str(len(CSV)))
                self.end_headers()
                self.wfile.write(CSV)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def link():
    server = StalledLink()
    yield server
    server.close()


@pytest.fixture(scope="module")
def site(backend, tmp_path_factory, link):
    """A live site (8 threads) that may fetch from ``link``, waiting up to 30 s for it."""
    with fresh_engine(backend, tmp_path_factory, "imports") as engine:
        settings = app_settings(engine, tmp_path_factory.mktemp("import_uploads"), **{
            "outbound.allowed_internal_hosts": link.host, "outbound.timeout": "30", "imports.timeout": "30"})
        server = LiveServer(configure(settings, environ={}).make_wsgi_app())
        yield server
        server.server.shutdown()


def browser_of(site, user) -> requests.Session:
    """A signed-in browser of ``user``, sending the CSRF token as a JavaScript client does."""
    browser = requests.Session()
    browser.headers.update(JSON)
    csrf = browser.get(f"{site.url}/account/register", timeout=30).json()["form"]["csrf"]
    browser.headers["X-CSRFToken"] = csrf
    signed_in = browser.post(f"{site.url}/account/signin", json={"email": user.email_addr, "password": PASSWORD}, timeout=30)
    assert signed_in.json()["status"] == "success", signed_in.text
    return browser


def start_import(browser, site, project, link, path="/tasks.csv"):
    return browser.post(f"{site.url}/project/{project.short_name}/tasks/import", timeout=60,
                        json={"type": "csv", "csv_url": f"http://{link.host}{path}"})


def task_count(site, project) -> int:
    manager = transaction.TransactionManager(explicit=True)
    with manager:
        session = get_tm_session(find_service(site.app.registry, ISessionFactory), manager)
        from pybossa_core.models import Task
        return session.query(Task).filter(Task.project_id == project.id).count()


def test_a_stalled_import_blocks_no_one_and_one_runs_per_project(site, link):
    with Committing(site) as make:
        owner = make.user(passwd_hash=PASSWORD_HASH)
        volunteer = make.user(passwd_hash=PASSWORD_HASH)
        birds, bees, bats = (make.project(owner) for _ in range(3))
        busy = make.project(make.user())
        task = make.task(busy, n_answers=5)
    owner_browser = browser_of(site, owner)
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(start_import, owner_browser, site, birds, link)
        assert link.asked.acquire(timeout=10), "the import never asked for its link"

        # Meanwhile: a sign-in (a write), a handout and an answer (writes), and a page (a read).
        started = time.monotonic()
        volunteer_browser = browser_of(site, volunteer)
        handed = requests.get(f"{site.url}/api/{busy.id}/newtask", params={"api_key": volunteer.api_key}, timeout=30).json()
        answered = requests.post(f"{site.url}/api/taskrun", params={"api_key": volunteer.api_key}, timeout=30,
                                 json={"project_id": busy.id, "task_id": task.id, "info": {"answer": "yes"}})
        page = volunteer_browser.get(f"{site.url}/project/{busy.short_name}/", timeout=30)
        elapsed = time.monotonic() - started
        assert handed["id"] == task.id and answered.status_code == 200 and page.status_code == 200
        assert elapsed < 1.0, f"unrelated requests took {elapsed:.2f} s while an import waited"

        # The same project cannot be imported into twice at once ...
        again = start_import(owner_browser, site, birds, link).json()
        assert again["form"]["errors"] == {"form": [
            "An import of this project is already running: wait for it to finish, then try again."]}
        # ... and one owner runs at most imports.max_per_user (2) at once.
        second = pool.submit(start_import, owner_browser, site, bees, link)
        assert link.asked.acquire(timeout=10)
        third = start_import(owner_browser, site, bats, link).json()
        assert third["form"]["errors"] == {"form": [
            "You already have 2 imports running (at most 2 at once): wait for one to finish, then try again."]}

        link.release.set()
        assert first.result().json()["flash"] == "2 new tasks were imported successfully"
        assert second.result().json()["flash"] == "2 new tasks were imported successfully"
    assert (task_count(site, birds), task_count(site, bees), task_count(site, bats)) == (2, 2, 0)
    # Both claims ended with their imports: the owner imports again at once.
    assert start_import(owner_browser, site, bats, link).json()["status"] == "success"
    assert task_count(site, bats) == 2
