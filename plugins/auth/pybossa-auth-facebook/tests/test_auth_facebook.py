"""The Facebook sign-in provider: when it is enabled, where it sends the visitor, the profile it makes."""

from __future__ import annotations

import urllib.parse

import pybossa_auth_facebook
import pytest
from pybossa_auth_facebook import fetch_profile

from pybossa_core.plugin_api import PluginError
from pybossa_core.testing import load_plugins

CREDENTIALS = {"plugin.facebook.app_id": "id", "plugin.facebook.app_secret": "secret"}


@pytest.fixture
def provider(pybossa_hooks):
    """Return the provider the plugin registers for some settings."""

    def for_settings(settings):
        [spec] = pybossa_hooks.register_auth_providers(settings)
        return spec

    return for_settings


def test_enabled_only_by_both_credentials(provider):
    assert provider(CREDENTIALS).enabled is True
    assert provider({"plugin.facebook.app_id": "id"}).enabled is False
    assert "auth-facebook" in [plugin.name for plugin in load_plugins({}).list_plugins()]


def test_start_sends_the_visitor_to_the_dialog_with_the_state(provider):
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


@pytest.mark.parametrize("pybossa_settings", [CREDENTIALS])
def test_site_sends_the_visitor_to_facebook_with_the_sites_callback(pybossa_testapp):
    providers = pybossa_testapp.get("/account/signin", headers={"Accept": "application/json"}).json["auth"]
    response = pybossa_testapp.get("/account/facebook/", status=302)

    assert providers["facebook"] is True
    url = urllib.parse.urlsplit(response.location)
    assert f"{url.scheme}://{url.netloc}{url.path}" == pybossa_auth_facebook.DEFAULT_AUTHORIZE_URL
    query = dict(urllib.parse.parse_qsl(url.query))
    assert query["redirect_uri"] == "http://localhost:5000/account/facebook/oauth-authorized"
    assert query["state"] and "pybossa_oauth" in pybossa_testapp.cookies


def test_site_without_credentials_offers_no_facebook_sign_in(pybossa_testapp):
    assert pybossa_testapp.get("/account/signin", headers={"Accept": "application/json"}).json["auth"]["facebook"] is False
    pybossa_testapp.get("/account/facebook/", status=404)
