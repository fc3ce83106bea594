"""Sign in with Twitter.

The provider is enabled when the site's settings hold the Twitter app's credentials,
``plugin.twitter.consumer_key`` and ``plugin.twitter.consumer_secret``. The sign-in round
trip is OAuth 1.0a (request token, authorization, access token) against
``plugin.twitter.base_url`` (``https://api.twitter.com`` unless set); the access-token
response names the user, and becomes the profile the core signs a volunteer in with.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from pybossa_core.plugin_api import AuthProviderSpec, PluginError, hookimpl, plugin_settings

PLUGIN_ID = "twitter"
DEFAULT_BASE_URL = "https://api.twitter.com"
TIMEOUT_SECONDS = 10

#: Settings that must all be set for the provider to be enabled.
REQUIRED_SETTINGS = ("consumer_key", "consumer_secret")

#: Fields of Twitter's access-token response the profile is made from.
TOKEN_RESPONSE_FIELDS = ("user_id", "screen_name", "oauth_token", "oauth_token_secret")


def fetch_profile(token_response: Mapping[str, str]) -> dict[str, Any]:
    """Return the profile of the Twitter user an access-token response was issued to.

    Twitter names the user (``user_id``, ``screen_name``) in the token response itself, so no
    further request is needed. As PYBOSSA does, the screen name serves as both user name and
    full name, and the tokens are kept so the site can act for the user later. Raises
    :class:`PluginError` when a field is missing.
    """
    missing = [field for field in TOKEN_RESPONSE_FIELDS if not token_response.get(field)]
    if missing:
        raise PluginError(f"Twitter's token response lacks {', '.join(missing)}.")
    return {
        "provider": PLUGIN_ID,
        "external_id": token_response["user_id"],
        "name": token_response["screen_name"],
        "fullname": token_response["screen_name"],
        "tokens": {
            "oauth_token": token_response["oauth_token"],
            "oauth_token_secret": token_response["oauth_token_secret"],
        },
    }


def _quote(value: str) -> str:
    return urllib.parse.quote(value, safe="-._~")


def oauth_header(
    method: str, url: str, oauth_params: Mapping[str, str], consumer_secret: str, token_secret: str = ""
) -> str:
    """Return the ``Authorization`` header of an OAuth 1.0a request signed with HMAC-SHA1 (RFC 5849)."""
    params = dict(oauth_params)
    normalized = "&".join(f"{_quote(key)}={_quote(value)}" for key, value in sorted(params.items()))
    base_string = "&".join((method.upper(), _quote(url), _quote(normalized)))
    key = f"{_quote(consumer_secret)}&{_quote(token_secret)}"
    digest = hmac.new(key.encode(), base_string.encode(), hashlib.sha1).digest()
    params["oauth_signature"] = base64.b64encode(digest).decode("ascii")
    return "OAuth " + ", ".join(f'{_quote(key)}="{_quote(value)}"' for key, value in sorted(params.items()))


class TwitterClient:
    """The three OAuth 1.0a steps against one Twitter (or a stand-in on loopback)."""

    def __init__(self, consumer_key: str, consumer_secret: str, base_url: str = DEFAULT_BASE_URL):
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self.base_url = base_url.rstrip("/")

    def _post(self, path: str, extra: Mapping[str, str], token_secret: str = "") -> dict[str, str]:
        url = f"{self.base_url}{path}"
        oauth_params = {
            "oauth_consumer_key": self.consumer_key,
            "oauth_nonce": secrets.token_hex(16),
            "oauth_signature_method": "HMAC-SHA1",
            "oauth_timestamp": str(int(time.time())),
            "oauth_version": "1.0",
            **extra,
        }
        header = oauth_header("POST", url, oauth_params, self.consumer_secret, token_secret)
        request = urllib.request.Request(url, data=b"", method="POST", headers={"Authorization": header})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                body = response.read().decode("utf-8")
        except (urllib.error.URLError, OSError) as error:
            raise PluginError(f"Twitter did not answer {path}: {error}") from None
        return dict(urllib.parse.parse_qsl(body))

    def start(self, callback_url: str, state: str) -> tuple[str, dict[str, Any]]:
        """Get a request token and return where the visitor authorizes it."""
        answer = self._post("/oauth/request_token", {"oauth_callback": callback_url})
        if answer.get("oauth_callback_confirmed") != "true" or not answer.get("oauth_token"):
            raise PluginError("Twitter refused the request token.")
        stash = {"oauth_token": answer["oauth_token"], "oauth_token_secret": answer.get("oauth_token_secret", "")}
        query = urllib.parse.urlencode({"oauth_token": answer["oauth_token"]})
        return f"{self.base_url}/oauth/authenticate?{query}", stash

    def finish(self, params: Mapping[str, str], stash: Mapping[str, Any], callback_url: str) -> dict[str, Any]:
        """Trade the verifier for an access token; its response is the profile."""
        if not params.get("oauth_token") or params.get("oauth_token") != stash.get("oauth_token"):
            raise PluginError("The callback's request token is not the one this sign-in asked for.")
        if not params.get("oauth_verifier"):
            raise PluginError("The callback has no oauth_verifier.")
        answer = self._post(
            "/oauth/access_token",
            {"oauth_token": stash["oauth_token"], "oauth_verifier": params["oauth_verifier"]},
            stash.get("oauth_token_secret", ""),
        )
        return fetch_profile(answer)


@hookimpl
def register_auth_providers(settings: Mapping[str, Any]) -> list[AuthProviderSpec]:
    """Register the ``twitter`` provider, enabled when its credentials are set."""
    configured = plugin_settings(settings, PLUGIN_ID)
    client = TwitterClient(
        configured.get("consumer_key", ""),
        configured.get("consumer_secret", ""),
        configured.get("base_url") or DEFAULT_BASE_URL,
    )
    return [
        AuthProviderSpec(
            name=PLUGIN_ID,
            title="Twitter",
            enabled=all(configured.get(key) for key in REQUIRED_SETTINGS),
            login_url="/account/twitter/",
            fetch_profile=fetch_profile,
            start=client.start,
            finish=client.finish,
            checks_state=False,
        )
    ]
