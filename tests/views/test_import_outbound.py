"""What an importer may fetch (issue 15 item 2, issue 21 item 7): owner links into the site's own
network are refused, on the first request and on every redirect, within time and size limits,
and every failure is a form error, never a 500."""
from __future__ import annotations

import ast
import http.server
import pathlib
import socket
import threading
import urllib.parse

import pytest
import sqlalchemy as sa

from pybossa_core.models import Task
from tests.views.conftest import free_port, sign_in
from tests.views.project_fixtures import post

CSV = b"question\nIs it a bird?\n"
REFUSED = "The link could not be fetched: the host {} is in a private or local network, which this site does not call."


class Server:
    """A loopback server: ``/tasks.csv`` answers CSV, ``/to?url=`` redirects there, ``/loop`` to itself, ``/hangup`` closes
    without answering, ``/stall`` answers only once released, ``/big`` sends a megabyte."""

    def __init__(self):
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.release = threading.Event()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                parts = urllib.parse.urlsplit(self.path)
                server.requests.append((parts.path, dict(self.headers)))
                if parts.path == "/hangup":
                    self.close_connection = True
                    return
                if parts.path == "/stall":
                    server.release.wait()
                    return
                if parts.path in ("/to", "/loop"):
                    self.send_response(302)
                    self.send_header("Location", urllib.parse.parse_qs(parts.query)["url"][0] if parts.path == "/to" else "/loop")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = b"question\n" + b"x" * 1024 * 1024 if parts.path == "/big" else CSV
                self.send_response(200)
                self.send_header("Content-Type", "text/csv")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.httpd.server_port}"
        self.url = f"http://{self.host}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def internal():
    """A server inside the site's network: the site may not call it."""
    server = Server()
    yield server
    server.close()


@pytest.fixture
def partner():
    """A server the site is told it may call (``outbound.allowed_internal_hosts``), like a public one."""
    server = Server()
    yield server
    server.close()


@pytest.fixture
def owner_browser(browser, project):
    """The owner of ``birds``, signed in."""
    return browser


def import_csv(browser, url):
    return post(browser, "/project/birds/tasks/import", {"type": "csv", "csv_url": url}).json


def stored_tasks(dbsession, project):
    """The tasks of ``project`` in the database."""
    return dbsession.scalars(sa.select(Task).where(Task.project_id == project.id)).all()


def test_a_loopback_link_is_refused_and_never_fetched(owner_browser, internal, project, dbsession):
    body = import_csv(owner_browser, internal.url + "/internal/secret.csv")
    assert body["status"] == "error"
    assert body["form"]["errors"] == {"form": [REFUSED.format("127.0.0.1")]}
    assert internal.requests == [] and stored_tasks(dbsession, project) == []


@pytest.mark.parametrize(("link", "host"), [
    ("http://localhost:{port}/a.csv", "localhost"),
    ("http://[::1]:{port}/a.csv", "::1"),
    ("http://2130706433:{port}/a.csv", "2130706433"),
    ("http://127.1:{port}/a.csv", "127.1"),
    ("http://0.0.0.0:{port}/a.csv", "0.0.0.0"),
    ("http://[::ffff:127.0.0.1]:{port}/a.csv", "::ffff:127.0.0.1"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
    ("http://10.0.0.1/a.csv", "10.0.0.1"),
    ("http://192.168.1.1/a.csv", "192.168.1.1"),
    ("http://100.64.0.1/a.csv", "100.64.0.1"),
    ("http://224.0.0.1/a.csv", "224.0.0.1"),
    ("http://240.0.0.1/a.csv", "240.0.0.1"),
])
def test_every_spelling_of_a_private_address_is_refused(owner_browser, internal, link, host):
    body = import_csv(owner_browser, link.format(port=internal.httpd.server_port))
    assert body["form"]["errors"] == {"form": [REFUSED.format(host)]}
    assert internal.requests == []


def test_a_name_resolving_into_the_network_is_refused(owner_browser, internal, monkeypatch):
    resolve = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *args, **kwargs: resolve(
        "127.0.0.1" if host == "tasks.example.com" else host, *args, **kwargs))
    body = import_csv(owner_browser, f"http://tasks.example.com:{internal.httpd.server_port}/tasks.csv")
    assert body["form"]["errors"] == {"form": [REFUSED.format("tasks.example.com")]}
    assert internal.requests == []


@pytest.fixture
def partner_site(site_with, member, project, partner):
    """A site that may call ``partner`` (with a 1 s timeout and a 64 KiB answer limit), ``birds``'s owner signed in."""
    browser = site_with(**{"outbound.allowed_internal_hosts": partner.host, "outbound.timeout": "1",
                           "outbound.max_size": str(64 * 1024)})
    sign_in(browser, member)
    return browser


