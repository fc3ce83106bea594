"""The one way the site calls other servers on an owner's behalf: importers and webhooks.

A project owner chooses the links the site fetches (a CSV file, a IIIF manifest) and the
address its webhooks POST to, so every such request goes through :func:`request`, which

- accepts only ``http`` and ``https`` links;
- resolves the host once, refuses it when any of its addresses is loopback, private,
  link-local, multicast, reserved or otherwise not public (unless the site lists the host in
  ``outbound.allowed_internal_hosts``), and connects to the very address it checked, so a
  name that resolves differently a moment later (DNS rebinding) gains nothing;
- does the same for every redirect it follows (at most ``outbound.max_redirects``), and
  drops ``Authorization`` when a redirect leaves the host;
- bounds the whole exchange in time (``outbound.timeout``, and an import's own deadline)
  and the answer in size (``outbound.max_size``);
- sends only the headers its caller gives: no cookies, no proxy from the environment.

The site's policy is built once from the settings (:func:`policy_from_settings`); the core
makes it current around an importer's run (:func:`using`), and :mod:`pybossa_core.plugin_api`
fetches with the current one. Without one, the strict default applies.
"""
from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import http.client
import ipaddress
import socket
import ssl
import time
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pybossa_core.i18n import _, english
from pybossa_core.interfaces import IOutboundPolicy

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

REDIRECTS = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "pybossa-core"
_CHUNK = 64 * 1024


class OutboundError(Exception):
    """A fetch that did not give an answer; ``str()`` is safe to show to the owner, and
    ``reason`` is the same text as a translation string when it was given one."""

    def __init__(self, reason: str) -> None:
        super().__init__(english(reason))
        self.reason = reason


class Refused(OutboundError):
    """The link is not one this site fetches (scheme, or a host inside a private network)."""


class Unreachable(OutboundError):
    """The server could not be reached, or did not answer in time (the reason is kept for logs only)."""


class TooLarge(OutboundError):
    """The answer is larger than the policy allows."""


@dataclass(frozen=True)
class Policy:
    """What an outbound request may reach and how long and large it may be."""

    #: Host names (``intranet.example``, ``127.0.0.1``, ``127.0.0.1:8080``) and networks
    #: (``10.0.0.0/8``) that may be reached although they are not public.
    allowed_internal_hosts: tuple[str, ...] = ()
    block_private: bool = True
    timeout: float = 10.0
    max_bytes: int = 20 * 1024 * 1024
    max_redirects: int = 5
    #: A ``time.monotonic()`` moment no request of this policy may go past (an import's deadline).
    deadline: float | None = None

    def until(self, seconds: float) -> Policy:
        """Return this policy with a deadline ``seconds`` from now (or the earlier current one)."""
        deadline = time.monotonic() + seconds
        if self.deadline is not None:
            deadline = min(deadline, self.deadline)
        return dataclasses.replace(self, deadline=deadline)


@dataclass(frozen=True)
class Response:
    """A server's answer: the URL that gave it (after redirects), status, headers and body."""

    url: str
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get_content_type()

    @property
    def charset(self) -> str | None:
        return self.headers.get_content_charset()


def policy_from_settings(settings: Mapping[str, Any]) -> Policy:
    """Return the site's policy for importers (the ``outbound.*`` settings)."""
    return Policy(
        allowed_internal_hosts=tuple(settings["outbound.allowed_internal_hosts"]),
        timeout=settings["outbound.timeout"],
        max_bytes=settings["outbound.max_size"],
        max_redirects=settings["outbound.max_redirects"],
    )


_current: contextvars.ContextVar[Policy] = contextvars.ContextVar("pybossa_outbound_policy", default=Policy())


def current_policy() -> Policy:
    """Return the policy made current by :func:`using`, or the strict default."""
    return _current.get()


@contextlib.contextmanager
def using(policy: Policy) -> Iterator[Policy]:
    """Make ``policy`` the current one for the block (an importer's run)."""
    token = _current.set(policy)
    try:
        yield policy
    finally:
        _current.reset(token)


def request(
    url: str,
    *,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    data: bytes | None = None,
    policy: Policy | None = None,
    follow_redirects: bool = True,
    truncate: bool = False,
) -> Response:
    """Send one request under ``policy`` (the current one by default); return the answer.

    Any status comes back as a :class:`Response` (a redirect too, with
    ``follow_redirects=False``). Raises :class:`Refused`, :class:`Unreachable` or
    :class:`TooLarge` when there is no answer to give; with ``truncate`` an answer larger
    than the policy's ``max_bytes`` is cut there instead of refused.
    """
    policy = policy or current_policy()
    deadline = time.monotonic() + policy.timeout
    if policy.deadline is not None:
        deadline = min(deadline, policy.deadline)
    sent = {"User-Agent": USER_AGENT, **dict(headers or {})}
    for _ in range(policy.max_redirects + 1):
        response = _exchange(method, url, sent, data, policy, deadline, truncate)
        location = response.headers.get("Location")
        if not (follow_redirects and response.status in REDIRECTS and location):
            return response
        following = urllib.parse.urljoin(url, location.strip())
        if urllib.parse.urlsplit(following).netloc.lower() != urllib.parse.urlsplit(url).netloc.lower():
            sent = {name: value for name, value in sent.items() if name.lower() != "authorization"}
        if response.status in (301, 302, 303) and method != "HEAD":
            method, data = "GET", None
            sent = {name: value for name, value in sent.items() if name.lower() != "content-type"}
        url = following
    raise Unreachable("too many redirects")


