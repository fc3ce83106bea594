"""A kept-alive HTTP/1.1 connection that costs the load generator little CPU.

On a two-core machine the load generator and the server share the cores: every millisecond the
client spends is one the server cannot use.  ``requests`` spent about 0.8 ms of CPU per read (as
much as the server); a request here is one ``sendall`` and a few ``recv`` calls.  It speaks only
what the benchmarks need: GET and POST, a body with ``Content-Length`` or chunked, keep-alive.
"""
from __future__ import annotations

import json
import socket
import urllib.parse
from typing import Any


class ProtocolError(OSError):
    """The server's answer was not HTTP/1.1 as this client reads it."""


class Response:
    def __init__(self, status_code: int, content: bytes):
        self.status_code, self.content = status_code, content

    def json(self) -> Any:
        return json.loads(self.content)


class Connection:
    """One kept-alive connection to ``url`` (``http://host:port``); it reconnects after an error or a close."""

    def __init__(self, url: str):
        parts = urllib.parse.urlsplit(url)
        self.address = (parts.hostname, parts.port or 80)
        self._host = parts.netloc
        self._socket: socket.socket | None = None
        self._buffer = b""

    def get(self, target: str, timeout: float) -> Response:
        return self.request("GET", target, b"", None, timeout)

    def post(self, target: str, body: bytes, content_type: str, timeout: float) -> Response:
        return self.request("POST", target, body, content_type, timeout)

    def request(self, method: str, target: str, body: bytes, content_type: str | None, timeout: float) -> Response:
        head = f"{method} {target} HTTP/1.1\r\nHost: {self._host}\r\n"
        if content_type is not None:
            head += f"Content-Type: {content_type}\r\n"
        if body or method == "POST":
            head += f"Content-Length: {len(body)}\r\n"
        try:
            if self._socket is None:
                self._socket = socket.create_connection(self.address, timeout=timeout)
                self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._socket.settimeout(timeout)
            self._socket.sendall(head.encode("latin-1") + b"\r\n" + body)
            return self._response()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
        self._socket, self._buffer = None, b""

    def _response(self) -> Response:
        head = self._until(b"\r\n\r\n").decode("latin-1")
        status_line, *header_lines = head.split("\r\n")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise ProtocolError(f"not an HTTP status line: {status_line!r}")
        headers = {}
        for header in header_lines:
            name, _, value = header.partition(":")
            headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            content = self._exactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            content = self._chunked()
        else:
            content = self._until_close()
        if headers.get("connection", "").lower() == "close":
            self.close()
        return Response(int(parts[1]), content)

    def _receive(self) -> None:
        data = self._socket.recv(65536)
        if not data:
            raise ProtocolError("the server closed the connection")
        self._buffer += data

    def _until(self, end: bytes) -> bytes:
        while (found := self._buffer.find(end)) < 0:
            self._receive()
        taken, self._buffer = self._buffer[:found], self._buffer[found + len(end):]
        return taken

    def _exactly(self, size: int) -> bytes:
        while len(self._buffer) < size:
            self._receive()
        taken, self._buffer = self._buffer[:size], self._buffer[size:]
        return taken

    def _chunked(self) -> bytes:
        chunks = []
        while size := int(self._until(b"\r\n").split(b";", 1)[0], 16):
            chunks.append(self._exactly(size))
            self._until(b"\r\n")
        self._until(b"\r\n")  # no trailers are sent to us
        return b"".join(chunks)

    def _until_close(self) -> bytes:
        while True:
            data = self._socket.recv(65536)
            if not data:
                taken = self._buffer
                self.close()
                return taken
            self._buffer += data
