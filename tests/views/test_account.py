"""The JSON account views, as an anonymous visitor, the account's owner, another user and an admin."""
from __future__ import annotations

import datetime

import sqlalchemy as sa

from pybossa_core.models import Announcement, Blogpost, User, WebSession
from pybossa_core.models.meta import utcnow
from pybossa_core.services.passwords import check_password
from tests.views.conftest import JSON, PASSWORD, PASSWORD_HASH, csrf_of, sign_in

NEW_ACCOUNT = {
    "fullname": "Ada Lovelace", "name": "ada", "email_addr": "ada@example.com",
    "password": "Engine-1843", "confirm": "Engine-1843",
}


def users(dbsession) -> list[str]:
    dbsession.expire_all()
    return dbsession.scalars(sa.select(User.name).order_by(User.id)).all()


# -- the community --------------------------------------------------------------------------


def test_account_index_lists_accounts_with_pagination_top_users_and_feed(testapp, make, member):
    other = make.user("other")
    body = testapp.get("/account/page/1", headers=JSON).json

    assert set(body) >= {"accounts", "pagination", "top_users", "update_feed", "template", "title", "total"}
    assert body["template"] == "account/index.html" and body["title"] == "Community"
    assert [account["name"] for account in body["accounts"]] == [other.name, "member"]
    assert set(body["accounts"][0]) == {
        "created", "fullname", "info", "locale", "name", "rank", "registered_ago", "score", "task_runs"
    }
    assert body["pagination"] == {"next": False, "page": 1, "per_page": 24, "prev": False, "total": 2}
    assert testapp.get("/account/", headers=JSON).json["accounts"] == body["accounts"]
    testapp.get("/account/page/2", headers=JSON, status=404)


def test_the_update_feed_shows_each_kind_of_activity_newest_first(testapp, make, member, dbsession):
    moment = iter(utcnow() - datetime.timedelta(minutes=minutes) for minutes in range(50, 0, -5))
    owner = make.user("owner", created=next(moment))
    birds = make.project(owner, "birds", name="Birds", created=next(moment))
    make.project(owner, "hidden", created=next(moment), published=False)
    task = make.task(birds)
    make.task_run(task, member, created=next(moment))
    make.task_run(make.task(birds), member, created=next(moment))
    dbsession.add_all([
        Blogpost(project_id=birds.id, user_id=owner.id, title="News", body="Hi", published=True, created=next(moment)),
        Blogpost(project_id=birds.id, user_id=owner.id, title="Draft", body="Hi", published=False, created=next(moment)),
        Announcement(user_id=owner.id, title="Welcome", body="Hello", published=True, created=next(moment)),
    ])
    dbsession.flush()

    feed = testapp.get("/account/page/1", headers=JSON).json["update_feed"]
    assert [(event["action_updated"], event["name"]) for event in feed] == [
        ("User", "member"), ("Announcement", "Welcome"), ("Blog", "News"), ("UserContribution", "Birds"),
        ("Project", "Birds"), ("User", "owner"),
    ]
    contribution = feed[3]
    assert (contribution["user_name"], contribution["short_name"]) == ("member", "birds")


def test_top_users_rank_by_answers_and_include_the_signed_in_viewer(browser, make, member):
    owner = make.user("owner")
    project = make.project(owner)
    for _ in range(2):
        make.task_run(make.task(project), owner)

    top = browser.get("/account/", headers=JSON).json["top_users"]

    assert [(user["name"], user["rank"], user["score"]) for user in top] == [("owner", 1, 2), ("member", 2, 0)]


# -- registering ----------------------------------------------------------------------------


def test_register_form_has_the_csrf_token_and_empty_fields(testapp):
    body = testapp.get("/account/register", headers=JSON).json

    assert body["template"] == "account/register.html" and body["title"] == "Register"
    assert body["form"]["errors"] == {} and body["form"]["csrf"]
    assert {key: body["form"][key] for key in ("confirm", "email_addr", "fullname", "name", "password")} == dict.fromkeys(
        ("confirm", "email_addr", "fullname", "name", "password")
    )


