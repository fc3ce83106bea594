"""``/api/token``: the signed-in user's own OAuth tokens."""
from __future__ import annotations

TOKENS = {
    "twitter_token": {"oauth_token": "tw-token", "oauth_token_secret": "tw-secret"},
    "google_token": {"oauth_token": "g-token"},
    "other": "kept private",
}


def test_tokens_of_the_caller(testapp, make):
    user = make.user(info=TOKENS)
    assert testapp.get(f"/api/token?api_key={user.api_key}").json == {
        "twitter_token": {"oauth_token": "tw-token", "oauth_token_secret": "tw-secret"},
        "google_token": {"oauth_token": "g-token"},
    }
    assert testapp.get(f"/api/token/google?api_key={user.api_key}").json == {"google_token": {"oauth_token": "g-token"}}


def test_missing_provider_token_is_not_found(testapp, make):
    user = make.user(info=TOKENS)
    body = testapp.get(f"/api/token/facebook?api_key={user.api_key}", status=404).json
    assert body["exception_cls"] == "NotFound" and body["target"] == "token"


def test_anonymous_callers_have_no_tokens(testapp):
    body = testapp.get("/api/token", status=401).json
    assert body["exception_cls"] == "Unauthorized" and body["status"] == "failed"


def test_tokens_are_read_only(testapp, make):
    user = make.user(info=TOKENS)
    assert testapp.post_json(f"/api/token?api_key={user.api_key}", {}, status=405).json["exception_cls"] == "MethodNotAllowed"
