"""Updating an account: the profile, the avatar, the password, external services and the API key."""
from __future__ import annotations

import io
import os

import pytest
import sqlalchemy as sa
from PIL import Image

from pybossa_core.i18n import _, localizer_for
from pybossa_core.models import WebSession
from pybossa_core.services.passwords import check_password
from tests.views.conftest import JSON, PASSWORD, PASSWORD_HASH, csrf_of, sign_in

PROFILE = {
    "btn": "Profile", "fullname": "Member Renamed", "name": "renamed", "email_addr": "renamed@example.com",
    "locale": "es", "privacy_mode": False, "subscribed": True, "current_password": PASSWORD,
}


def post(browser, url, data, **kw):
    return browser.post_json(url, data, headers={"X-CSRFToken": csrf_of(browser)}, **kw)


def png(width=40, height=30) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (width, height), (200, 10, 10)).save(output, format="PNG")
    return output.getvalue()


def test_update_page_shows_the_three_forms(browser, member):
    body = browser.get("/account/member/update", headers=JSON).json

    assert body["template"] == "/account/update.html" and body["title"] == "Update your profile: Member One"
    assert body["show_passwd_form"] is True and body["flash"] is None
    assert {key: body["form"][key] for key in ("email_addr", "fullname", "locale", "name", "privacy_mode", "subscribed", "id")} == {
        "email_addr": "member@example.com", "fullname": "Member One", "locale": "en", "name": "member",
        "privacy_mode": True, "subscribed": False, "id": member.id,
    }
    assert set(body["form"]) >= {"ckan_api", "csrf", "errors"}
    assert body["password_form"] == {
        "confirm": None, "csrf": body["form"]["csrf"], "current_password": None, "errors": {}, "new_password": None
    }
    assert set(body["upload_form"]) == {"avatar", "csrf", "errors", "id", "x1", "x2", "y1", "y2"}


def test_update_needs_the_owner_or_an_admin(testapp, make, member):
    assert testapp.get("/account/member/update", headers=JSON, status=302).json["status"] == "not_signed_in"
    other = make.user("other", passwd_hash=PASSWORD_HASH)
    sign_in(testapp, other)
    testapp.get("/account/member/update", headers=JSON, status=403)
    post(testapp, "/account/member/update", PROFILE, status=403)
    assert member.name == "member"


def test_admin_may_update_another_account(testapp, make, member, dbsession):
    admin = make.user("boss", admin=True, passwd_hash=PASSWORD_HASH)
    sign_in(testapp, admin)
    body = post(testapp, "/account/member/update", PROFILE).json
    assert body == {"flash": "Your profile has been updated!", "next": "/account/renamed/update", "status": "success"}
    dbsession.refresh(member)
    assert member.name == "renamed"


def test_profile_form_updates_the_account(browser, member, dbsession, app):
    body = post(browser, "/account/member/update", PROFILE).json

    # The flash speaks the language just chosen (PROFILE's es), as the next pages do.
    flash = localizer_for(app.registry, "es").translate(_("Your profile has been updated!"))
    assert flash != "Your profile has been updated!"
    assert body == {"flash": flash, "next": "/account/renamed/update", "status": "success"}
    dbsession.refresh(member)
    assert (member.name, member.fullname, member.email_addr, member.locale, member.privacy_mode, member.subscribed) == (
        "renamed", "Member Renamed", "renamed@example.com", "es", False, True
    )
    assert member.valid_email is False


def test_profile_form_errors_change_nothing(browser, member, make, dbsession):
    make.user("taken")
    body = post(browser, "/account/member/update", {**PROFILE, "name": "taken", "email_addr": "bad", "locale": "xx"}).json

    assert body["flash"] == "Please correct the errors" and body["status"] == "error"
    assert body["form"]["errors"] == {
        "name": ["The user name is already taken"], "email_addr": ["Invalid email address."], "locale": ["Not a valid choice"]
    }
    assert body["form"]["email_addr"] == "bad" and body["template"] == "/account/update.html"
    assert set(body) >= {"password_form", "upload_form", "show_passwd_form", "title"}
    dbsession.refresh(member)
    assert (member.name, member.email_addr, member.fullname) == ("member", "member@example.com", "Member One")


def test_the_case_of_btn_matters(browser, member, dbsession):
    post(browser, "/account/member/update", {**PROFILE, "btn": "profile"}, status=415)
    post(browser, "/account/member/update", {key: value for key, value in PROFILE.items() if key != "btn"}, status=415)
    dbsession.refresh(member)
    assert member.name == "member"


def test_password_change_ends_every_other_session(browser, member, testapp, dbsession):
    old_cookie = browser.cookies["pybossa_session"]
    body = post(
        browser, "/account/member/update",
        {"btn": "Password", "current_password": PASSWORD, "new_password": "New-pass-2", "confirm": "New-pass-2"},
    ).json

    assert body == {"flash": "Yay, you changed your password succesfully!", "next": "/account/member/update", "status": "success"}
    dbsession.refresh(member)
    assert check_password(member.passwd_hash, "New-pass-2")
    assert browser.get("/account/profile", headers=JSON).json["user"]["name"] == "member"
    assert dbsession.scalar(sa.select(sa.func.count()).select_from(WebSession)) == 1
    browser.set_cookie("pybossa_session", old_cookie)
    assert browser.get("/account/profile", headers=JSON).json["status"] == "not_signed_in"


