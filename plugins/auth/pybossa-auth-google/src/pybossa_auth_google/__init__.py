"""Sign in with Google (OAuth 2 / OpenID Connect).

Enabled when ``plugin.google.client_id`` and ``plugin.google.client_secret`` are set. The
visitor is sent to ``plugin.google.authorize_url``; the code that comes back is traded for
an access token at ``plugin.google.token_url``, and ``plugin.google.userinfo_url`` names the
user. Each URL defaults to Google's own.
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

PLUGIN_ID = "google"
REQUIRED_SETTINGS = ("client_id", "client_secret")
DEFAULT_AUTHORIZE_URL = "https://accounts.google.com/o/oauth2/v2/auth"
DEFAULT_TOKEN_URL = "https://oauth2.googleapis.com/token"
DEFAULT_USERINFO_URL = "https://openidconnect.googleapis.com/v1/userinfo"
TIMEOUT_SECONDS = 10


def _json(request: urllib.request.Request) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            data = json.loads(response.read().decode("utf-8"))
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise PluginError(f"Google did not answer: {error}") from None
    if not isinstance(data, dict):
        raise PluginError("Google's answer is not a JSON object.")
    return data


def fetch_profile(userinfo: Mapping[str, Any], access_token: str) -> dict[str, Any]:
    """Return the profile made of Google's userinfo (``sub``, ``name``, a verified ``email``)."""
    if not userinfo.get("sub"):
        raise PluginError("Google's userinfo lacks sub.")
    fullname = userinfo.get("name") or str(userinfo.get("email", "")).split("@")[0] or f"google{userinfo['sub']}"
    return {
        "provider": PLUGIN_ID,
        "external_id": str(userinfo["sub"]),
        "name": re.sub(r"\W+", "", fullname.lower()) or f"google{userinfo['sub']}",
        "fullname": fullname,
        "email": userinfo.get("email") if userinfo.get("email_verified") else None,
        "tokens": {"oauth_token": access_token},
    }


class GoogleClient:
    def __init__(self, client_id: str, client_secret: str, authorize_url: str, token_url: str, userinfo_url: str):
        self.client_id = client_id
        self.client_secret = client_secret
        self.authorize_url = authorize_url
        self.token_url = token_url
        self.userinfo_url = userinfo_url

    def start(self, callback_url: str, state: str) -> tuple[str, dict[str, Any]]:
        query = urllib.parse.urlencode(
            {
                "client_id": self.client_id,
                "redirect_uri": callback_url,
                "response_type": "code",
                "scope": "openid email profile",
                "state": state,
            }
        )
        return f"{self.authorize_url}?{query}", {}

    def finish(self, params: Mapping[str, str], stash: Mapping[str, Any], callback_url: str) -> dict[str, Any]:
        if not params.get("code"):
            raise PluginError("The callback has no code.")
        body = urllib.parse.urlencode(
            {
                "code": params["code"],
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "redirect_uri": callback_url,
                "grant_type": "authorization_code",
            }
        ).encode()
        token = _json(urllib.request.Request(self.token_url, data=body, method="POST")).get("access_token")
        if not token:
            raise PluginError("Google gave no access token.")
        userinfo = _json(urllib.request.Request(self.userinfo_url, headers={"Authorization": f"Bearer {token}"}))
        return fetch_profile(userinfo, token)


@hookimpl
def register_auth_providers(settings: Mapping[str, Any]) -> list[AuthProviderSpec]:
    """Register the ``google`` provider, enabled when its client id and secret are set."""
    configured = plugin_settings(settings, PLUGIN_ID)
    client = GoogleClient(
        configured.get("client_id", ""),
        configured.get("client_secret", ""),
        configured.get("authorize_url") or DEFAULT_AUTHORIZE_URL,
        configured.get("token_url") or DEFAULT_TOKEN_URL,
        configured.get("userinfo_url") or DEFAULT_USERINFO_URL,
    )
    return [
        AuthProviderSpec(
            name=PLUGIN_ID,
            title="Google",
            enabled=all(configured.get(key) for key in REQUIRED_SETTINGS),
            login_url="/account/google/",
            fetch_profile=fetch_profile,
            start=client.start,
            finish=client.finish,
        )
    ]
