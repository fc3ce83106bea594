"""The e-mail flows on a site that commits and mails over SMTP on loopback: the links are followed."""
from __future__ import annotations

import itertools
import time

import sqlalchemy as sa

from pybossa_core.interfaces import ISessionFactory, find_service
from pybossa_core.models import User
from pybossa_core.services.link_keys import LinkKeys
from tests.conftest import SECRET
from tests.views.conftest import JSON

_numbers = itertools.count(1)


def csrf(browser) -> str:
    return browser.get("/account/register", headers=JSON).json["form"]["csrf"]


def stored_user(site, name: str) -> User | None:
    session = find_service(site.registry, ISessionFactory)()
    try:
        return session.scalar(sa.select(User).where(User.name == name))
    finally:
        session.close()


def register(browser, name: str) -> dict:
    account = {"fullname": f"Person {name}", "name": name, "email_addr": f"{name}@example.com",
               "password": "Pass-word-1", "confirm": "Pass-word-1"}
    return browser.post_json("/account/register", account, headers={"X-CSRFToken": csrf(browser)}).json


def test_registration_is_confirmed_by_following_the_mailed_link(mail_browser, mail_site, inbox):
    name = f"confirm{next(_numbers)}"
    body = register(mail_browser, name)

    assert body == {"status": "sent", "template": "account/account_validation.html", "title": "Account validation"}
    assert stored_user(mail_site, name) is None
    message = inbox.pop()
    assert message["To"] == f"{name}@example.com" and message["Subject"] == "Welcome to PYBOSSA!"
    link = inbox.link(message, "/account/register/confirmation")

    done = mail_browser.get(link, headers=JSON).json
    assert done == {"next": "/", "flash": "Thanks for signing-up", "status": "success"}
    user = stored_user(mail_site, name)
    assert user.valid_email is True and user.email_addr == f"{name}@example.com"
    assert mail_browser.get("/account/profile", headers=JSON).json["user"]["name"] == name

    reused = mail_browser.get(link, headers=JSON, status=403).json
    assert reused["code"] == 403 and "already been used" in reused["description"]


def test_expired_and_tampered_keys_are_refused_with_a_clear_message(mail_browser, mail_site):
    name = f"late{next(_numbers)}"
    keys = LinkKeys(SECRET)
    account = {"fullname": "Late", "name": name, "email_addr": f"{name}@example.com", "passwd_hash": None, "consent": False}
    expired = keys.make("account-validation", account, at=int(time.time()) - 7200)
    body = mail_browser.get(f"/account/register/confirmation?key={expired}", headers=JSON, status=403).json
    assert body["description"] == "This link has expired. Please ask for a new one."

    fresh = keys.make("account-validation", account)
    tampered = fresh[:-6] + ("A" * 6 if not fresh.endswith("A" * 6) else "B" * 6)
    body = mail_browser.get(f"/account/register/confirmation?key={tampered}", headers=JSON, status=403).json
    assert body["description"].startswith("This link is not valid.")
    wrong_purpose = keys.make("password-reset", account)
    mail_browser.get(f"/account/register/confirmation?key={wrong_purpose}", headers=JSON, status=403)
    assert stored_user(mail_site, name) is None


def confirmed_account(browser, inbox) -> str:
    name = f"member{next(_numbers)}"
    register(browser, name)
    browser.get(inbox.link(inbox.pop(), "/account/register/confirmation"), headers=JSON)
    browser.get("/account/signout", headers={**JSON, "X-CSRFToken": csrf(browser)})
    return name


