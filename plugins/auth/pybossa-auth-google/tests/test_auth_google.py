"""The Google sign-in provider: when it is enabled, where it sends the visitor, the profile it makes."""

from __future__ import annotations

import urllib.parse

import pybossa_auth_google
import pytest
from pybossa_auth_google import fetch_profile

from pybossa_core.plugin_api import PluginError
from pybossa_core.testing import load_plugins

CREDENTIALS = {"plugin.google.client_id": "id", "plugin.google.client_secret": "secret"}


@pytest.fixture
def provider(pybossa_hooks):
    """Return the provider the plugin registers for some settings."""

    def for_settings(settings):
        [spec] = pybossa_hooks.register_auth_providers(settings)
        return spec

    return for_settings


def test_enabled_only_by_both_credentials(provider):
    assert provider(CREDENTIALS).enabled is True
    assert provider({"plugin.google.client_secret": "secret"}).enabled is False
    assert "auth-google" in [plugin.name for plugin in load_plugins({}).list_plugins()]


def test_start_asks_for_a_code_with_the_state(provider):
    url, _ = provider(CREDENTIALS).start("http://site/cb", "s")
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    assert url.startswith(pybossa_auth_google.DEFAULT_AUTHORIZE_URL)
    assert query == {"client_id": "id", "redirect_uri": "http://site/cb", "response_type": "code",
                     "scope": "openid email profile", "state": "s"}


def test_profile_keeps_only_a_verified_email():
    profile = fetch_profile({"sub": "42", "name": "Grace Hopper", "email": "g@example.com", "email_verified": True}, "tok")
    assert profile == {"provider": "google", "external_id": "42", "name": "gracehopper", "fullname": "Grace Hopper",
                       "email": "g@example.com", "tokens": {"oauth_token": "tok"}}
    assert fetch_profile({"sub": "42", "name": "G", "email": "g@example.com"}, "tok")["email"] is None
    with pytest.raises(PluginError):
        fetch_profile({"name": "no sub"}, "tok")


@pytest.mark.parametrize("pybossa_settings", [CREDENTIALS])
def test_site_sends_the_visitor_to_google_with_the_sites_callback(pybossa_testapp):
    providers = pybossa_testapp.get("/account/signin", headers={"Accept": "application/json"}).json["auth"]
    response = pybossa_testapp.get("/account/google/", status=302)

    assert providers["google"] is True
    url = urllib.parse.urlsplit(response.location)
    assert f"{url.scheme}://{url.netloc}{url.path}" == pybossa_auth_google.DEFAULT_AUTHORIZE_URL
    query = dict(urllib.parse.parse_qsl(url.query))
    assert query["redirect_uri"] == "http://localhost:5000/account/google/oauth-authorized"
    assert query["state"] and "pybossa_oauth" in pybossa_testapp.cookies


def test_site_without_credentials_offers_no_google_sign_in(pybossa_testapp):
    assert pybossa_testapp.get("/account/signin", headers={"Accept": "application/json"}).json["auth"]["google"] is False
    pybossa_testapp.get("/account/google/", status=404)
