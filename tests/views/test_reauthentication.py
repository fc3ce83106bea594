"""Re-authentication (issue 21): a stolen session alone neither resets the API key nor gives an
unthrottled way to guess the password (e-mail change, password change, account deletion)."""
from __future__ import annotations

import datetime

import pytest
import sqlalchemy as sa

from pybossa_core.models import User, WebSession
from tests.views.conftest import JSON, PASSWORD, csrf_of, sign_in

TOO_MANY = "Too many failed sign-in attempts for this account. Please try again in"


def age_sign_in(dbsession, hours: int = 1) -> None:
    """Make every session look as if it began ``hours`` earlier."""
    for web_session in dbsession.scalars(sa.select(WebSession)):
        web_session.expires -= datetime.timedelta(hours=hours)
    dbsession.flush()


def reset_key(site, **fields):
    return site.post_json("/account/member/resetapikey", fields, headers={**JSON, "X-CSRFToken": csrf_of(site)})


def api_key(dbsession, name: str = "member") -> str:
    dbsession.expire_all()
    return dbsession.scalar(sa.select(User.api_key).where(User.name == name))


def test_an_old_session_resets_the_api_key_only_with_the_password(browser, member, dbsession):
    old_key = api_key(dbsession)
    age_sign_in(dbsession)

    for fields in ({}, {"current_password": "wrong"}):
        body = reset_key(browser, **fields).json
        assert body["status"] == "error"
        assert body["form"]["errors"] == {"current_password": ["Please type your current password to reset your API key"]}
        assert body["form"]["current_password"] is None
        assert api_key(dbsession) == old_key

    body = reset_key(browser, current_password=PASSWORD).json
    assert body == {"flash": "New API-KEY generated", "next": "/account/member", "status": "success"}
    assert api_key(dbsession) != old_key


def test_the_spec_client_signs_in_then_resets_without_a_password(testapp, member, dbsession):
    """The spec's contract: GET the form's token, POST it: a fresh sign-in is the proof."""
    old_key = api_key(dbsession)
    sign_in(testapp, member)
    form = testapp.get("/account/member/resetapikey", headers=JSON).json
    assert form == {"form": {"csrf": csrf_of(testapp)}}
    testapp.post("/account/member/resetapikey", headers={**JSON, "X-CSRFToken": form["form"]["csrf"]})
    assert api_key(dbsession) != old_key


def test_the_html_page_asks_for_the_password_once_the_sign_in_is_old(browser, member, dbsession):
    age_sign_in(dbsession)
    profile = browser.get("/account/member/")
    form = next(form for form in profile.forms.values() if form.action.endswith("/resetapikey"))
    page = form.submit()
    assert page.status_code == 200 and "Please type your current password to reset your API key" in page.text
    page.forms[0]["current_password"] = PASSWORD
    assert page.forms[0].submit().status_code == 302


def test_an_account_without_a_password_resets_only_after_a_fresh_sign_in(browser, member, dbsession):
    """A provider's account has no password to type: its proof is a sign-in of the last minutes."""
    dbsession.execute(sa.update(User).where(User.id == member.id).values(passwd_hash=None))
    old_key = api_key(dbsession)
    age_sign_in(dbsession)
    body = reset_key(browser, current_password="anything").json
    assert body["form"]["errors"] == {"current_password": ["Please sign in again to reset your API key"]}
    assert api_key(dbsession) == old_key
    age_sign_in(dbsession, hours=-1)
    assert reset_key(browser).json["status"] == "success" and api_key(dbsession) != old_key


@pytest.fixture
def strict(site_with, make, member):
    """A site allowing two wrong passwords per account and address, with ``member`` signed in."""
    site = site_with(**{"signin.max_failures": "2"})
    sign_in(site, member)
    return site


def test_guessing_through_the_email_change_is_throttled_as_sign_ins(strict, member, dbsession):
    change = {"btn": "Profile", "fullname": "Thief", "name": "member", "email_addr": "thief@evil.example", "locale": "en"}
    for _ in range(2):
        body = strict.post_json("/account/member/update", {**change, "current_password": "guess"},
                                headers={**JSON, "X-CSRFToken": csrf_of(strict)}).json
        assert body["form"]["errors"] == {"current_password": ["Please type your current password to change your e-mail address"]}
    refused = strict.post_json("/account/member/update", {**change, "current_password": PASSWORD},
                               headers={**JSON, "X-CSRFToken": csrf_of(strict)}, status=429)
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.json["exception_cls"] == "TooManyRequests"
    assert refused.json["form"]["errors"]["current_password"][0].startswith(TOO_MANY)
    dbsession.expire_all()
    assert dbsession.get(User, member.id).email_addr == "member@example.com"
    # The guesses count on the sign-in page too: the same account from the same address is stopped there.
    strict.get("/account/signout", headers={**JSON, "X-CSRFToken": csrf_of(strict)})
    strict.post_json("/account/signin", {"email": "member@example.com", "password": PASSWORD},
                     headers={**JSON, "X-CSRFToken": csrf_of(strict)}, status=429)


def test_guessing_through_account_deletion_is_throttled(strict, member, dbsession):
    def delete(password: str, status: int = 200):
        return strict.post_json("/account/member/delete", {"password": password, "projects": "delete"},
                                headers={**JSON, "X-CSRFToken": csrf_of(strict)}, status=status)

    assert [delete("guess").json["form"]["errors"] for _ in range(2)] == [{"password": ["That is not your password"]}] * 2
    refused = delete(PASSWORD, status=429)
    assert refused.json["form"]["errors"]["password"][0].startswith(TOO_MANY)
    dbsession.expire_all()
    assert dbsession.get(User, member.id) is not None


def test_guessing_through_the_password_change_and_api_key_reset_is_throttled(strict, member, dbsession):
    change = {"btn": "Password", "current_password": "guess", "new_password": "New-pass-22", "confirm": "New-pass-22"}
    body = strict.post_json("/account/member/update", change, headers={**JSON, "X-CSRFToken": csrf_of(strict)}).json
    assert body["password_form"]["errors"] == {"current_password": ["Your current password doesn't match the one in our records"]}
    assert reset_key(strict, current_password="guess").json["status"] == "error"
    old_key = api_key(dbsession)
    refused = strict.post_json("/account/member/resetapikey", {"current_password": PASSWORD},
                               headers={**JSON, "X-CSRFToken": csrf_of(strict)}, status=429)
    assert refused.json["exception_cls"] == "TooManyRequests"
    assert api_key(dbsession) == old_key
    refused = strict.post_json("/account/member/update", {**change, "current_password": PASSWORD},
                               headers={**JSON, "X-CSRFToken": csrf_of(strict)}, status=429)
    assert refused.json["password_form"]["errors"]["current_password"][0].startswith(TOO_MANY)
