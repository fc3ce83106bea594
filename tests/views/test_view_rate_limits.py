"""The web views that send mail or cost much are rate-limited per client and view, as /api is."""
from __future__ import annotations

import pytest

from tests.views.conftest import JSON, csrf_of

LIMIT = 3


@pytest.fixture
def limited(site_with):
    return site_with(**{"ratelimit.enabled": "true", "ratelimit.views_limit": str(LIMIT)})


def test_password_recovery_mails_are_limited_per_client(limited, member):
    token = csrf_of(limited)
    for _ in range(LIMIT):
        answer = limited.post_json("/account/forgot-password", {"email_addr": member.email_addr},
                                   headers={"X-CSRFToken": token})
        assert answer.json["status"] == "success" and answer.headers["X-RateLimit-Limit"] == str(LIMIT)

    refused = limited.post_json("/account/forgot-password", {"email_addr": member.email_addr},
                                headers={"X-CSRFToken": token}, status=429)

    body = refused.json
    assert (body["status"], body["status_code"], body["exception_cls"]) == ("failed", 429, "TooManyRequests")
    assert int(refused.headers["Retry-After"]) >= 1
    # Showing the form costs nothing and is not counted; another view and another client have their own windows.
    assert limited.get("/account/forgot-password", headers=JSON).json["form"]["csrf"] == token
    register = limited.post_json("/account/register", {"name": "x"}, headers={"X-CSRFToken": token})
    assert register.json["status"] == "error"
    other = limited.post_json("/account/forgot-password", {"email_addr": member.email_addr},
                              headers={"X-CSRFToken": token}, extra_environ={"REMOTE_ADDR": "127.0.0.9"})
    assert other.json["status"] == "success"


def test_exports_are_limited(limited, make, member):
    project = make.project(member, "exported")
    make.task(project)
    for _ in range(LIMIT):
        assert limited.get("/project/exported/tasks/export?type=task&format=json").status_int == 200
    body = limited.get("/project/exported/tasks/export?type=task&format=json", status=429).json
    assert body["exception_cls"] == "TooManyRequests"