@pytest.mark.parametrize(
    ("sent", "errors", "flash"),
    [
        ({"current_password": "wrong", "new_password": "New-pass-2", "confirm": "New-pass-2"},
         {"current_password": ["Your current password doesn't match the one in our records"]},
         "Your current password doesn't match the one in our records"),
        ({"current_password": PASSWORD, "new_password": "New-pass-2", "confirm": "Other-pass-2"},
         {"new_password": ["Passwords must match"]}, "Please correct the errors"),
        ({"current_password": PASSWORD}, {"new_password": ["Password cannot be empty"]}, "Please correct the errors"),
    ],
)
def test_refused_password_changes_change_nothing(browser, member, dbsession, sent, errors, flash):
    body = post(browser, "/account/member/update", {"btn": "Password", **sent}).json

    assert body["flash"] == flash and body["status"] == "error"
    assert body["password_form"]["errors"] == errors
    dbsession.refresh(member)
    assert member.passwd_hash == PASSWORD_HASH


def test_external_services_form_sets_the_ckan_key(browser, member, dbsession):
    body = post(browser, "/account/member/update", {"btn": "External", "ckan_api": "ckan-key"}).json
    assert body["status"] == "success"
    dbsession.refresh(member)
    assert member.ckan_api == "ckan-key"


def upload(browser, content, *, filename="me.png", **fields):
    data = {"btn": "Upload", "csrf_token": csrf_of(browser), **{key: str(value) for key, value in fields.items()}}
    return browser.post("/account/member/update", data, upload_files=[("avatar", filename, content)], headers=JSON)


def test_avatar_upload_is_cropped_and_stored(browser, member, dbsession, uploads_dir):
    body = upload(browser, png(40, 30), x1=5, y1=4, x2=20, y2=10).json

    assert body["status"] == "success" and body["next"] == "/account/member/update"
    dbsession.refresh(member)
    info = member.info
    assert info["container"] == f"user_{member.id}" and info["avatar"].endswith("_avatar.png")
    assert info["avatar_url"] == f"/uploads/user_{member.id}/{info['avatar']}"
    stored = os.path.join(uploads_dir, info["container"], info["avatar"])
    with Image.open(stored) as image:
        assert image.size == (20, 10)
    assert browser.get(info["avatar_url"]).content_type == "image/png"

    upload(browser, png(12, 12))
    dbsession.refresh(member)
    # The old file is removed only after the transaction commits, which this doomed test transaction never does.
    assert member.info["avatar"] != info["avatar"]


@pytest.mark.parametrize(
    ("content", "fields", "message"),
    [
        (b"not an image at all", {}, "You have to provide an image file to update your avatar"),
        (b"\x89PNG" + b"0" * 4096, {}, "The file is too large: the limit is 2048 bytes."),
        (None, {"x1": 30, "y1": 0, "x2": 20, "y2": 10}, "The crop area must lie inside the picture."),
    ],
)
def test_refused_avatars_change_nothing(browser, member, dbsession, content, fields, message):
    body = upload(browser, content if content is not None else png(40, 30), **fields).json

    assert body["status"] == "error" and body["flash"] == message
    assert body["upload_form"]["errors"] == {"avatar": [message]}
    dbsession.refresh(member)
    assert member.info == {}


def test_avatar_upload_without_a_file(browser, member, dbsession):
    body = browser.post(
        "/account/member/update", {"btn": "Upload", "csrf_token": csrf_of(browser)}, headers=JSON
    ).json
    assert body["upload_form"]["errors"] == {"avatar": ["You have to provide an image file to update your avatar"]}
    dbsession.refresh(member)
    assert member.info == {}


def test_reset_api_key(browser, member, dbsession):
    old_key = member.api_key
    form = browser.get("/account/member/resetapikey", headers=JSON).json
    assert form == {"form": {"csrf": csrf_of(browser)}}

    browser.post("/account/member/resetapikey", headers=JSON, status=400)
    dbsession.refresh(member)
    assert member.api_key == old_key

    body = browser.post("/account/member/resetapikey", headers={**JSON, "X-CSRFToken": form["form"]["csrf"]}).json
    assert body == {"flash": "New API-KEY generated", "next": "/account/member", "status": "success"}
    dbsession.refresh(member)
    assert member.api_key != old_key


def test_reset_api_key_of_another_user_is_for_admins(testapp, make, member, dbsession):
    other = make.user("other", passwd_hash=PASSWORD_HASH)
    old_key = member.api_key
    testapp.post("/account/member/resetapikey", headers={**JSON, "X-CSRFToken": csrf_of(testapp)}, status=302)
    sign_in(testapp, other)
    testapp.post("/account/member/resetapikey", headers={**JSON, "X-CSRFToken": csrf_of(testapp)}, status=403)
    dbsession.refresh(member)
    assert member.api_key == old_key
    other.admin = True
    testapp.post("/account/member/resetapikey", headers={**JSON, "X-CSRFToken": csrf_of(testapp)})
    dbsession.refresh(member)
    assert member.api_key != old_key


def test_newsletter(browser, member, testapp, dbsession):
    body = browser.get("/account/newsletter", headers=JSON).json
    assert body == {"template": "account/newsletter.html", "title": "Subscribe to our Newsletter", "next": "/"}
    # A link subscribes nobody: the spec's GET answer needs the token in its header.
    assert browser.get("/account/newsletter?subscribe=true", headers=JSON).json == body
    dbsession.refresh(member)
    assert member.newsletter_prompted is False and member.subscribed is False

    body = browser.get("/account/newsletter?subscribe=true&next=/project/x",
                       headers={**JSON, "X-CSRFToken": csrf_of(browser)}).json
    assert body == {"flash": "You are subscribed to our newsletter", "status": "success", "next": "/project/x"}
    dbsession.refresh(member)
    assert member.subscribed is True
    assert browser.get("/account/newsletter?next=https://evil.example", headers=JSON).json["next"] == "/"


def test_confirm_email_is_not_found_without_confirmation(browser):
    browser.get("/account/confirm-email", headers=JSON, status=404)
