"""The Facebook sign-in provider: when it is enabled, where it sends the visitor, the profile it makes."""

from __future__ import annotations

import urllib.parse

import pybossa_auth_facebook
import pytest
from pybossa_auth_facebook import fetch_profile

from pybossa_core.plugin_api import PluginError
from pybossa_core.plugins import load_plugins

CREDENTIALS = {"plugin.facebook.app_id": "id", "plugin.facebook.app_secret": "secret"}


@pytest.fixture(autouse=True)
def no_credentials_in_environment(monkeypatch):
    for key in pybossa_auth_facebook.REQUIRED_SETTINGS:
        monkeypatch.delenv(f"PYBOSSA_PLUGIN_FACEBOOK_{key.upper()}", raising=False)


def provider(settings):
    [spec] = load_plugins({}, autoload=False, extra_plugins=[pybossa_auth_facebook]).register_auth_providers(settings)
    return spec


def test_enabled_only_by_both_credentials():
    assert provider(CREDENTIALS).enabled is True
    assert provider({"plugin.facebook.app_id": "id"}).enabled is False
    assert "auth-facebook" in [plugin.name for plugin in load_plugins({}).list_plugins()]


def test_start_sends_the_visitor_to_the_dialog_with_the_state():
    url, stash = provider({**CREDENTIALS, "plugin.facebook.authorize_url": "http://127.0.0.1:1/dialog"}).start(
        "http://site/account/facebook/oauth-authorized", "the-state"
    )
    parts = urllib.parse.urlsplit(url)
    assert (parts.netloc, parts.path, stash) == ("127.0.0.1:1", "/dialog", {})
    assert dict(urllib.parse.parse_qsl(parts.query)) == {
        "client_id": "id", "redirect_uri": "http://site/account/facebook/oauth-authorized", "state": "the-state", "scope": "email"
    }


def test_profile_from_me():
    assert fetch_profile({"id": "7", "name": "Ada Lovelace", "email": "ada@example.com"}, "tok") == {
        "provider": "facebook", "external_id": "7", "name": "adalovelace", "fullname": "Ada Lovelace",
        "email": "ada@example.com", "tokens": {"oauth_token": "tok"},
    }
    with pytest.raises(PluginError):
        fetch_profile({"name": "No Id"}, "tok")
