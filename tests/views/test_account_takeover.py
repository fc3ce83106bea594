"""Nobody takes over an account: mailed keys bound to the account, links from the site's URL, re-authentication."""
from __future__ import annotations

import itertools

import pytest
import sqlalchemy as sa
import webtest

from pybossa_core.config import configure
from pybossa_core.interfaces import IDBEngine, ISessionFactory, find_service
from pybossa_core.models import Category
from pybossa_core.services.link_keys import LinkKeys, account_fingerprint
from tests.conftest import SECRET, app_settings
from tests.views.conftest import JSON
from tests.views.test_account_mail import confirmed_account, csrf, stored_user

_numbers = itertools.count(1)
PASSWORD = "Pass-word-1"


def signed_in(browser, inbox) -> str:
    name = confirmed_account(browser, inbox)
    browser.post_json("/account/signin", {"email": f"{name}@example.com", "password": PASSWORD},
                      headers={"X-CSRFToken": csrf(browser)})
    return name


def change_email(browser, name: str, new_email: str, **extra):
    change = {"btn": "Profile", "fullname": f"Person {name}", "name": name, "email_addr": new_email, "locale": "en", **extra}
    return browser.post_json(f"/account/{name}/update", change, headers={"X-CSRFToken": csrf(browser)})


def test_a_key_minted_with_the_secret_alone_does_not_change_an_address(mail_browser, mail_site, inbox):
    """The issue's forgery: a key naming only the user and the attacker's address."""
    name = confirmed_account(mail_browser, inbox)
    user = stored_user(mail_site, name)
    forged = LinkKeys(SECRET).make("account-validation", {"user_id": user.id, "email_addr": "owned@evil.example"})

    body = mail_browser.get(f"/account/register/confirmation?key={forged}", headers=JSON, status=403).json

    assert body["description"] == "This link has already been used. Please ask for a new one."
    assert stored_user(mail_site, name).email_addr == f"{name}@example.com"
    # Bound to the state it was made for: once the password changes, even a well-made key is dead.
    stale = LinkKeys(SECRET).make(
        "account-validation", {"user_id": user.id, "email_addr": "x@example.com", "s": account_fingerprint(user)}
    )
    mail_browser.post_json("/account/forgot-password", {"email_addr": f"{name}@example.com"},
                           headers={"X-CSRFToken": csrf(mail_browser)})
    reset = inbox.link(inbox.pop(), "/account/reset-password")
    mail_browser.post_json(reset, {"new_password": "Other-pass-2", "confirm": "Other-pass-2"},
                           headers={"X-CSRFToken": csrf(mail_browser)})
    assert stored_user(mail_site, name).passwd_hash != user.passwd_hash
    mail_browser.get(f"/account/register/confirmation?key={stale}", headers=JSON, status=403)
    assert stored_user(mail_site, name).email_addr == f"{name}@example.com"


def test_a_request_for_another_host_is_refused_and_mails_nothing(mail_browser, mail_site, inbox):
    name = confirmed_account(mail_browser, inbox)
    token = csrf(mail_browser)

    body = mail_browser.post_json("/account/forgot-password", {"email_addr": f"{name}@example.com"},
                                  headers={"X-CSRFToken": token, "Host": "evil.example"}, status=400).json

    assert body["status_code"] == 400 and body["target"] == "host" and body["exception_cls"] == "BadRequest"
    assert "site.url" in body["exception_msg"]
    mail_browser.get("/api/project", headers={"Host": "evil.example:5000"}, status=400)
    assert inbox.messages == []


@pytest.fixture(scope="module")
def public_site(mail_site, tmp_path_factory):
    """The mail site's database and mailer, served as https://crowd.example.org/."""
    settings = {**mail_site.registry.settings}
    overrides = {key: str(settings[key]) for key in ("mail.delivery", "mail.host", "mail.port")}
    return configure(
        app_settings(
            find_service(mail_site.registry, IDBEngine), tmp_path_factory.mktemp("public_uploads"),
            **overrides, **{"account.confirmation_required": "true", "site.url": "https://crowd.example.org"},
        ),
        environ={},
    ).make_wsgi_app()


