"""``/api/disqus/sso``: Disqus's signed single sign-on message."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json

KEYS = {"disqus.public_key": "public-key", "disqus.secret_key": "secret-key"}


def decode(remote_auth_s3: str) -> tuple[dict, str, str]:
    message, signature, timestamp = remote_auth_s3.split(" ")
    expected = hmac.new(b"secret-key", f"{message} {timestamp}".encode(), hashlib.sha1).hexdigest()
    assert hmac.compare_digest(signature, expected)
    return json.loads(base64.b64decode(message)), signature, timestamp


def test_signed_in_user_gets_a_signed_message(site_with, make):
    user = make.user("alice", info={"avatar_url": "/uploads/user_1/a.png"})
    body = site_with(**KEYS).get(f"/api/disqus/sso?api_key={user.api_key}").json

    assert body["api_key"] == "public-key"
    data, _, timestamp = decode(body["remote_auth_s3"])
    assert data == {"id": user.id, "username": "alice", "email": "alice@example.com",
                    "avatar": "http://localhost:5000/uploads/user_1/a.png"}
    assert timestamp.isdigit()


def test_anonymous_caller_gets_an_empty_user(site_with):
    data, _, _ = decode(site_with(**KEYS).get("/api/disqus/sso").json["remote_auth_s3"])
    assert data == {}


def test_without_keys_the_error_json_answers(testapp):
    body = testapp.get("/api/disqus/sso", status=405).json
    assert body == {
        "status": "failed", "action": "GET", "target": "DISQUS_SSO", "exception_msg": "Disqus keys are missing",
        "status_code": 405, "exception_cls": "MethodNotAllowed",
    }