def test_first_account_of_a_new_site_is_admin_and_is_signed_in(testapp, dbsession):
    body = testapp.post_json("/account/register", NEW_ACCOUNT, headers={"X-CSRFToken": csrf_of(testapp)}).json

    assert body == {"next": "/", "flash": "Thanks for signing-up", "status": "success"}
    ada = dbsession.scalar(sa.select(User).where(User.name == "ada"))
    assert ada.admin is True and ada.email_addr == "ada@example.com" and ada.fullname == "Ada Lovelace"
    assert ada.passwd_hash.startswith("scrypt$") and check_password(ada.passwd_hash, "Engine-1843")
    assert testapp.get("/account/profile", headers=JSON).json["user"]["name"] == "ada"

    second = {**NEW_ACCOUNT, "name": "bob", "email_addr": "bob@example.com"}
    testapp.post_json("/account/register", second, headers={"X-CSRFToken": csrf_of(testapp)})
    assert dbsession.scalar(sa.select(User.admin).where(User.name == "bob")) is False


def test_register_reports_pybossas_messages_and_creates_nothing(testapp, dbsession, member):
    data = {"fullname": "daniel", "name": "member", "email_addr": "daniel", "password": "daniel", "confirm": "other"}
    body = testapp.post_json("/account/register", data, headers={"X-CSRFToken": csrf_of(testapp)}).json

    assert body["flash"] == "Please correct the errors" and body["status"] == "error"
    assert body["form"]["errors"] == {
        "name": ["The user name is already taken"],
        "email_addr": ["Invalid email address."],
        "password": ["Passwords must match"],
    }
    assert body["form"]["name"] == "member" and body["form"]["csrf"]
    assert users(dbsession) == ["member"]


def test_register_with_missing_fields_or_a_taken_email(testapp, dbsession, member):
    token = csrf_of(testapp)
    errors = testapp.post_json("/account/register", {}, headers={"X-CSRFToken": token}).json["form"]["errors"]
    assert errors == {
        "fullname": ["Full name must be between 3 and 35 characters long"],
        "name": ["User name must be between 3 and 35 characters long"],
        "email_addr": ["Email must be between 3 and 254 characters long"],
        "password": ["Password cannot be empty"],
    }
    taken = {**NEW_ACCOUNT, "email_addr": "MEMBER@example.com", "name": "a b"}
    errors = testapp.post_json("/account/register", taken, headers={"X-CSRFToken": token}).json["form"]["errors"]
    assert errors == {"email_addr": ["Email is already taken"], "name": ["$#&\\/| and space symbols are forbidden"]}
    assert users(dbsession) == ["member"]


def test_strong_password_policy_when_the_site_asks_for_it(site_with, dbsession):
    site = site_with(**{"account.strong_password": "true"})
    body = site.post_json(
        "/account/register", {**NEW_ACCOUNT, "password": "weak", "confirm": "weak"}, headers={"X-CSRFToken": csrf_of(site)}
    ).json
    assert body["form"]["errors"]["password"][:2] == [
        "Password must have at least 8 characters.", "Password must have an uppercase letter."]
    assert users(dbsession) == []


def test_post_without_or_with_a_wrong_csrf_token_is_refused_and_changes_nothing(testapp, dbsession):
    csrf_of(testapp)
    for headers in ({}, {"X-CSRFToken": "forged"}):
        response = testapp.post_json("/account/register", NEW_ACCOUNT, headers=headers, status=400)
        assert response.json == {"code": 400, "description": "CSRF token missing or incorrect.", "template": "400.html"}
    form_post = testapp.post("/account/register", {**NEW_ACCOUNT, "csrf_token": "forged"}, status=400)
    assert form_post.json["description"] == "CSRF token missing or incorrect."
    assert users(dbsession) == []


def test_an_html_form_sends_the_token_in_the_csrf_token_field(testapp, dbsession):
    testapp.post("/account/register", {**NEW_ACCOUNT, "csrf_token": csrf_of(testapp)})
    assert users(dbsession) == ["ada"]


# -- signing in and out ---------------------------------------------------------------------


