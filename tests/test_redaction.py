"""No secret reaches a log line: the site's secret, passwords, API keys and plugin credentials
are shown as *** by every logger, with PYBOSSA_TRACE_PLUGINS too."""
from __future__ import annotations

import logging

import pytest

from pybossa_core.config import configure
from pybossa_core.plugin_api import AuthProviderSpec, plugin_settings
from pybossa_core.plugins import hookimpl
from pybossa_core.redaction import mask, secret_values
from tests.conftest import app_settings

SITE_SECRET = "site-secret-0123456789-abcdefghijklmnop"
CONSUMER_SECRET = "consumer-secret-from-the-ini"
ENV_API_KEY = "api-key-from-the-environment"
DB_PASSWORD = "p@ss-word-of-the-database"


class Provider:
    """A sign-in provider plugin that logs what it was given, as a careless plugin might."""

    @hookimpl
    def register_auth_providers(self, settings):
        own = plugin_settings(settings, "sample")
        logging.getLogger("sample_plugin").info("configured with %s and %s", own, settings["secret"])
        return [AuthProviderSpec("sample", "Sample", bool(own), "/account/sample/", dict)]


@pytest.fixture
def traced_site(dbengine, uploads_dir, monkeypatch, caplog):
    monkeypatch.setenv("PYBOSSA_TRACE_PLUGINS", "1")
    monkeypatch.setenv("PYBOSSA_PLUGIN_SAMPLE_API_KEY", ENV_API_KEY)
    caplog.set_level(logging.DEBUG)
    settings = app_settings(dbengine, uploads_dir, **{
        "secret": SITE_SECRET,
        "plugin.sample.consumer_secret": CONSUMER_SECRET,
        "redis.url": "",
        "mail.password": "mail-password-123",
    })
    return lambda: configure(settings, plugins=[Provider()], autoload_plugins=False,
                             environ={"PYBOSSA_PLUGIN_SAMPLE_API_KEY": ENV_API_KEY})


def test_plugin_tracing_and_a_plugins_own_log_mask_every_secret(traced_site, caplog):
    traced_site()
    text = caplog.text
    assert "calling register_auth_providers" in text and "configured with" in text
    for secret in (SITE_SECRET, CONSUMER_SECRET, ENV_API_KEY, "mail-password-123"):
        assert secret not in text
    assert "'consumer_secret': '***'" in text and "'api_key': '***'" in text


def test_a_logged_exception_masks_secrets_in_its_message_and_traceback(traced_site, caplog):
    traced_site()
    caplog.clear()
    try:
        raise RuntimeError(f"could not sign with {SITE_SECRET}")
    except RuntimeError:
        logging.getLogger("pybossa_core.anything").exception("failed using %s", CONSUMER_SECRET)

    [record] = caplog.records
    assert SITE_SECRET not in caplog.text and CONSUMER_SECRET not in caplog.text
    assert "failed using ***" in caplog.text and "RuntimeError: could not sign with ***" in caplog.text
    assert record.getMessage() == "failed using ***"


def test_secret_values_are_the_secret_settings_and_url_passwords():
    settings = {"secret": SITE_SECRET, "database.url": f"postgresql://u:{DB_PASSWORD.replace('@', '%40')}@h/db",
                "plugin.youtube.api_key": "youtube-key-1", "plugin.google.client_id": "public-client-id",
                "ratelimit.limit": 300, "disqus.secret_key": "disqus-0123", "secret_short": "secret"}
    environ = {"PYBOSSA_PLUGIN_TWITTER_BEARER_TOKEN": "bearer-token-1", "HOME": "/root-home-secret"}

    found = secret_values(settings, environ)

    assert {SITE_SECRET, DB_PASSWORD, "youtube-key-1", "disqus-0123", "bearer-token-1"} <= found
    assert not found & {"public-client-id", "/root-home-secret", "secret"}
    assert mask(f"postgresql://u:{DB_PASSWORD}@h/db", found) == "postgresql://u:***@h/db"
