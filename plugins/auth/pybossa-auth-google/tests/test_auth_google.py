"""The Google sign-in provider: when it is enabled, where it sends the visitor, the profile it makes."""

from __future__ import annotations

import urllib.parse

import pybossa_auth_google
import pytest
from pybossa_auth_google import fetch_profile

from pybossa_core.plugin_api import PluginError
from pybossa_core.plugins import load_plugins

CREDENTIALS = {"plugin.google.client_id": "id", "plugin.google.client_secret": "secret"}


@pytest.fixture(autouse=True)
def no_credentials_in_environment(monkeypatch):
    for key in pybossa_auth_google.REQUIRED_SETTINGS:
        monkeypatch.delenv(f"PYBOSSA_PLUGIN_GOOGLE_{key.upper()}", raising=False)


def provider(settings):
    [spec] = load_plugins({}, autoload=False, extra_plugins=[pybossa_auth_google]).register_auth_providers(settings)
    return spec


def test_enabled_only_by_both_credentials():
    assert provider(CREDENTIALS).enabled is True
    assert provider({"plugin.google.client_secret": "secret"}).enabled is False
    assert "auth-google" in [plugin.name for plugin in load_plugins({}).list_plugins()]


def test_start_asks_for_a_code_with_the_state():
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
