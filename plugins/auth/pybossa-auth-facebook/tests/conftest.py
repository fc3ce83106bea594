"""The plugin under test, for the pybossa_core.testing fixtures (pybossa_hooks, pybossa_testapp)."""

from __future__ import annotations

import pybossa_auth_facebook
import pytest


@pytest.fixture
def pybossa_plugins():
    return [pybossa_auth_facebook]


@pytest.fixture(autouse=True)
def no_credentials_in_environment(monkeypatch):
    """Credentials in the developer's environment would enable the provider in every test."""
    for key in pybossa_auth_facebook.REQUIRED_SETTINGS:
        monkeypatch.delenv(f"PYBOSSA_PLUGIN_FACEBOOK_{key.upper()}", raising=False)