def test_mailed_links_are_built_from_site_url_whatever_the_host(public_site, mail_browser, inbox):
    name = confirmed_account(mail_browser, inbox)
    site = webtest.TestApp(public_site, extra_environ={"HTTP_HOST": "crowd.example.org", "REMOTE_ADDR": "127.0.0.1"})
    token, cookie = csrf(site), site.cookies["pybossa_session"]
    attacker = webtest.TestApp(public_site, extra_environ={"HTTP_HOST": "evil.example", "REMOTE_ADDR": "127.0.0.1"})

    # Over https a browser names the page's origin, which Pyramid's CSRF check compares with site.url.
    attacker.post_json("/account/forgot-password", {"email_addr": f"{name}@example.com"},
                       headers={"X-CSRFToken": token, "Origin": "https://crowd.example.org",
                                "Cookie": f"pybossa_session={cookie}"})

    body = inbox.pop().get_payload(decode=True).decode()
    assert "https://crowd.example.org/account/reset-password?key=" in body and "evil.example" not in body
    # The API's links too.
    session = find_service(public_site.registry, ISessionFactory)()
    if session.scalar(sa.select(Category.id).limit(1)) is None:
        session.add(Category(name="Thinking", short_name="thinking", description="Volunteer thinking"))
        session.commit()
    session.close()
    link = attacker.get("/api/category?limit=1").json[0]["link"]
    assert link.startswith("<link rel='self' title='category' href='https://crowd.example.org/api/category/")


def test_changing_the_address_needs_the_current_password(mail_browser, mail_site, inbox):
    name = signed_in(mail_browser, inbox)

    for extra in ({}, {"current_password": "wrong"}):
        body = change_email(mail_browser, name, "thief@evil.example", fullname="Thief", **extra).json
        assert body["status"] == "error"
        assert body["form"]["errors"] == {"current_password": ["Please type your current password to change your e-mail address"]}
        assert "wrong" not in str(body["form"])
    user = stored_user(mail_site, name)
    assert (user.email_addr, user.fullname) == (f"{name}@example.com", f"Person {name}")
    assert inbox.messages == []
    # Other changes of the profile need no password.
    kept = change_email(mail_browser, name, f"{name}@example.com", fullname="Renamed").json
    assert kept["status"] == "success" and stored_user(mail_site, name).fullname == "Renamed"


def test_the_previous_address_can_undo_a_change_and_sign_the_thief_out(mail_browser, mail_site, inbox):
    name = signed_in(mail_browser, inbox)
    api_key = stored_user(mail_site, name).api_key
    change_email(mail_browser, name, f"thief{name}@evil.example", current_password=PASSWORD)
    mail_browser.get(inbox.link(inbox.pop(), "/account/register/confirmation"), headers=JSON)
    assert stored_user(mail_site, name).email_addr == f"thief{name}@evil.example"
    notice = inbox.pop()
    assert notice["To"] == f"{name}@example.com"
    undo = inbox.link(notice, "/account/email-undo")

    victim = webtest.TestApp(mail_site, extra_environ={"HTTP_HOST": "localhost:5000", "REMOTE_ADDR": "127.0.0.2"})
    page = victim.get(undo, headers=JSON).json
    assert page["email_addr"] == f"{name}@example.com"
    assert stored_user(mail_site, name).email_addr == f"thief{name}@evil.example"  # a GET changes nothing
    done = victim.post_json(undo, {}, headers={"X-CSRFToken": page["form"]["csrf"]}).json

    assert done["status"] == "success" and done["next"] == "/account/signin"
    user = stored_user(mail_site, name)
    assert (user.email_addr, user.valid_email) == (f"{name}@example.com", True)
    assert user.api_key != api_key
    # The thief's browser is signed out; the link is used up.
    assert mail_browser.get("/account/profile", headers=JSON).json["status"] == "not_signed_in"
    reused = victim.get(undo, headers=JSON, status=403).json
    assert reused["description"] == "This link has already been used. Please ask for a new one."


def test_a_password_change_is_told_to_the_account(mail_browser, mail_site, inbox):
    name = signed_in(mail_browser, inbox)
    change = {"btn": "Password", "current_password": PASSWORD, "new_password": "Newer-pass-3", "confirm": "Newer-pass-3"}

    body = mail_browser.post_json(f"/account/{name}/update", change, headers={"X-CSRFToken": csrf(mail_browser)}).json

    assert body["status"] == "success"
    notice = inbox.pop()
    assert notice["To"] == f"{name}@example.com" and notice["Subject"] == "Your PYBOSSA password was changed"
    assert "http://localhost:5000/account/forgot-password" in notice.get_payload(decode=True).decode()


def test_site_allowed_hosts_names_the_hosts_a_site_answers_to(site_with):
    site = site_with(**{"site.allowed_hosts": "crowd.example.org"})

    assert site.get("/api/category", headers={"Host": "crowd.example.org:8080"}).status_int == 200
    refused = site.get("/account/signin", headers={"Host": "localhost:5000", **JSON}, status=400).json
    assert refused["target"] == "host" and refused["status"] == "failed"
