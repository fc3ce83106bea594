"""The plugin under test, for the pybossa_core.testing fixtures (pybossa_hooks, pybossa_testapp)."""

from __future__ import annotations

import pybossa_presenters_basic
import pytest


@pytest.fixture
def pybossa_plugins():
    return [pybossa_presenters_basic]
