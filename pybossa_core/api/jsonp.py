"""JSONP, as PYBOSSA's API answers it: ``?callback=fn`` wraps a GET's JSON in ``fn(...)``."""
from __future__ import annotations

import re

from pyramid.events import NewResponse

CALLBACK = re.compile(r"^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$")
MAX_CALLBACK = 100


def wrap_jsonp(event: NewResponse) -> None:
    request, response = event.request, event.response
    callback = request.GET.get("callback")
    if (
        callback is None
        or request.method != "GET"
        or not request.path_info.startswith("/api/")
        or response.content_type != "application/json"
    ):
        return
    if not CALLBACK.match(callback) or len(callback) > MAX_CALLBACK:
        # Only a plain name can be echoed: anything else could smuggle script into the page.
        return
    response.body = b"/**/" + callback.encode() + b"(" + response.body + b");"
    response.content_type = "application/javascript"


def includeme(config) -> None:
    config.add_subscriber(wrap_jsonp, NewResponse)
