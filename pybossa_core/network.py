"""Where a request comes from and where it went: the client's address, and the site's public URL.

``X-Forwarded-For``, ``X-Forwarded-Proto`` and ``X-Forwarded-Host`` are trusted only
from known proxies (``proxies.trusted``), so behind a TLS proxy every link the site makes
is ``https://`` on the public host.  The ``Host`` header is the client's word too: links
mailed to a user (a password reset) must never be built from it.  With ``site.url`` every
absolute link is built from that URL (and wins over what proxies say); without it, a request
whose host is not in ``site.allowed_hosts`` is refused, except the orchestrators' probes.
"""
from __future__ import annotations

import ipaddress
import urllib.parse

from pyramid.tweens import EXCVIEW

from pybossa_core.errors import BadRequest

#: The orchestrators' probes (pybossa_core.startup): answered whatever Host they name.
PROBES = frozenset({"/health", "/ready"})
HOST_NOT_ALLOWED = "This site does not answer to that host name: its admin can set site.url or site.allowed_hosts."


def client_ip(request) -> str:
    """Return the address of the client behind ``request``.

    ``X-Forwarded-For`` is read only when the direct peer is one of the
    ``proxies.trusted`` addresses; then the client is the right-most address
    that is not itself a trusted proxy.  Anyone else could write that header.
    """
    peer = request.remote_addr or ""
    trusted = request.registry.settings["proxies.trusted"]
    if peer not in trusted:
        return peer
    forwarded = [address.strip() for address in request.headers.get("X-Forwarded-For", "").split(",") if address.strip()]
    for address in reversed(forwarded):
        if address not in trusted:
            return address
    return peer


def allowed_hosts(settings) -> frozenset[str]:
    """Return the host names (no port) a request may name when ``site.url`` is not set.

    By default the address the server listens on, and ``localhost`` beside a loopback one.
    """
    if settings["site.allowed_hosts"]:
        return frozenset(host.lower() for host in settings["site.allowed_hosts"])
    host = settings["host"].lower()
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    return frozenset({host, "localhost", "127.0.0.1", "::1"} if loopback else {host})


def _host_name(netloc: str) -> str:
    return (urllib.parse.urlsplit(f"//{netloc}").hostname or "").lower()


def forwarded(request) -> None:
    """Take the scheme and host a trusted proxy says the client used (``X-Forwarded-Proto``, ``-Host``)."""
    proto = _first(request.headers.get("X-Forwarded-Proto", "")).lower()
    if proto in ("http", "https"):
        request.scheme = proto
    host = _first(request.headers.get("X-Forwarded-Host", ""))
    if host:
        request.host = host


def _first(header: str) -> str:
    """The value the proxy nearest the client wrote, when proxies in a row each added theirs."""
    return header.split(",", 1)[0].strip()


def public_url_tween_factory(handler, registry):
    """Make the request's URL the site's public one (``site.url``), or refuse a host not allowed."""
    settings = registry.settings
    site = urllib.parse.urlsplit(settings["site.url"]) if settings["site.url"] else None
    allowed = allowed_hosts(settings)

    trusted = frozenset(settings["proxies.trusted"])

    def public_url_tween(request):
        if site is not None:
            request.scheme, request.host = site.scheme, site.netloc
            request.script_name = site.path.rstrip("/")
            return handler(request)
        if request.remote_addr in trusted:
            forwarded(request)
        if request.path_info not in PROBES and _host_name(request.host) not in allowed:
            raise BadRequest(HOST_NOT_ALLOWED, target="host")
        return handler(request)

    return public_url_tween


def includeme(config) -> None:
    config.add_request_method(client_ip, reify=True)
    # Inside the exception view, so a refused host gets the error JSON.
    config.add_tween("pybossa_core.network.public_url_tween_factory", under=EXCVIEW)