def test_an_allowed_host_is_fetched_without_the_sites_cookies(partner_site, partner, project, dbsession):
    body = import_csv(partner_site, partner.url + "/tasks.csv")
    assert body["status"] == "success", body
    assert [task.info for task in stored_tasks(dbsession, project)] == [{"question": "Is it a bird?"}]
    [(path, headers)] = partner.requests
    assert path == "/tasks.csv"
    assert not {"Cookie", "Authorization", "X-Csrftoken"} & set(headers)


def test_a_redirect_into_the_network_is_refused(partner_site, partner, internal, project, dbsession):
    target = urllib.parse.quote(internal.url + "/internal/secret.csv")
    body = import_csv(partner_site, f"{partner.url}/to?url={target}")
    assert body["form"]["errors"] == {"form": [REFUSED.format("127.0.0.1")]}
    assert [path for path, _ in partner.requests] == ["/to"] and internal.requests == []
    assert stored_tasks(dbsession, project) == []


def test_a_redirect_to_another_scheme_is_refused(partner_site, partner):
    body = import_csv(partner_site, f"{partner.url}/to?url=file:///etc/passwd")
    assert body["form"]["errors"] == {"form": ["The link could not be fetched: it is not an http or https link."]}


def test_a_redirect_loop_stops(partner_site, partner):
    body = import_csv(partner_site, partner.url + "/loop")
    assert body["form"]["errors"] == {"form": ["The link could not be fetched."]}
    assert len(partner.requests) == 6  # the first request and outbound.max_redirects (5) more


@pytest.mark.parametrize("path", ["/hangup", "/stall"])
def test_a_server_that_hangs_up_or_stalls_gives_could_not_be_fetched(partner_site, partner, project, dbsession, path):
    body = import_csv(partner_site, partner.url + path)
    assert body["status"] == "error"
    assert body["form"]["errors"] == {"form": ["The link could not be fetched."]}
    assert stored_tasks(dbsession, project) == []


def test_a_closed_port_says_no_more_than_a_server_that_hangs_up(site_with, member, project, partner):
    closed = free_port()
    browser = site_with(**{"outbound.allowed_internal_hosts": f"{partner.host} 127.0.0.1:{closed}"})
    sign_in(browser, member)
    answers = [import_csv(browser, url)["form"]["errors"] for url in (f"http://127.0.0.1:{closed}/a.csv", partner.url + "/hangup")]
    assert answers == [{"form": ["The link could not be fetched."]}] * 2


def test_an_answer_over_the_size_limit_is_refused(partner_site, partner, project, dbsession):
    body = import_csv(partner_site, partner.url + "/big")
    assert body["form"]["errors"] == {"form": ["The link sent more than 65536 bytes; import a smaller source."]}
    assert stored_tasks(dbsession, project) == []


def test_every_importer_taking_an_owner_link_is_guarded(owner_browser, internal):
    iiif = post(owner_browser, "/project/birds/tasks/import",
                {"type": "iiif", "manifest_uri": internal.url + "/manifest.json"}).json
    assert iiif["form"]["errors"] == {"form": [
        "The manifest's server could not be fetched: the host 127.0.0.1 is in a private or local network, "
        "which this site does not call."]}
    assert internal.requests == []


# -- importers use the guarded fetcher ------------------------------------------------------

#: Modules that send requests themselves; an importer fetches through ``plugin_api.fetch`` instead.
NETWORK_MODULES = ("urllib.request", "urllib3", "requests", "httpx", "http.client", "aiohttp", "socket", "pycurl")
IMPORTERS = sorted((pathlib.Path(__file__).parents[2] / "plugins" / "importers").glob("*/src/**/*.py"))


def network_imports(source: str) -> list[str]:
    """The network modules ``source`` imports (``import x``, ``from x import y``, ``from urllib import request``)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "__import__":
            names = [arg.value for arg in node.args[:1] if isinstance(arg, ast.Constant)]
        else:
            continue
        found += [name for name in names if name in NETWORK_MODULES or name.startswith(tuple(f"{m}." for m in NETWORK_MODULES))]
    return found


def test_the_check_sees_a_direct_call():
    assert network_imports("import urllib.request\nfrom http import client\nimport requests") == [
        "urllib.request", "http.client", "requests"]
    assert network_imports("import urllib.parse\nfrom urllib.parse import urlsplit") == []


@pytest.mark.parametrize("module", IMPORTERS, ids=lambda path: path.parent.name + "/" + path.name)
def test_no_importer_calls_the_network_itself(module):
    assert network_imports(module.read_text()) == []


def test_every_bundled_importer_is_checked():
    assert len({path.parts[-4] for path in IMPORTERS}) >= 9
