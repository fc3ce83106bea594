"""``/api/disqus/sso``: the parameters Disqus single sign-on needs for the caller.

As Disqus specifies: ``remote_auth_s3`` is ``"<message> <signature> <timestamp>"``
where the message is the base64 of a JSON object (the user's id, username,
e-mail and avatar; empty for an anonymous caller) and the signature is the
HMAC-SHA1 of ``"<message> <timestamp>"`` with the site's Disqus secret key.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

from pybossa_core.api.describe import ref, simple_get
from pybossa_core.errors import MethodNotAllowed
from pybossa_core.models import User


def remote_auth_s3(user: User | None, secret_key: str, timestamp: int, base_url: str) -> str:
    """Return Disqus's signed SSO message for ``user`` (or for nobody)."""
    data = {}
    if user is not None:
        data = {"id": user.id, "username": user.name, "email": user.email_addr}
        avatar = (user.info or {}).get("avatar_url") if isinstance(user.info, dict) else None
        if avatar:
            data["avatar"] = avatar if "://" in avatar else base_url + avatar
    message = base64.b64encode(json.dumps(data).encode("utf-8")).decode("ascii")
    signature = hmac.new(secret_key.encode("utf-8"), f"{message} {timestamp}".encode("utf-8"), hashlib.sha1).hexdigest()
    return f"{message} {signature} {timestamp}"


def disqus_sso(request):
    settings = request.registry.settings
    if request.method != "GET" or not (settings["disqus.public_key"] and settings["disqus.secret_key"]):
        raise MethodNotAllowed("Disqus keys are missing", target="DISQUS_SSO")
    return {
        "api_key": settings["disqus.public_key"],
        "remote_auth_s3": remote_auth_s3(request.identity, settings["disqus.secret_key"], int(time.time()), request.application_url),
    }


DISQUS_SSO = {
    "type": "object",
    "properties": {"api_key": {"type": "string"}, "remote_auth_s3": {"type": "string"}},
    "required": ["api_key", "remote_auth_s3"],
    "additionalProperties": False,
}


def includeme(config) -> None:
    config.add_route("api.disqus.sso", "/api/disqus/sso{slash:/?}")
    config.add_view(disqus_sso, route_name="api.disqus.sso", renderer="json",
                    describe=simple_get(ref("DisqusSSO"), "auth", schemas={"DisqusSSO": DISQUS_SSO}))
