"""The Twitter sign-in provider: when it is enabled, the profile it makes, and a site offering it."""

from __future__ import annotations

import pytest
from pybossa_auth_twitter import fetch_profile

from pybossa_core.plugin_api import PluginError
from pybossa_core.testing import load_plugins

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


@pytest.fixture
def twitter_provider(pybossa_hooks):
    """Return the provider the plugin registers for some settings."""

    def for_settings(settings):
        [provider] = pybossa_hooks.register_auth_providers(settings)
        return provider

    return for_settings


def test_entry_point_registers_the_twitter_provider():
    hooks = load_plugins({})

    assert "auth-twitter" in [plugin.name for plugin in hooks.list_plugins()]
    assert "twitter" in [provider.name for provider in hooks.register_auth_providers({})]


def test_provider_is_enabled_by_both_credentials(twitter_provider):
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
def test_provider_is_disabled_without_both_credentials(twitter_provider, settings):
    assert twitter_provider(settings).enabled is False


def test_provider_is_enabled_by_credentials_in_the_environment(twitter_provider, monkeypatch):
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


@pytest.mark.parametrize("pybossa_settings", [CREDENTIALS])
def test_site_offers_twitter_sign_in_when_configured(pybossa_testapp):
    providers = pybossa_testapp.get("/account/signin", headers={"Accept": "application/json"}).json["auth"]

    assert providers == {"twitter": True, "facebook": False, "google": False}


def test_site_without_credentials_offers_no_twitter_sign_in(pybossa_testapp):
    assert pybossa_testapp.get("/account/signin", headers={"Accept": "application/json"}).json["auth"]["twitter"] is False
    pybossa_testapp.get("/account/twitter/", status=404)
