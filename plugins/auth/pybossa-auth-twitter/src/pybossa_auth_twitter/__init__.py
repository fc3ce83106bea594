"""Sign in with Twitter.

The provider is enabled when the site's settings hold the Twitter app's credentials,
``plugin.twitter.consumer_key`` and ``plugin.twitter.consumer_secret``. This module turns
Twitter's OAuth 1.0a access-token response into the profile the core signs a volunteer in
with; the OAuth round trip itself is added with the account views.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pybossa_core.plugin_api import AuthProviderSpec, PluginError, plugin_settings
from pybossa_core.plugins import hookimpl

PLUGIN_ID = "twitter"

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


@hookimpl
def register_auth_providers(settings: Mapping[str, Any]) -> list[AuthProviderSpec]:
    """Register the ``twitter`` provider, enabled when its credentials are set."""
    configured = plugin_settings(settings, PLUGIN_ID)
    return [
        AuthProviderSpec(
            name=PLUGIN_ID,
            title="Twitter",
            enabled=all(configured.get(key) for key in REQUIRED_SETTINGS),
            login_url="/account/twitter/",
            fetch_profile=fetch_profile,
        )
    ]
