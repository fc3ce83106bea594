"""The Twitter sign-in provider: when it is enabled, and the profile it makes."""

from __future__ import annotations

import pybossa_auth_twitter
import pytest
from pybossa_auth_twitter import fetch_profile

from pybossa_core.plugin_api import PluginError
from pybossa_core.plugins import load_plugins

CREDENTIALS = {
    "plugin.twitter.consumer_key": "key",
    "plugin.twitter.consumer_secret": "secret",
}

TOKEN_RESPONSE = {
    "oauth_token": "6253282-access-token",
    "oauth_token_secret": "access-token-secret",
    "user_id": "6253282",
    "screen_name": "twitterapi",
}


@pytest.fixture(autouse=True)
def no_credentials_in_environment(monkeypatch):
    for key in pybossa_auth_twitter.REQUIRED_SETTINGS:
        monkeypatch.delenv(f"PYBOSSA_PLUGIN_TWITTER_{key.upper()}", raising=False)


def twitter_provider(settings):
    hooks = load_plugins({}, autoload=False, extra_plugins=[pybossa_auth_twitter])
    [provider] = hooks.register_auth_providers(settings)
    return provider


def test_entry_point_registers_the_twitter_provider():
    hooks = load_plugins({})

    assert "auth-twitter" in [plugin.name for plugin in hooks.list_plugins()]
    assert "twitter" in [provider.name for provider in hooks.register_auth_providers({})]


def test_provider_is_enabled_by_both_credentials():
    provider = twitter_provider(CREDENTIALS)

    assert provider.enabled is True
    assert (provider.name, provider.title, provider.login_url) == (
        "twitter",
        "Twitter",
        "/account/twitter/",
    )
    assert provider.fetch_profile is fetch_profile


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"plugin.twitter.consumer_key": "key"},
        {"plugin.twitter.consumer_key": "key", "plugin.twitter.consumer_secret": ""},
    ],
)
def test_provider_is_disabled_without_both_credentials(settings):
    assert twitter_provider(settings).enabled is False


def test_provider_is_enabled_by_credentials_in_the_environment(monkeypatch):
    monkeypatch.setenv("PYBOSSA_PLUGIN_TWITTER_CONSUMER_KEY", "key")
    monkeypatch.setenv("PYBOSSA_PLUGIN_TWITTER_CONSUMER_SECRET", "secret")

    assert twitter_provider({}).enabled is True


def test_profile_is_made_from_the_token_response():
    assert fetch_profile(TOKEN_RESPONSE) == {
        "provider": "twitter",
        "external_id": "6253282",
        "name": "twitterapi",
        "fullname": "twitterapi",
        "tokens": {
            "oauth_token": "6253282-access-token",
            "oauth_token_secret": "access-token-secret",
        },
    }


def test_incomplete_token_response_is_refused():
    response = {**TOKEN_RESPONSE, "screen_name": ""}
    del response["user_id"]

    with pytest.raises(PluginError, match="^Twitter's token response lacks user_id, screen_name.$"):
        fetch_profile(response)
