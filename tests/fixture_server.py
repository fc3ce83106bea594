"""A loopback stand-in for the web services importers and sign-in providers call.

``fixture_server.add(path, body, query=...)`` registers an answer; tests then point the code
under test at ``fixture_server.url`` and check ``fixture_server.requests``.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest


@dataclass
class Answer:
    status: int
    content_type: str
    body: bytes
    delay: float = 0.0


@dataclass
class FixtureServer:
    """A web service stand-in on 127.0.0.1: answers registered per path and query."""

    url: str
    routes: list[tuple[str, dict[str, str], Answer]] = field(default_factory=list)
    requests: list[tuple[str, dict[str, str], dict[str, str]]] = field(default_factory=list)

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


@pytest.fixture
def fixture_server() -> Iterator[FixtureServer]:
    """A loopback server with no answers yet; ``fixture_server.requests`` records what came."""

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
    server = FixtureServer(f"http://127.0.0.1:{httpd.server_port}")
    thread = threading.Thread(target=httpd.serve_forever)
    thread.start()
    yield server
    httpd.shutdown()
    httpd.server_close()
    thread.join()
