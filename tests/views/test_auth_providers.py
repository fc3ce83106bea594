"""Signing in with Twitter, Facebook and Google, against a stand-in provider served on loopback."""
from __future__ import annotations

import json
import threading
import urllib.parse

import pytest
import sqlalchemy as sa
import waitress

from pybossa_core.models import User, UserIdentity
from tests.views.conftest import JSON


def provider_app(environ, start_response):
    """Twitter's OAuth 1.0a endpoints, Facebook's Graph and Google's token and userinfo, as stand-ins."""
    path = environ["PATH_INFO"]
    query = dict(urllib.parse.parse_qsl(environ.get("QUERY_STRING", "")))
    auth = environ.get("HTTP_AUTHORIZATION", "")
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)).decode()
    answers = {
        "/twitter/oauth/request_token": (
            "oauth_token=req-token&oauth_token_secret=req-secret&oauth_callback_confirmed=true"
            if 'oauth_callback="http' in auth and "oauth_signature=" in auth else "error"
        ),
        "/twitter/oauth/access_token": (
            "oauth_token=tw-access&oauth_token_secret=tw-access-secret&user_id=6253282&screen_name=twitterapi"
            if 'oauth_verifier="verifier"' in auth and 'oauth_token="req-token"' in auth else "error"
        ),
        "/facebook/oauth/access_token": json.dumps(
            {"access_token": "fb-access"} if query.get("code") == "fb-code" and query.get("client_secret") == "fb-secret" else {}
        ),
        "/facebook/me": json.dumps({"id": "1001", "name": "Face Book", "email": "face@example.com"}),
        "/google/token": json.dumps(
            {"access_token": "g-access"} if "code=g-code" in body and "client_secret=g-secret" in body else {}
        ),
        "/google/userinfo": json.dumps(
            {"sub": "g-42", "name": "Goo Gle", "email": "goo@example.com", "email_verified": True}
            if auth == "Bearer g-access" else {}
        ),
    }
    start_response("200 OK", [("Content-Type", "application/json" if not path.startswith("/twitter") else "text/plain")])
    return [answers.get(path, "{}").encode()]


@pytest.fixture(scope="module")
def provider():
    server = waitress.create_server(provider_app, host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


@pytest.fixture
def site(site_with, provider):
    return site_with(**{
        "plugin.twitter.consumer_key": "tw-key", "plugin.twitter.consumer_secret": "tw-secret",
        "plugin.twitter.base_url": f"{provider}/twitter",
        "plugin.facebook.app_id": "fb-id", "plugin.facebook.app_secret": "fb-secret",
        "plugin.facebook.authorize_url": f"{provider}/facebook/dialog", "plugin.facebook.graph_url": f"{provider}/facebook",
        "plugin.google.client_id": "g-id", "plugin.google.client_secret": "g-secret",
        "plugin.google.authorize_url": f"{provider}/google/auth", "plugin.google.token_url": f"{provider}/google/token",
        "plugin.google.userinfo_url": f"{provider}/google/userinfo",
    })


def start(site, provider_name: str, next_url: str = "/project/x") -> dict:
    response = site.get(f"/account/{provider_name}/?next={next_url}", status=302)
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(response.location).query))


def test_signin_lists_every_enabled_provider(site):
    assert site.get("/account/signin", headers=JSON).json["auth"] == {"twitter": True, "facebook": True, "google": True}


def test_twitter_round_trip_creates_the_account_and_keeps_the_tokens(site, dbsession):
    assert start(site, "twitter") == {"oauth_token": "req-token"}
    body = site.get("/account/twitter/oauth-authorized?oauth_token=req-token&oauth_verifier=verifier", headers=JSON).json

    assert body == {"next": "/project/x", "status": "success", "flash": "Welcome back twitterapi"}
    user = dbsession.scalar(sa.select(User).where(User.name == "twitterapi"))
    assert user.info["twitter_token"] == {"oauth_token": "tw-access", "oauth_token_secret": "tw-access-secret"}
    assert site.get("/api/token/twitter").json == {"twitter_token": {"oauth_token": "tw-access", "oauth_token_secret": "tw-access-secret"}}
    assert site.get("/account/profile", headers=JSON).json["user"]["twitter_user_id"] == "6253282"

    site.get("/account/signout", headers={**JSON, "X-CSRFToken": site.get("/account/register", headers=JSON).json["form"]["csrf"]})
    start(site, "twitter")
    site.get("/account/twitter/oauth-authorized?oauth_token=req-token&oauth_verifier=verifier", headers=JSON)
    assert dbsession.scalar(sa.select(sa.func.count()).select_from(UserIdentity)) == 1


@pytest.mark.parametrize(("name", "code", "user_name", "email"), [
    ("facebook", "fb-code", "facebook", "face@example.com"),
    ("google", "g-code", "google", "goo@example.com"),
])
def test_oauth2_round_trip_checks_the_state(site, dbsession, name, code, user_name, email):
    params = start(site, name)
    assert params["redirect_uri"] == f"http://localhost:5000/account/{name}/oauth-authorized"
    forged = site.get(f"/account/{name}/oauth-authorized?code={code}&state=forged", headers=JSON).json
    assert forged["status"] == "error"

    params = start(site, name)
    body = site.get(f"/account/{name}/oauth-authorized?code={code}&state={params['state']}", headers=JSON).json
    assert body["status"] == "success"
    user = dbsession.scalar(sa.select(User).where(User.email_addr == email))
    assert user.valid_email is True and user.info[f"{name}_token"]["oauth_token"] in ("fb-access", "g-access")


def test_a_provider_email_of_an_existing_account_is_refused(site, make, dbsession):
    make.user("face", email_addr="face@example.com")
    params = start(site, "facebook")
    body = site.get(f"/account/facebook/oauth-authorized?code=fb-code&state={params['state']}", headers=JSON).json
    assert body["flash"] == "Sorry, there is already an account with the same e-mail." and body["status"] == "error"
    assert dbsession.scalar(sa.select(sa.func.count()).select_from(UserIdentity)) == 0


def test_a_callback_without_its_cookie_or_a_denied_request_signs_nobody_in(site, dbsession):
    body = site.get("/account/google/oauth-authorized?code=g-code&state=x", headers=JSON).json
    assert body["status"] == "error"
    params = start(site, "google")
    denied = site.get(f"/account/google/oauth-authorized?error=access_denied&state={params['state']}", headers=JSON).json
    assert denied["flash"] == "You denied the request to sign in with Google."
    assert dbsession.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_disabled_providers_have_no_login(testapp):
    testapp.get("/account/twitter/", status=404)
