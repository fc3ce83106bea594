"""The plugin under test, for the pybossa_core.testing fixtures (pybossa_hooks, pybossa_testapp)."""

from __future__ import annotations

import pybossa_auth_twitter
import pytest


@pytest.fixture
def pybossa_plugins():
    return [pybossa_auth_twitter]


@pytest.fixture(autouse=True)
def no_credentials_in_environment(monkeypatch):
    """Credentials in the developer's environment would enable the provider in every test."""
    for key in pybossa_auth_twitter.REQUIRED_SETTINGS:
        monkeypatch.delenv(f"PYBOSSA_PLUGIN_TWITTER_{key.upper()}", raising=False)