@dataclass(frozen=True)
class _Parts:
    scheme: str
    host: str
    port: int
    target: str


def _parts(url: str) -> _Parts:
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        raise Refused(_("it is not a valid http or https link")) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise Refused(_("it is not an http or https link"))
    try:
        parts.hostname.encode("idna")
    except UnicodeError:
        raise Refused(_("the host is not a valid host name")) from None
    if any(ord(character) < 33 or ord(character) == 127 for character in url):
        raise Refused(_("it holds spaces or control characters"))
    target = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
    return _Parts(scheme, parts.hostname, port or (443 if scheme == "https" else 80), target)


def _listed(host: str, port: int, entries: tuple[str, ...]) -> tuple[bool, list[Network]]:
    """Tell whether ``host`` (on ``port``) is listed by name; return the listed networks."""
    names, networks = set(), []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            names.add(entry.lower())
    return host in names or f"{host}:{port}" in names, networks


def is_public(address: Address) -> bool:
    """Tell whether ``address`` is a public unicast one (an IPv6 form of a private IPv4 one is not)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo or (None, None))[1]
        if embedded is not None and not is_public(embedded):
            return False
    return address.is_global and not address.is_multicast


def _addresses(parts: _Parts, policy: Policy) -> list[tuple[Any, ...]]:
    """Resolve the host; return the ``getaddrinfo`` entries to connect to, all of them allowed."""
    try:
        infos = socket.getaddrinfo(parts.host, parts.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise Unreachable(f"{parts.host} does not resolve") from None
    listed, networks = _listed(parts.host, parts.port, policy.allowed_internal_hosts)
    if listed or not policy.block_private:
        return infos
    for info in infos:
        # A scoped IPv6 address ends with "%interface", which ipaddress does not read.
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not is_public(address) and not any(address in network for network in networks):
            raise Refused(_("the host ${host} is in a private or local network, which this site does not call",
                            mapping={"host": parts.host}))
    return infos


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise Unreachable("timed out")
    return left


def _connect(parts: _Parts, infos: list[tuple[Any, ...]], deadline: float) -> socket.socket:
    failure: OSError | None = None
    for family, kind, proto, _, sockaddr in infos:
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(_remaining(deadline))
            sock.connect(sockaddr)
            if parts.scheme == "https":
                sock = ssl.create_default_context().wrap_socket(sock, server_hostname=parts.host)
            return sock
        except OSError as error:
            sock.close()
            failure = error
        except Unreachable:
            sock.close()
            raise
    raise Unreachable(f"could not connect: {failure}")


def _exchange(
    method: str, url: str, headers: Mapping[str, str], data: bytes | None, policy: Policy, deadline: float, truncate: bool
) -> Response:
    parts = _parts(url)
    infos = _addresses(parts, policy)
    sock = _connect(parts, infos, deadline)
    connection = http.client.HTTPConnection(parts.host, parts.port)
    # The connection talks over the socket opened to the checked address; it never resolves again.
    connection.sock = sock
    try:
        connection.request(method, parts.target, body=data, headers=dict(headers))
        sock.settimeout(_remaining(deadline))
        answer = connection.getresponse()
    except (OSError, http.client.HTTPException) as error:
        connection.close()
        raise Unreachable(f"{type(error).__name__}: {error}") from None
    # The answer owns the socket from here on (http.client hands it over): closing it closes both.
    try:
        length = answer.getheader("Content-Length")
        if length and length.isdigit() and int(length) > policy.max_bytes and not truncate:
            raise TooLarge(f"the answer is larger than {policy.max_bytes} bytes")
        chunks, size = [], 0
        while True:
            sock.settimeout(_remaining(deadline))
            chunk = answer.read1(_CHUNK) if answer.status not in (204, 304) else b""
            if not chunk:
                break
            size += len(chunk)
            if size > policy.max_bytes:
                if not truncate:
                    raise TooLarge(f"the answer is larger than {policy.max_bytes} bytes")
                chunks.append(chunk[: len(chunk) - (size - policy.max_bytes)])
                break
            chunks.append(chunk)
        return Response(url, answer.status, answer.msg, b"".join(chunks))
    except (OSError, http.client.HTTPException) as error:
        raise Unreachable(f"{type(error).__name__}: {error}") from None
    finally:
        answer.close()
        connection.close()


def includeme(config) -> None:
    """Keep the site's outbound policy (importers; webhooks derive theirs) on the registry."""
    config.register_service(policy_from_settings(config.get_settings()), IOutboundPolicy)
