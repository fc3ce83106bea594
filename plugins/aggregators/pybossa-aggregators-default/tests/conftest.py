import pybossa_aggregators_default
import pytest


@pytest.fixture
def pybossa_plugins():
    """The site under test has exactly the default aggregators (and the core's majority)."""
    return [pybossa_aggregators_default]