def test_signin_form_lists_the_enabled_providers(testapp, site_with):
    body = testapp.get("/account/signin?next=/project/x", headers=JSON).json
    assert body["auth"] == {"twitter": False, "facebook": False, "google": False}
    assert body["form"] == {"csrf": body["form"]["csrf"], "email": None, "errors": {}, "password": None}
    assert body["next"] == "/project/x" and body["template"] == "account/signin.html" and body["title"] == "Sign in"

    site = site_with(**{"plugin.twitter.consumer_key": "k", "plugin.twitter.consumer_secret": "s"})
    assert site.get("/account/signin", headers=JSON).json["auth"] == {"twitter": True, "facebook": False, "google": False}


def test_signing_in_sets_a_server_side_session_cookie(testapp, member, dbsession):
    token = csrf_of(testapp)
    response = testapp.post_json(
        "/account/signin?next=/account/member/update", {"email": "MEMBER@example.com", "password": PASSWORD},
        headers={"X-CSRFToken": token},
    )

    assert response.json == {"flash": "Welcome back Member One", "next": "/account/member/update", "status": "success"}
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("pybossa_session=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert dbsession.scalar(sa.select(sa.func.count()).select_from(WebSession).where(WebSession.user_id == member.id)) == 1
    # The CSRF token read before signing in still works.
    assert csrf_of(testapp) == token


def test_wrong_password_and_unknown_email_fail_alike(testapp, member, dbsession):
    token = csrf_of(testapp)
    answers = [
        testapp.post_json("/account/signin", {"email": email, "password": password}, headers={"X-CSRFToken": token}).json
        for email, password in (("member@example.com", "wrong"), ("nobody@example.com", PASSWORD))
    ]
    for body in answers:
        assert body["flash"] == "Ooops, Incorrect email/password" and body["status"] == "error"
        assert body["form"]["errors"] == {}
    assert answers[0]["form"]["email"] == "member@example.com"
    assert testapp.get("/account/profile", headers=JSON).json["status"] == "not_signed_in"
    assert dbsession.scalar(sa.select(sa.func.count()).select_from(WebSession)) == 0


def test_signin_without_a_password_says_so(testapp, member):
    body = testapp.post_json(
        "/account/signin", {"email": "member@example.com"}, headers={"X-CSRFToken": csrf_of(testapp)}
    ).json
    assert body["flash"] == "Please correct the errors" and body["status"] == "error"
    assert body["form"]["errors"] == {"password": ["You must provide a password"]}
    assert set(body) >= {"auth", "form", "next", "template", "title"}


def _signin(site, email: str, password: str, address: str = "10.0.0.1", status: int = 200, json: bool = True):
    headers = {"X-CSRFToken": csrf_of(site), **(JSON if json else {})}
    body = {"email": email, "password": password}
    post = site.post_json if json else site.post
    return post("/account/signin", body, headers=headers, extra_environ={"REMOTE_ADDR": address}, status=status)


def _assert_refused_for_a_while(refused, window: int = 900) -> str:
    assert 0 < int(refused.headers["Retry-After"]) <= window
    body = refused.json
    assert {key: body[key] for key in ("status", "action", "target", "status_code", "exception_cls")} == {
        "status": "failed", "action": "POST", "target": "account", "status_code": 429, "exception_cls": "TooManyRequests"}
    assert "try again in" in body["exception_msg"]
    return body["exception_msg"]


def test_repeated_failed_signins_stop_the_guessed_account_from_that_address_only(site_with, make, member):
    site = site_with(**{"signin.max_failures": "3"})
    colleague = make.user("colleague", passwd_hash=PASSWORD_HASH)
    for _ in range(3):
        assert _signin(site, "member@example.com", "guess").json["flash"] == "Ooops, Incorrect email/password"

    refused = _signin(site, "member@example.com", PASSWORD, status=429)
    message = _assert_refused_for_a_while(refused)
    assert refused.json["form"]["errors"] == {"email": [message]}
    assert site.get("/account/profile", headers=JSON).json["status"] == "not_signed_in"
    # Behind the same address (a NAT), someone else signs in; the member does from elsewhere.
    assert _signin(site, colleague.email_addr, PASSWORD).json["status"] == "success"
    site.get("/account/signout", headers=JSON)
    assert _signin(site, "member@example.com", PASSWORD, address="10.0.0.9").json["status"] == "success"


def test_signing_in_to_ones_own_account_does_not_reset_the_guesses_at_another(site_with, make, member):
    site = site_with(**{"signin.max_failures": "4"})
    attacker = make.user("attacker", passwd_hash=PASSWORD_HASH)
    statuses = []
    for _ in range(3):
        statuses += [_signin(site, "member@example.com", "guess", status="*").status_code for _ in range(2)]
        assert _signin(site, attacker.email_addr, PASSWORD).json["status"] == "success"
        site.get("/account/signout", headers=JSON)
    assert statuses == [200] * 4 + [429] * 2


def test_one_address_trying_many_accounts_and_many_addresses_trying_one_are_stopped(site_with, make):
    site = site_with(**{"signin.max_failures_per_address": "5", "signin.max_failures_per_account": "4"})
    statuses = [_signin(site, f"user{n}@example.com", "guess", status="*").status_code for n in range(6)]
    assert statuses == [200] * 5 + [429]
    statuses = [_signin(site, "one@example.com", "guess", address=f"10.0.1.{n}", status="*").status_code for n in range(5)]
    assert statuses == [200] * 4 + [429]


def test_a_throttled_html_signin_shows_the_error_on_the_form(site_with, member):
    site = site_with(**{"signin.max_failures": "1"})
    _signin(site, "member@example.com", "guess", json=False)
    page = _signin(site, "member@example.com", PASSWORD, json=False, status=429)
    assert int(page.headers["Retry-After"]) > 0 and page.content_type == "text/html"
    assert "Too many failed sign-in attempts for this account." in page.html.select_one("form").get_text()


def test_password_reset_requests_are_limited_per_account(site_with, member):
    site = site_with(**{"signin.max_failures": "2"})

    def forgot(email: str, status: int = 200):
        return site.post_json("/account/forgot-password", {"email_addr": email}, status=status,
                              headers={"X-CSRFToken": csrf_of(site)})

    assert [forgot("member@example.com").json["status"] for _ in range(2)] == ["success"] * 2
    refused = forgot("member@example.com", status=429)
    message = _assert_refused_for_a_while(refused)
    assert refused.json["form"]["errors"] == {"email_addr": [message]}
    assert forgot("other@example.com").json["status"] == "error"  # not ours, but not refused


def test_signing_out_ends_the_session_so_a_replayed_cookie_is_anonymous(browser, member, dbsession):
    old_cookie = browser.cookies["pybossa_session"]
    body = browser.get("/account/signout", headers={**JSON, "X-CSRFToken": csrf_of(browser)}).json

    assert body == {"next": "/", "flash": "You are now signed out", "status": "success", "message": "success"}
    assert dbsession.scalar(sa.select(sa.func.count()).select_from(WebSession)) == 0
    browser.set_cookie("pybossa_session", old_cookie)
    assert browser.get("/account/profile", headers=JSON).json == {"next": "/account/signin", "status": "not_signed_in"}
    assert "email_addr" not in browser.get(f"/api/user/{member.id}").json


def test_a_tampered_cookie_signs_nobody_in(browser):
    cookie = browser.cookies["pybossa_session"]
    browser.set_cookie("pybossa_session", cookie[:-4] + ("AAAA" if not cookie.endswith("AAAA") else "BBBB"))
    assert browser.get("/account/profile", headers=JSON).json["status"] == "not_signed_in"


def test_the_rest_api_accepts_the_session_and_needs_the_csrf_header_to_write(browser, member, dbsession):
    assert browser.get(f"/api/user/{member.id}").json["email_addr"] == "member@example.com"

    refused = browser.put_json(f"/api/user/{member.id}", {"fullname": "Changed"}, status=400)
    assert refused.json["description"] == "CSRF token missing or incorrect."
    dbsession.refresh(member)
    assert member.fullname == "Member One"

    browser.put_json(f"/api/user/{member.id}", {"fullname": "Changed"}, headers={"X-CSRFToken": csrf_of(browser)})
    browser.put_json(f"/api/user/{member.id}?api_key={member.api_key}", {"locale": "es"})
    dbsession.refresh(member)
    assert (member.fullname, member.locale) == ("Changed", "es")


# -- profiles -------------------------------------------------------------------------------


def test_profile_of_an_anonymous_visitor(testapp):
    assert testapp.get("/account/profile", headers=JSON).json == {"next": "/account/signin", "status": "not_signed_in"}


def test_own_profile_shows_private_fields(browser, member, make, dbsession):
    draft = make.project(member, "draft", published=False)
    body = browser.get("/account/member", headers=JSON).json

    assert body["template"] == "account/profile.html"
    assert body["user"]["email_addr"] == "member@example.com" and body["user"]["api_key"] == member.api_key
    assert set(body["user"]) >= {
        "admin", "api_key", "confirmation_email_sent", "created", "email_addr", "facebook_user_id", "fullname",
        "google_user_id", "id", "info", "n_answers", "name", "rank", "registered_ago", "score", "total",
        "twitter_user_id", "valid_email",
    }
    assert [project["short_name"] for project in body["projects_draft"]] == [draft.short_name]
    assert browser.get("/account/profile", headers=JSON).json["user"] == body["user"]
    # The site's users, from the counter the triggers keep: one more after a registration.
    assert body["user"]["total"] == dbsession.scalar(sa.select(sa.func.count(User.id)))
    make.user()
    assert browser.get("/account/member", headers=JSON).json["user"]["total"] == body["user"]["total"] + 1


def test_public_profile_hides_private_fields_from_others(testapp, make, member):
    owner = make.user("owner")
    published = make.project(owner, "published")
    make.project(owner, "draft", published=False)
    project = make.project(member, "contributed")
    make.task_run(make.task(project), owner)

    body = testapp.get("/account/owner", headers=JSON).json

    assert body["template"] == "/account/public_profile.html" and body["title"] == "Owner &middot; User Profile"
    assert set(body["user"]) == {"fullname", "info", "n_answers", "name", "rank", "score"}
    assert body["user"]["n_answers"] == 1
    assert [project["short_name"] for project in body["projects_created"]] == [published.short_name]
    assert [project["short_name"] for project in body["projects_contrib"]] == ["contributed"]
    assert set(body["projects_created"][0]) >= {
        "description", "info", "n_tasks", "n_volunteers", "name", "overall_progress", "short_name"
    }
    sign_in(testapp, member)
    assert "email_addr" not in testapp.get("/account/owner", headers=JSON).json["user"]
    testapp.get("/account/nobody", headers=JSON, status=404)


def test_admins_see_draft_projects_on_public_profiles(testapp, make):
    owner = make.user("owner")
    make.project(owner, "draft", published=False)
    admin = make.user("boss", admin=True, passwd_hash=PASSWORD_HASH)
    sign_in(testapp, admin)
    assert [p["short_name"] for p in testapp.get("/account/owner", headers=JSON).json["projects_created"]] == ["draft"]


def test_account_projects_need_the_owner_signed_in(testapp, make, member):
    make.project(member, "pub")
    make.project(member, "dra", published=False)
    anonymous = testapp.get("/account/member/projects", headers=JSON, status=302).json
    assert anonymous == {"next": "/account/signin?next=%2Faccount%2Fmember%2Fprojects", "status": "not_signed_in"}

    sign_in(testapp, member)
    body = testapp.get("/account/member/projects", headers=JSON).json
    assert body["template"] == "account/projects.html" and body["title"] == "Projects"
    assert [p["short_name"] for p in body["projects_published"]] == ["pub"]
    assert [p["short_name"] for p in body["projects_draft"]] == ["dra"]
    assert set(body["projects_draft"][0]) >= {"id", "owner_id", "n_tasks", "n_volunteers", "overall_progress"}
    make.user("other")
    testapp.get("/account/other/projects", headers=JSON, status=403)