def test_forgotten_password_is_reset_through_the_mailed_link_once(mail_browser, mail_site, inbox):
    name = confirmed_account(mail_browser, inbox)
    unknown = mail_browser.post_json(
        "/account/forgot-password", {"email_addr": "nobody@example.com"}, headers={"X-CSRFToken": csrf(mail_browser)}
    ).json
    assert unknown["status"] == "error" and unknown["flash"].startswith("We don't have this email in our records.")
    invalid = mail_browser.post_json(
        "/account/forgot-password", {"email_addr": "algoom"}, headers={"X-CSRFToken": csrf(mail_browser)}
    ).json
    assert invalid["flash"] == "Something went wrong, please correct the errors on the form"
    assert invalid["form"]["errors"] == {"email_addr": ["Invalid email address."]}
    assert inbox.messages == []

    body = mail_browser.post_json(
        "/account/forgot-password", {"email_addr": f"{name}@example.com"}, headers={"X-CSRFToken": csrf(mail_browser)}
    ).json
    assert body["flash"] == "We've sent you an email with account recovery instructions!"
    assert body["template"] == "/account/password_forgot.html"
    message = inbox.pop()
    assert message["Subject"] == "Account Recovery"
    link = inbox.link(message, "/account/reset-password")

    form = mail_browser.get(link, headers=JSON).json
    assert form["template"] == "/account/password_reset.html"
    assert set(form["form"]) == {"confirm", "csrf", "current_password", "errors", "new_password"}
    mismatch = mail_browser.post_json(
        link, {"new_password": "Brand-new-1", "confirm": "nope"}, headers={"X-CSRFToken": form["form"]["csrf"]}
    ).json
    assert mismatch["form"]["errors"] == {"new_password": ["Passwords must match"]}
    before = stored_user(mail_site, name).passwd_hash

    done = mail_browser.post_json(
        link, {"new_password": "Brand-new-1", "confirm": "Brand-new-1"}, headers={"X-CSRFToken": form["form"]["csrf"]}
    ).json
    assert done == {"status": "success", "flash": "You reset your password successfully!", "next": "/"}
    assert stored_user(mail_site, name).passwd_hash != before
    mail_browser.get("/account/signout", headers={**JSON, "X-CSRFToken": csrf(mail_browser)})
    signin = mail_browser.post_json(
        "/account/signin", {"email": f"{name}@example.com", "password": "Brand-new-1"},
        headers={"X-CSRFToken": csrf(mail_browser)},
    ).json
    assert signin["status"] == "success"

    reused = mail_browser.get(link, headers=JSON, status=403).json
    assert reused["description"] == "This link has already been used. Please ask for a new one."


def test_email_change_waits_for_the_new_address_to_be_confirmed(mail_browser, mail_site, inbox):
    name = confirmed_account(mail_browser, inbox)
    mail_browser.post_json(
        "/account/signin", {"email": f"{name}@example.com", "password": "Pass-word-1"}, headers={"X-CSRFToken": csrf(mail_browser)}
    )
    change = {"btn": "Profile", "fullname": "Changed Person", "name": name, "email_addr": f"new-{name}@example.com",
              "locale": "en", "privacy_mode": True, "current_password": "Pass-word-1"}
    body = mail_browser.post_json(f"/account/{name}/update", change, headers={"X-CSRFToken": csrf(mail_browser)}).json

    assert body["status"] == "info" and body["flash"].startswith(f"An email has been sent to verify your new email: new-{name}@example.com.")
    user = stored_user(mail_site, name)
    assert (user.email_addr, user.fullname, user.confirmation_email_sent) == (f"{name}@example.com", "Changed Person", True)
    message = inbox.pop()
    assert message["To"] == f"new-{name}@example.com"
    link = inbox.link(message, "/account/register/confirmation")

    done = mail_browser.get(link, headers=JSON).json
    assert done["flash"] == "Your email has been validated."
    user = stored_user(mail_site, name)
    assert (user.email_addr, user.valid_email, user.confirmation_email_sent) == (f"new-{name}@example.com", True, False)
    # The previous address is told, with a link to undo; the confirmation link is used up.
    notice = inbox.pop()
    assert notice["To"] == f"{name}@example.com" and "was changed" in notice["Subject"]
    inbox.link(notice, "/account/email-undo")
    reused = mail_browser.get(link, headers=JSON, status=403).json
    assert reused["description"] == "This link has already been used. Please ask for a new one."


def test_nothing_is_mailed_when_the_request_fails(mail_browser, inbox):
    mail_browser.post_json("/account/register", {"name": "x"}, headers={"X-CSRFToken": csrf(mail_browser)})
    mail_browser.post_json("/account/register", {"name": "y"}, status=400)
    assert inbox.messages == []
