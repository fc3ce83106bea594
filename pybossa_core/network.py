"""Where a request comes from: the client's address, trusting ``X-Forwarded-For`` only from known proxies."""
from __future__ import annotations


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


def includeme(config) -> None:
    config.add_request_method(client_ip, reify=True)
