"""What the admin view tests share: a browser signed in as an admin."""
from __future__ import annotations

import pytest

from tests.views.project_fixtures import JSON, as_user, post

__all__ = ["JSON", "as_user", "post"]


@pytest.fixture
def boss(testapp, make):
    """An admin, signed in on ``testapp``."""
    return as_user(testapp, make, "boss", fullname="The Boss", admin=True)
