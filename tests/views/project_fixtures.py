"""What the project view tests share: a signed-in owner's project, other users, posting with the CSRF token."""
from __future__ import annotations

import pytest

from tests.views.conftest import JSON, PASSWORD_HASH, csrf_of, sign_in

__all__ = ["JSON", "as_user", "post"]


def post(testapp, url, data=None, **kw):
    """POST ``data`` as JSON with the browser's CSRF token."""
    return testapp.post_json(url, data or {}, headers={"X-CSRFToken": csrf_of(testapp), **JSON}, **kw)


def as_user(testapp, make, name, **fields):
    """Sign a new user ``name`` in on ``testapp``; return the user."""
    user = make.user(name, passwd_hash=PASSWORD_HASH, **fields)
    sign_in(testapp, user)
    return user


@pytest.fixture
def project(make, member):
    """A published project owned by ``member`` (the ``browser`` fixture's user), with a presenter."""
    return make.project(member, "birds", name="Birds", description="Count birds", long_description="Long birds",
                        info={"task_presenter": "<div>birds</div>"})
