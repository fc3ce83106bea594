import pybossa_stats_default
import pytest


@pytest.fixture
def pybossa_plugins():
    """The site under test has exactly the default statistics."""
    return [pybossa_stats_default]
