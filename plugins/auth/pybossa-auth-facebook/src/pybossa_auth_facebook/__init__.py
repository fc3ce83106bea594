"""Sign in with Facebook (OAuth 2).

Enabled when ``plugin.facebook.app_id`` and ``plugin.facebook.app_secret`` are set. The
visitor is sent to ``plugin.facebook.authorize_url`` (Facebook's login dialog unless set);
the code that comes back is traded for an access token at ``plugin.facebook.graph_url``,
whose ``/me`` names the user.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from pybossa_core.plugin_api import AuthProviderSpec, PluginError, hookimpl, plugin_settings

PLUGIN_ID = "facebook"
REQUIRED_SETTINGS = ("app_id", "app_secret")
DEFAULT_AUTHORIZE_URL = "https://www.facebook.com/v19.0/dialog/oauth"
DEFAULT_GRAPH_URL = "https://graph.facebook.com/v19.0"
TIMEOUT_SECONDS = 10


def _get_json(url: str) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            data = json.loads(response.read().decode("utf-8"))
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise PluginError(f"Facebook did not answer: {error}") from None
    if not isinstance(data, dict):
        raise PluginError("Facebook's answer is not a JSON object.")
    return data


def fetch_profile(me: Mapping[str, Any], access_token: str) -> dict[str, Any]:
    """Return the profile made of Facebook's ``/me`` (``id``, ``name``, ``email``) and the token."""
    if not me.get("id") or not me.get("name"):
        raise PluginError("Facebook's /me lacks id or name.")
    return {
        "provider": PLUGIN_ID,
        "external_id": str(me["id"]),
        "name": re.sub(r"\W+", "", str(me["name"]).lower()) or f"facebook{me['id']}",
        "fullname": me["name"],
        "email": me.get("email"),
        "tokens": {"oauth_token": access_token},
    }


class FacebookClient:
    def __init__(self, app_id: str, app_secret: str, authorize_url: str, graph_url: str):
        self.app_id = app_id
        self.app_secret = app_secret
        self.authorize_url = authorize_url
        self.graph_url = graph_url.rstrip("/")

    def start(self, callback_url: str, state: str) -> tuple[str, dict[str, Any]]:
        query = urllib.parse.urlencode(
            {"client_id": self.app_id, "redirect_uri": callback_url, "state": state, "scope": "email"}
        )
        return f"{self.authorize_url}?{query}", {}

    def finish(self, params: Mapping[str, str], stash: Mapping[str, Any], callback_url: str) -> dict[str, Any]:
        if not params.get("code"):
            raise PluginError("The callback has no code.")
        query = urllib.parse.urlencode(
            {
                "client_id": self.app_id,
                "client_secret": self.app_secret,
                "redirect_uri": callback_url,
                "code": params["code"],
            }
        )
        token = _get_json(f"{self.graph_url}/oauth/access_token?{query}").get("access_token")
        if not token:
            raise PluginError("Facebook gave no access token.")
        me = _get_json(f"{self.graph_url}/me?" + urllib.parse.urlencode({"fields": "id,name,email", "access_token": token}))
        return fetch_profile(me, token)


@hookimpl
def register_auth_providers(settings: Mapping[str, Any]) -> list[AuthProviderSpec]:
    """Register the ``facebook`` provider, enabled when its app id and secret are set."""
    configured = plugin_settings(settings, PLUGIN_ID)
    client = FacebookClient(
        configured.get("app_id", ""),
        configured.get("app_secret", ""),
        configured.get("authorize_url") or DEFAULT_AUTHORIZE_URL,
        configured.get("graph_url") or DEFAULT_GRAPH_URL,
    )
    return [
        AuthProviderSpec(
            name=PLUGIN_ID,
            title="Facebook",
            enabled=all(configured.get(key) for key in REQUIRED_SETTINGS),
            login_url="/account/facebook/",
            fetch_profile=fetch_profile,
            start=client.start,
            finish=client.finish,
        )
    ]
