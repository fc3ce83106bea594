"""The site's requests share one class holding the request methods and properties (config._one_request_class)."""
from __future__ import annotations

from pyramid.interfaces import IRequestExtensions
from pyramid.request import Request


def test_requests_share_one_class_with_every_extension(app):
    extensions = app.registry.getUtility(IRequestExtensions)
    contexts = [app.request_context(Request.blank("/api/project").environ) for _ in range(2)]
    first, second = (context.begin() for context in contexts)
    try:
        assert type(first) is type(second) and issubclass(type(first), Request)
        for name in (*extensions.methods, *extensions.descriptors):
            assert name in vars(type(first)), name
        # Reified per request, never shared between requests.
        assert first.csp_nonce != second.csp_nonce and first.client_ip == second.client_ip
    finally:
        for context in contexts:
            context.end()
