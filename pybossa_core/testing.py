"""A pytest plugin for testing pybossa plugins: a site with exactly the plugins under test.

Installing pybossa-core registers this module with pytest (the ``pytest11`` entry point), so
a plugin distribution's tests use its fixtures without importing anything. They are all
named ``pybossa_*`` so they never clash with a project's own fixtures:

- ``pybossa_plugins``: the plugin modules under test, ``[]`` unless the plugin's
  ``conftest.py`` (or a test module) overrides it;
- ``pybossa_settings``: extra site settings, ``{}`` unless overridden
  (``{"plugin.twitter.consumer_key": "..."}``);
- ``pybossa_hooks``: the :class:`~pybossa_core.plugins.PluginHooks` of exactly those
  plugins (plus the core's built-in defaults), without a site, its registration hooks called
  with those settings; it raises when a plugin under test fails to validate or register;
- ``pybossa_app``: a site configured with exactly those plugins on a fresh, migrated SQLite
  database of its own, whose requests commit for real (so event hooks are called); a plugin
  that fails stops it (``plugins.strict``);
- ``pybossa_testapp``: a WebTest ``TestApp`` of ``pybossa_app``.
- ``pybossa_web_service``: a stand-in web service on 127.0.0.1 (:class:`WebService`) for
  the services importers and sign-in providers call. The site's guarded fetcher refuses
  loopback addresses, so while the fixture runs an importer called directly may reach it, and a
  test site reaches it when ``pybossa_settings`` lists ``pybossa_web_service.host`` in
  ``outbound.allowed_internal_hosts``.

:func:`reaching` lets importers called directly reach a loopback server of the test's own;
:func:`load_plugins` builds the hooks of the installed plugins (to check an entry point loads).
:func:`create_user`, :func:`create_project`, :func:`create_tasks`, :func:`import_tasks`,
:func:`answer_next_task` and :func:`signed_in_browser` use that site through its web pages
and API, as a client would.

The core's own suite (``tests/conftest.py``) shares :data:`SECRET`, :data:`TEST_ENVIRON`,
:func:`app_settings` and :func:`migrated_sqlite_engine` with these fixtures. Pyramid,
SQLAlchemy and WebTest are imported inside the fixtures, so a ``pytest`` run that does not
use them (or a coverage run) does not import the site at start-up.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
import time
import urllib.parse
import uuid
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pybossa_core.plugins import load_plugins

if TYPE_CHECKING:
    import sqlalchemy as sa
    import webtest

    from pybossa_core.plugins import PluginHooks

__all__ = [
    "SECRET",
    "TEST_ENVIRON",
    "TEST_PASSWORD",
    "SiteUser",
    "WebService",
    "answer_next_task",
    "app_settings",
    "catalog_problems",
    "create_project",
    "create_tasks",
    "create_user",
    "import_tasks",
    "load_plugins",
    "migrated_sqlite_engine",
    "reaching",
    "signed_in_browser",
]

SECRET = "test-secret-0123456789-abcdefghijklmnop"

#: The WSGI environment of every test request: the host the site's links are made of, and the
#: client's address.
TEST_ENVIRON = {"HTTP_HOST": "localhost:5000", "REMOTE_ADDR": "127.0.0.1"}

#: The password of the users :func:`create_user` registers.
TEST_PASSWORD = "Plugin-tests-1"

JSON = {"Accept": "application/json"}


def app_settings(engine: sa.Engine, uploads_dir: Path | str, **overrides: Any) -> dict[str, Any]:
    """Return the settings of a test site on ``engine``, storing uploads in ``uploads_dir``."""
    return {
        "dbengine": engine,
        "secret": SECRET,
        "uploads.dir": str(uploads_dir),
        "uploads.max_size": "2048",
        # Tests send far more than 300 requests per endpoint; rate limits are tested on their own.
        "ratelimit.enabled": "false",
        # Each site its own shared counters (rate limits, throttle, cache generations).
        "shared_state.path": str(Path(uploads_dir).parent / f"shared-state-{uuid.uuid4().hex}.sqlite"),
        **overrides,
    }


def migrated_sqlite_engine(path: Path) -> sa.Engine:
    """Return an engine on a new SQLite database at ``path``, migrated as a real site is."""
    from pybossa_core.db import get_engine
    from pybossa_core.migrations import upgrade

    engine = get_engine({"database.url": f"sqlite:///{path}"})
    upgrade(engine)
    return engine


def catalog_problems(package: str) -> list[str]:
    """What keeps ``package``'s message catalogs from shipping (docs/i18n.md): its ``.pot`` out of
    date with its marked texts, a ``.po`` lacking a text or dropping a placeholder."""
    from importlib.resources import files

    from pybossa_core.catalogs import problems

    return problems(Path(str(files(package))))


def pytest_configure(config: pytest.Config) -> None:
    """Ignore the deprecation warning of the core's WebOb, which a plugin's tests cannot fix,
    so they may turn every other warning into an error (``filterwarnings = ["error"]``).

    And let the site's static files be served when pytest loads this distribution's modules itself:
    pytest (9.2 and later, ``python -m pytest``) rewrites a plugin's package, and pkg_resources,
    through which Pyramid's static views read a package's files, knows no provider for its loader."""
    config.addinivalue_line("filterwarnings", "ignore:'cgi' is deprecated:DeprecationWarning")
    with warnings.catch_warnings():  # newer setuptools warn that pkg_resources is deprecated
        warnings.simplefilter("ignore")
        import pkg_resources
    from _pytest.assertion.rewrite import AssertionRewritingHook

    pkg_resources.register_loader_type(AssertionRewritingHook, pkg_resources.DefaultProvider)


# Fixtures ------------------------------------------------------------------------------------


@pytest.fixture
def pybossa_plugins() -> Sequence[object]:
    """The plugin modules under test; override it in your ``conftest.py``::

        @pytest.fixture
        def pybossa_plugins():
            return [pybossa_importer_lines]
    """
    return []


@pytest.fixture
def pybossa_settings() -> Mapping[str, Any]:
    """Extra settings of the test site (``plugin.<id>.<key>`` ones too); override it to set some."""
    return {}


@pytest.fixture
def pybossa_hooks(pybossa_plugins: Sequence[object], pybossa_settings: Mapping[str, Any]) -> PluginHooks:
    """The hooks of exactly the plugins under test, as the core calls them, without a site.

    The registration hooks are called with the site settings ``pybossa_settings`` makes
    (validated as a site's are, so an unknown setting fails too); a plugin that implements an
    unknown hook, or whose registration hook raises or returns something else than its
    descriptions, fails the test, as two plugins claiming one name do.
    """
    from pybossa_core.settings import load_settings

    settings = load_settings({"secret": SECRET, **pybossa_settings}, environ={})
    hooks = load_plugins(settings, autoload=False, extra_plugins=pybossa_plugins)
    hooks.check_startup(strict=True)
    return hooks


@pytest.fixture
def pybossa_app(
    pybossa_plugins: Sequence[object], pybossa_settings: Mapping[str, Any], tmp_path: Path
) -> Iterator[Any]:
    """A site with exactly the plugins under test, on a fresh SQLite database in ``tmp_path``.

    Neither the installed plugins nor the environment's ``PYBOSSA_*`` variables are read, so
    the test sees the same site on every machine. Requests commit, as on a real site. The site
    is strict (``plugins.strict``): a plugin under test that fails stops it, failing the test.
    """
    from pybossa_core.config import configure

    engine = migrated_sqlite_engine(tmp_path / "pybossa.sqlite")
    settings = app_settings(engine, tmp_path / "uploads", **{**pybossa_settings, "plugins.strict": "true"})
    try:
        yield configure(settings, plugins=pybossa_plugins, autoload_plugins=False, environ={}).make_wsgi_app()
    finally:
        engine.dispose()


@pytest.fixture
def pybossa_testapp(pybossa_app: Any) -> webtest.TestApp:
    """A WebTest client of ``pybossa_app``."""
    import webtest

    return webtest.TestApp(pybossa_app, extra_environ=TEST_ENVIRON)


# Filling the site through its pages and API --------------------------------------------------


@dataclass(frozen=True)
class SiteUser:
    """A registered user: what a client needs to act as them."""

    id: int
    name: str
    email: str
    api_key: str


def create_user(testapp: webtest.TestApp, name: str) -> SiteUser:
    """Register ``name`` (password :data:`TEST_PASSWORD`) and return them with their API key.

    The first user of a site is its administrator. Registration uses a browser of its own, so
    ``testapp``'s cookies are left as they were.
    """
    browser = _new_browser(testapp)
    csrf = _csrf_of(browser)
    account = {
        "fullname": name.title(),
        "name": name,
        "email_addr": f"{name}@example.com",
        "password": TEST_PASSWORD,
        "confirm": TEST_PASSWORD,
    }
    answer = browser.post_json("/account/register", account, headers={"X-CSRFToken": csrf}).json
    assert answer["status"] == "success", answer
    profile = browser.get("/account/profile", headers=JSON).json["user"]
    return SiteUser(id=profile["id"], name=profile["name"], email=profile["email_addr"], api_key=profile["api_key"])


def signed_in_browser(testapp: webtest.TestApp, user: SiteUser) -> webtest.TestApp:
    """Return a new browser of ``testapp``'s site, signed in as ``user`` (for the web pages)."""
    browser = _new_browser(testapp)
    answer = browser.post_json(
        "/account/signin",
        {"email": user.email, "password": TEST_PASSWORD},
        headers={"X-CSRFToken": _csrf_of(browser)},
    ).json
    assert answer["status"] == "success", answer
    return browser


def create_project(testapp: webtest.TestApp, owner: SiteUser, short_name: str, **fields: Any) -> dict[str, Any]:
    """Create a project owned by ``owner`` through ``/api/project``; return its JSON."""
    project = {"name": short_name.title(), "short_name": short_name, "description": short_name, **fields}
    return testapp.post_json(f"/api/project?api_key={owner.api_key}", project).json


def create_tasks(
    testapp: webtest.TestApp, owner: SiteUser, project: Mapping[str, Any], infos: Sequence[Any], **fields: Any
) -> list[dict[str, Any]]:
    """Create one task per ``info`` in ``project`` through ``/api/task``; return their JSON.

    ``fields`` are further task fields, such as ``n_answers=1``.
    """
    return [
        testapp.post_json(
            f"/api/task?api_key={owner.api_key}", {"project_id": project["id"], "info": info, **fields}
        ).json
        for info in infos
    ]


def answer_next_task(
    testapp: webtest.TestApp, volunteer: SiteUser, project: Mapping[str, Any], info: Any
) -> dict[str, Any]:
    """Ask for ``project``'s next task as ``volunteer`` and answer ``info``; return the task run's JSON."""
    task = testapp.get(f"/api/{project['id']}/newtask", {"api_key": volunteer.api_key}).json
    assert task, f"{volunteer.name} has no task left in {project['short_name']}"
    return testapp.post_json(
        f"/api/taskrun?api_key={volunteer.api_key}",
        {"project_id": project["id"], "task_id": task["id"], "info": info},
    ).json


def import_tasks(
    testapp: webtest.TestApp, owner: SiteUser, project: Mapping[str, Any], importer: str, **form: Any
) -> dict[str, Any]:
    """Send ``project``'s task import form for ``importer`` as ``owner``; return the page's JSON.

    ``form`` holds the importer's fields. A successful import answers ``status`` "success"
    and the flash "N new tasks were imported successfully"; a refused one answers "error"
    with the messages in ``form.errors``.
    """
    browser = signed_in_browser(testapp, owner)
    return browser.post_json(
        f"/project/{project['short_name']}/tasks/import",
        {"type": importer, **form},
        headers={"X-CSRFToken": _csrf_of(browser)},
        expect_errors=True,
    ).json


def _new_browser(testapp: webtest.TestApp) -> webtest.TestApp:
    """Return a client of the same site with cookies of its own."""
    import webtest

    return webtest.TestApp(testapp.app, extra_environ=testapp.extra_environ)


def _csrf_of(browser: webtest.TestApp) -> str:
    """Return the browser's CSRF token, as a JavaScript client reads it from a form."""
    return browser.get("/account/register", headers=JSON).json["form"]["csrf"]


# A web service stand-in for importers and sign-in providers ------------------------------------


@dataclass
class Answer:
    """What :class:`WebService` answers a request with."""

    status: int
    content_type: str
    body: bytes
    delay: float = 0.0


@dataclass
class WebService:
    """A web service stand-in on 127.0.0.1: answers registered per path and query."""

    url: str
    routes: list[tuple[str, dict[str, str], Answer]] = field(default_factory=list)
    requests: list[tuple[str, dict[str, str], dict[str, str]]] = field(default_factory=list)

    @property
    def host(self) -> str:
        """``127.0.0.1:<port>``: what ``outbound.allowed_internal_hosts`` lists to let a site reach it."""
        return urllib.parse.urlsplit(self.url).netloc

    def add(self, path: str, body: Any, *, query: dict[str, str] | None = None, status: int = 200,
            content_type: str = "application/json", delay: float = 0.0) -> str:
        """Answer GET ``path`` (with at least ``query``) with ``body`` (JSON unless bytes or
        text), after ``delay`` seconds; return the full URL. Later routes win over earlier ones."""
        if isinstance(body, str):
            body = body.encode()
        elif not isinstance(body, bytes):
            body = json.dumps(body).encode()
        self.routes.insert(0, (path, dict(query or {}), Answer(status, content_type, body, delay)))
        return self.url + path

    def answer(self, path: str, query: dict[str, str]) -> Answer:
        for route_path, route_query, answer in self.routes:
            if route_path == path and route_query.items() <= query.items():
                return answer
        return Answer(404, "text/plain", b"no such fixture")


@contextlib.contextmanager
def reaching(*hosts: str) -> Iterator[None]:
    """Let importers called directly in the block fetch from ``hosts`` (``127.0.0.1:<port>``)
    although they are inside a private network, as a site listing them in
    ``outbound.allowed_internal_hosts`` does."""
    from pybossa_core import outbound

    with outbound.using(outbound.Policy(allowed_internal_hosts=hosts)):
        yield


@pytest.fixture
def pybossa_web_service() -> Iterator[WebService]:
    """A loopback stand-in for a web service, with no answers yet: ``add`` answers, point the code
    under test at ``url`` and read ``requests`` (path, query, headers) afterwards.

    Importers called directly during the test may fetch from it (and from nowhere else inside
    a private network)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
            server.requests.append((parts.path, query, dict(self.headers)))
            answer = server.answer(parts.path, query)
            time.sleep(answer.delay)
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            try:
                self.wfile.write(answer.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # The client stopped reading on purpose (a size cap or a timeout under test).

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server = WebService(f"http://127.0.0.1:{httpd.server_port}")
    thread = threading.Thread(target=httpd.serve_forever)
    thread.start()
    with reaching(server.host):
        yield server
    httpd.shutdown()
    httpd.server_close()
    thread.join()
