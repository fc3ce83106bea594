"""The account pages in a browser: every page renders, forms show their errors, flash messages follow redirects.

WebTest GETs each account page as a browser does (``Accept: text/html``) as an anonymous visitor,
the account's owner, another user and an admin: the page is the layout with its key content,
answers the status its JSON view does, and links nothing on another host.  Forms are posted
form-encoded, as a browser posts them, and redirects are followed, so the flash message a view
gives its redirect must show on the next page, once.  Then Chromium registers, signs out and
in again through the forms, and saves a screenshot of each page into var/screenshots/.
"""
from __future__ import annotations

import io
import json
import re

import pytest
import sqlalchemy as sa
from PIL import Image
from playwright.sync_api import expect
from webtest import Upload

from pybossa_core import sessions
from pybossa_core.i18n import _, localizer_for
from pybossa_core.models import User
from pybossa_core.services.link_keys import LinkKeys, account_fingerprint
from tests.conftest import SECRET
from tests.views.conftest import JSON, PASSWORD, PASSWORD_HASH, sign_in

HTML = {"Accept": "text/html"}


def sign_out(testapp):
    """Sign out as the nav bar's button does: a POST with the page's token (anonymous visitors too)."""
    token = testapp.get("/account/register", headers=JSON).json["form"]["csrf"]
    return testapp.post("/account/signout", {"csrf_token": token}, headers=HTML, status=302)
#: src/href/action values that leave the site (another host, or a protocol-relative URL).
FOREIGN_URL = re.compile(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)
VISITORS = ("anonymous", "owner", "other", "admin")
NEW_ACCOUNT = {"fullname": "Ada Lovelace", "name": "ada", "email_addr": "ada@example.com",
               "password": "Engine-1843", "confirm": "Engine-1843"}


@pytest.fixture
def owner(make):
    """The account whose pages are visited, with a project, a draft and an answer."""
    user = make.user("member", fullname="Member One", passwd_hash=PASSWORD_HASH)
    birds = make.project(user, "birds", name="Birds", description="Count the birds")
    make.project(user, "sketch", name="Sketch", published=False)
    make.task_run(make.task(birds), user)
    return user


def as_visitor(testapp, make, owner, kind: str):
    """``testapp`` signed in as ``kind`` of visitor of ``owner``'s pages."""
    signed_in = {"owner": lambda: owner, "other": lambda: make.user("stranger", passwd_hash=PASSWORD_HASH),
                 "admin": lambda: make.user("boss", admin=True, passwd_hash=PASSWORD_HASH)}
    if kind in signed_in:
        sign_in(testapp, signed_in[kind]())
    return testapp


def page(testapp, url: str, status: int, *, content: tuple[str, ...] = ()):
    """GET ``url`` as a browser; check the status, the layout, ``content`` and that nothing leaves the site."""
    answer = testapp.get(url, headers=HTML, status=status)
    if status in (200, 403):
        assert "<html" in answer.text and 'class="site-nav"' in answer.text
        for text in content:
            assert text in answer.text, (url, text)
        assert not FOREIGN_URL.findall(answer.text), url
    return answer


def form_error(answer, field: str) -> str:
    """The error text shown next to ``field`` (its ``<name>-error`` element that the input points at)."""
    field_input = answer.html.find(id=field)
    assert field_input is not None, field
    assert f"{field}-error" in field_input.get("aria-describedby", ""), field
    return answer.html.find(id=f"{field}-error").get_text(" ", strip=True)


def flashes(answer) -> list[str]:
    return [alert.get_text(strip=True) for alert in answer.html.select(".flash")]


def stored_names(dbsession) -> list[str]:
    dbsession.expire_all()
    return dbsession.scalars(sa.select(User.name).order_by(User.id)).all()


# -- every page renders, for every visitor ----------------------------------------------------

#: url, then what each visitor gets: a status, or (200, the page's key content).
PAGES = {
    "/account/": dict.fromkeys(VISITORS, (200, ("<h1>Community</h1>", "Top volunteers", "Member One"))),
    "/account/page/1": dict.fromkeys(VISITORS, (200, ("<h1>Community</h1>", "Latest news"))),
    "/account/register": dict.fromkeys(VISITORS, (200, ('name="fullname"', 'name="confirm"', 'name="csrf_token"'))),
    "/account/signin": {"anonymous": (200, ('name="email"', 'name="password"', 'name="csrf_token"')),
                        "owner": 302, "other": 302, "admin": 302},
    "/account/forgot-password": dict.fromkeys(VISITORS, (200, ('name="email_addr"', "Forgot your password?"))),
    "/account/profile": {"anonymous": 302, "owner": (200, ("API key", "Count the birds", "Sketch")),
                         "other": (200, ("API key",)), "admin": (200, ("API key",))},
    "/account/member/": {"anonymous": (200, ("Member One", "Count the birds")),
                         "owner": (200, ("API key", "/account/member/resetapikey", "Your drafts", "Sketch")),
                         "other": (200, ("Member One", "Projects created")),
                         "admin": (200, ("Member One", "Sketch", "Edit this profile"))},
    "/account/member/projects": {"anonymous": 302, "owner": (200, ("Your projects", "Birds", "Sketch")),
                                 "other": 403, "admin": 403},
    "/account/member/update": {
        "anonymous": 302, "other": 403,
        "owner": (200, ("Update your profile", 'value="Profile"', 'value="Upload"', 'value="Password"',
                        'value="External"', 'enctype="multipart/form-data"', 'value="Member One"')),
        "admin": (200, ("Update the profile of member", 'value="Profile"', 'value="Member One"')),
    },
    "/account/newsletter": {"anonymous": 302, **dict.fromkeys(("owner", "other", "admin"), (200, ('name="subscribe" value="true"',)))},
    "/account/nobody/": dict.fromkeys(VISITORS, 404),
}


@pytest.mark.parametrize("kind", VISITORS)
@pytest.mark.parametrize("url", list(PAGES))
def test_every_account_page_renders_for_every_visitor(testapp, make, owner, url, kind):
    browser = as_visitor(testapp, make, owner, kind)
    expected = PAGES[url][kind]
    status, content = expected if isinstance(expected, tuple) else (expected, ())
    json_status = browser.get(url, headers=JSON, expect_errors=True).status_int
    # A JSON redirect is the view's dict (200, or 401 for a page that needs signing in); a browser gets a 302.
    assert json_status == status or (status == 302 and json_status in (200, 401))

    page(browser, url, status, content=content)


def test_the_password_reset_page_renders_from_a_valid_link_and_refuses_a_bad_one(testapp, owner):
    key = LinkKeys(SECRET).make("password-reset", {"user_id": owner.id, "s": account_fingerprint(owner)})

    form = page(testapp, f"/account/reset-password?key={key}", 200, content=('name="new_password"', 'name="confirm"'))
    assert form.html.find("form")["action"] == f"/account/reset-password?key={key}"
    page(testapp, "/account/reset-password?key=forged", 403, content=("403",))


def test_registering_on_a_site_that_validates_e_mails_shows_the_check_your_inbox_page(site_with, dbsession):
    site = site_with(**{"account.confirmation_required": True})
    form = site.get("/account/register", headers=HTML).forms[0]
    for name, value in NEW_ACCOUNT.items():
        form[name] = value

    answer = form.submit(headers=HTML, status=200)

    assert "Check your e-mail" in answer.text and "<html" in answer.text
    assert "ada" not in stored_names(dbsession)


def test_the_nav_shows_who_is_signed_in_and_marks_the_current_section(testapp, make, owner):
    anonymous = page(testapp, "/account/", 200)
    assert anonymous.html.select_one('.nav-bar a[aria-current="page"]').get_text() == "Community"
    assert anonymous.html.select_one('a.skip-link')["href"] == "#content" and anonymous.html.find(id="content")
    assert "Sign in" in anonymous.text and "Sign out" not in anonymous.text

    sign_in(testapp, owner)
    mine = page(testapp, "/account/member/", 200)
    nav = mine.html.select_one(".nav-bar")
    assert nav.select_one('a[aria-current="page"]').get_text() == "Member One"
    # Signing out is a button of a POST form carrying the token, not a link.
    assert nav.find("button", string="Sign out")["form"] == "signout-form"
    signout_form = mine.html.find("form", id="signout-form")
    assert (signout_form["method"], signout_form["action"]) == ("post", "/account/signout")
    assert signout_form.find("input", attrs={"name": "csrf_token"})["value"]
    assert nav.find("a", href="/admin/") is None

    admin = make.user("boss", admin=True, passwd_hash=PASSWORD_HASH)
    sign_in(testapp, admin)
    assert page(testapp, "/account/", 200).html.select_one(".nav-bar").find("a", href="/admin/").get_text() == "Admin"


def test_sign_in_offers_the_enabled_providers_and_a_failed_round_trip_says_why(site_with):
    site = site_with(**{"plugin.twitter.consumer_key": "tw-key", "plugin.twitter.consumer_secret": "tw-secret",
                        "plugin.google.client_id": "g-id", "plugin.google.client_secret": "g-secret"})
    signin = page(site, "/account/signin?next=/account/", 200)
    assert [a["href"] for a in signin.html.select(".form-page a.btn")] == [
        "/account/google/?next=/account/", "/account/twitter/?next=/account/"]

    # Back from the provider without the round trip's cookie: to the sign-in form, with the reason.
    refused = site.get("/account/google/oauth-authorized?code=x", headers=HTML, status=302).follow(headers=HTML)
    assert flashes(refused) == ["Your sign-in took too long or was not started here. Please try again."]
    assert refused.html.select_one(".flash.alert-danger")


# -- the shared macros (_macros.html) ---------------------------------------------------------

#: A theme's forgotten-password page that shows every macro of _macros.html.
MACROS_PAGE = """{% extends "base.html" %}{% import "_macros.html" as m %}{% block content %}
{%- set sample = {"about": "<b>hi</b>", "locale": "es", "news": True,
                  "errors": {"about": ["Too long"], "form": ["Whole form"], "loose": ["Not a field"]}} %}
<form method="post" action="/account/forgot-password">{{ m.csrf_field() }}{{ m.form_errors(form) }}
  {{ m.field(form, "email_addr", "E-mail", type="email", required=True, help="Your account's") }}</form>
<form id="sample">{{ m.form_errors(sample) }}{{ m.field(sample, "about", "About", type="textarea") }}
  {{ m.field(sample, "locale", "Language", type="select", options=[("en", "English"), ("es", "Spanish")]) }}
  {{ m.field(sample, "news", "News", type="checkbox") }}{{ m.field(None, "nothing", "Nothing") }}</form>
{{ m.pagination({"page": 5, "per_page": 10, "total": 200, "next": True, "prev": True}, "/account/page/") }}
{{ m.pagination({"page": 1, "per_page": 10, "total": 10, "next": False, "prev": False}, "/single/") }}
{{ m.project_card({"name": "Birds", "short_name": "birds", "description": "Count them",
                   "info": {"thumbnail": "/static/favicon.svg"}, "n_tasks": 4, "n_volunteers": 2,
                   "overall_progress": 49.6}) }}
{{ m.chart("bars", {"labels": ["a", "b"], "datasets": [{"label": "</script>", "data": [1, 2]}]}, "bar") }}
{% endblock %}"""


@pytest.fixture
def macros_site(site_with, tmp_path):
    """A site whose forgotten-password page is MACROS_PAGE."""
    (tmp_path / "account").mkdir()
    (tmp_path / "account" / "password_forgot.html").write_text(MACROS_PAGE)
    return site_with(**{"theme.templates": str(tmp_path)})


def test_the_macros_render_labelled_fields_their_errors_pages_cards_and_charts(macros_site):
    html = macros_site.get("/account/forgot-password", headers=HTML).html
    token = macros_site.get("/account/register", headers=JSON).json["form"]["csrf"]
    assert html.find("input", attrs={"name": "csrf_token"})["value"] == token

    email = html.find(id="email_addr")
    assert (email["type"], email.get("required"), email["aria-describedby"]) == ("email", "", "email_addr-help")
    assert html.find("label", attrs={"for": "email_addr"}).get_text(strip=True).startswith("E-mail")
    sample = html.find(id="sample")
    assert [p.get_text() for p in sample.select(".form-errors p")] == ["Whole form", "Not a field"]
    about = sample.find(id="about")
    assert about.name == "textarea" and about.get_text() == "<b>hi</b>" and about["aria-invalid"] == "true"
    assert sample.find(id="about-error").get_text(strip=True) == "Too long"
    assert sample.find(id="locale").find("option", selected=True)["value"] == "es"
    assert sample.find(id="news").get("checked") == "" and sample.find(id="nothing")["value"] == ""

    pages = html.select("nav.pagination")
    assert len(pages) == 1  # one page needs no links
    assert [a["href"] for a in pages[0].select("a")] == [
        "/account/page/4", "/account/page/1", "/account/page/3", "/account/page/4", "/account/page/6",
        "/account/page/7", "/account/page/20", "/account/page/6"]
    assert pages[0].select_one('[aria-current="page"]').get_text() == "5"

    card = html.select_one(".project-card")
    assert card.select_one(".card-title a")["href"] == "/project/birds/" and card.img["src"] == "/static/favicon.svg"
    assert "4 tasks" in card.text and "2 volunteers" in card.text
    assert card.select_one('[role="progressbar"]')["aria-valuenow"] == "50"

    assert html.find(id="bars")["data-chart-kind"] == "bar"
    assert json.loads(html.find(id="bars-data").string)["datasets"][0]["label"] == "</script>"


def test_a_chart_is_drawn_by_the_vendored_chart_library(visit, macros_site):
    """The page of the WebTest site above is served at the live site's address, so its scripts load from there."""
    url = f"{visit.site_url}/macros"
    visit.page.route(url, lambda route: route.fulfill(
        content_type="text/html", body=macros_site.get("/account/forgot-password", headers=HTML).text))
    visit.page.goto(url)

    visit.page.wait_for_function("window.pybossaCharts && window.pybossaCharts.instances.bars")
    assert visit.page.evaluate("window.pybossaCharts.instances.bars.data.datasets[0].data") == [1, 2]
    assert visit.foreign_requests() == [] and visit.errors == []


# -- forms posted as a browser posts them ----------------------------------------------------


def test_registering_through_the_form_signs_in_and_shows_the_flash_once(testapp, dbsession):
    form = page(testapp, "/account/register", 200).forms[0]
    for name, value in NEW_ACCOUNT.items():
        form[name] = value

    landed = form.submit(headers=HTML, status=302).follow(headers=HTML)

    assert "ada" in stored_names(dbsession)
    assert flashes(landed) == ["Thanks for signing-up"]
    assert landed.html.select_one(".nav-user").get_text() == "Ada Lovelace"
    assert flashes(testapp.get("/account/", headers=HTML)) == []


def test_bad_registrations_show_each_error_next_to_its_field_and_create_nothing(testapp, owner, dbsession):
    form = page(testapp, "/account/register", 200).forms[0]
    for name, value in {**NEW_ACCOUNT, "name": "member", "confirm": "Something-else1"}.items():
        form[name] = value

    answer = form.submit(headers=HTML, status=200)

    assert "taken" in form_error(answer, "name").lower()
    assert "match" in form_error(answer, "password").lower()
    assert answer.html.find(id="fullname").get("value") == "Ada Lovelace"
    assert answer.html.find(id="password").get("value") is None  # passwords are never sent back
    assert flashes(answer) == ["Please correct the errors"]
    assert stored_names(dbsession) == ["member"]


def test_a_failed_sign_in_shows_the_errors_and_the_flash(testapp, owner):
    form = page(testapp, "/account/signin", 200).forms[0]
    form["email"] = owner.email_addr

    empty_password = form.submit(headers=HTML, status=200)
    assert form_error(empty_password, "password") == "You must provide a password"

    form = empty_password.forms[0]
    form["password"] = "wrong"
    wrong = form.submit(headers=HTML, status=200)
    assert flashes(wrong) == ["Ooops, Incorrect email/password"]
    assert wrong.html.find(id="email")["value"] == owner.email_addr


def test_signing_in_and_out_keeps_each_flash_for_the_next_page_only(testapp, owner):
    form = page(testapp, "/account/signin?next=/account/", 200).forms[0]
    form["email"], form["password"] = owner.email_addr, PASSWORD

    welcomed = form.submit(headers=HTML, status=302)
    assert welcomed.location.endswith("/account/")
    welcomed = welcomed.follow(headers=HTML)
    assert flashes(welcomed) == ["Welcome back Member One"]
    assert welcomed.html.select_one(".alert-success.flash")

    signed_out = sign_out(testapp).follow(headers=HTML)
    assert flashes(signed_out) == ["You are now signed out"]
    assert flashes(testapp.get("/account/", headers=HTML)) == []
    assert "Sign in" in testapp.get("/account/", headers=HTML).html.select_one(".nav-bar").text


def test_json_answers_keep_their_flash_and_leave_nothing_for_the_next_page(testapp, owner):
    answer = sign_in(testapp, owner)
    assert answer["flash"] == "Welcome back Member One" and answer["next"] == "/"

    assert flashes(testapp.get("/account/", headers=HTML)) == []


def test_a_kept_flash_is_signed_and_a_forged_one_is_ignored(testapp, owner):
    sign_out(testapp)
    cookie = testapp.cookies["pybossa_session"]
    testapp.set_cookie("pybossa_session", cookie[:-4] + ("AAAA" if not cookie.endswith("AAAA") else "BBBB"))

    assert flashes(testapp.get("/account/", headers=HTML)) == []


def test_a_kept_flash_not_shown_in_time_is_dropped(testapp, owner, monkeypatch):
    monkeypatch.setattr(sessions, "FLASH_AGE", -1)  # every kept message is already too old
    sign_out(testapp)

    assert flashes(testapp.get("/account/", headers=HTML)) == []


def test_the_update_forms_show_their_errors_and_redirect_with_a_flash(testapp, owner, app):
    sign_in(testapp, owner)
    update = page(testapp, "/account/member/update", 200)
    password_form = next(form for form in update.forms.values() if "new_password" in form.fields)
    password_form["current_password"] = "not-it"
    password_form["new_password"], password_form["confirm"] = "New-pass-word1", "New-pass-word1"

    refused = password_form.submit("btn", headers=HTML, status=200)
    assert form_error(refused, "current_password") == "Your current password doesn't match the one in our records"

    profile_form = next(form for form in refused.forms.values() if "fullname" in form.fields)
    profile_form["fullname"] = "Member Renamed"
    profile_form["locale"] = "es"
    saved = profile_form.submit("btn", headers=HTML, status=302).follow(headers=HTML)
    # In the language just chosen, as the page itself.
    assert flashes(saved) == [localizer_for(app.registry, "es").translate(_("Your profile has been updated!"))]
    assert saved.html.find(id="fullname")["value"] == "Member Renamed"
    assert saved.html.find(id="locale").find("option", selected=True)["value"] == "es"


def test_an_avatar_uploaded_through_the_form_shows_on_the_profile(testapp, owner):
    sign_in(testapp, owner)
    picture = io.BytesIO()
    Image.new("RGB", (40, 30), "teal").save(picture, format="PNG")
    update = page(testapp, "/account/member/update", 200)
    form = next(form for form in update.forms.values() if "avatar" in form.fields)
    form["avatar"] = Upload("me.png", picture.getvalue(), "image/png")
    form["x2"], form["y2"] = "30", "30"

    updated = form.submit("btn", headers=HTML, status=302).follow(headers=HTML)

    assert flashes(updated) == ["Your avatar has been updated! It may take some minutes to refresh..."]
    avatar = page(testapp, "/account/member/", 200).html.select_one(".profile-header img.avatar")
    assert avatar["src"].endswith("_avatar.png")
    assert Image.open(io.BytesIO(testapp.get(avatar["src"]).body)).size == (30, 30)


def test_a_new_api_key_is_made_by_the_profile_page_form(testapp, owner):
    sign_in(testapp, owner)
    before = owner.api_key
    profile = page(testapp, "/account/member/", 200)
    form = next(form for form in profile.forms.values() if form.action.endswith("/resetapikey"))

    renewed = form.submit(headers=HTML, status=302).follow(headers=HTML, status=200)

    assert flashes(renewed) == ["New API-KEY generated"]
    new_key = renewed.html.find(id="api-key").get_text()
    assert new_key != before and new_key == testapp.get("/account/profile", headers=JSON).json["user"]["api_key"]


# -- in Chromium ----------------------------------------------------------------------------


def fill(visit, values: dict[str, str]) -> None:
    for name, value in values.items():
        visit.page.fill(f"#{name}", value)


def test_a_visitor_registers_signs_out_and_signs_in_again(visit):
    page_ = visit.page
    page_.set_viewport_size({"width": 360, "height": 740})
    page_.goto(f"{visit.site_url}/account/register")
    visit.screenshot("account-register")
    fill(visit, {**NEW_ACCOUNT, "name": "grace", "email_addr": "grace@example.com", "fullname": "Grace Hopper"})
    page_.click("button[type=submit]")

    expect(page_.locator(".flash")).to_have_text("Thanks for signing-up")
    expect(page_.locator(".nav-user")).to_have_text("Grace Hopper")
    assert [user["name"] for user in visit.api("/api/user", name="grace")] == ["grace"]
    # At 360px nothing is wider than the screen.
    assert page_.evaluate("document.documentElement.scrollWidth") <= 360

    for path, name in (("/account/", "account-index"), ("/account/grace/", "account-profile"),
                       ("/account/grace/update", "account-update"), ("/account/grace/projects", "account-projects"),
                       ("/account/newsletter", "account-newsletter")):
        page_.goto(f"{visit.site_url}{path}")
        visit.screenshot(name)
        assert page_.evaluate("document.documentElement.scrollWidth") <= 360, path
    page_.set_viewport_size({"width": 1280, "height": 900})
    page_.goto(f"{visit.site_url}/account/")
    visit.screenshot("account-index-wide")

    page_.click("text=Sign out")
    expect(page_.locator(".flash")).to_have_text("You are now signed out")
    expect(page_.locator(".nav-bar")).to_contain_text("Sign in")
    page_.goto(f"{visit.site_url}/account/forgot-password")
    visit.screenshot("account-password-forgot")

    page_.goto(f"{visit.site_url}/account/signin")
    visit.screenshot("account-signin")
    fill(visit, {"email": "grace@example.com", "password": NEW_ACCOUNT["password"]})
    page_.click("button[type=submit]")
    expect(page_.locator(".flash")).to_have_text("Welcome back Grace Hopper")
    expect(page_.locator(".nav-user")).to_have_text("Grace Hopper")
    page_.goto(f"{visit.site_url}/account/grace/update")
    visit.screenshot("account-update-wide")
    assert visit.foreign_requests() == [] and visit.errors == []


def test_bad_registrations_show_errors_next_to_the_fields_in_chromium(visit, live_factories):
    with live_factories as make:
        make.user("taken", passwd_hash=PASSWORD_HASH)
    users_before = visit.api("/api/user", limit=100)
    page_ = visit.page
    page_.goto(f"{visit.site_url}/account/register")
    fill(visit, {**NEW_ACCOUNT, "name": "taken", "confirm": "Not-the-same1"})
    page_.click("button[type=submit]")

    expect(page_.locator("#name-error")).to_contain_text("taken")
    expect(page_.locator("#password-error")).to_contain_text("match")
    expect(page_.locator(".flash")).to_have_text("Please correct the errors")
    expect(page_.locator("#fullname")).to_have_value(NEW_ACCOUNT["fullname"])
    visit.screenshot("account-register-errors")
    assert visit.api("/api/user", limit=100) == users_before
    assert visit.foreign_requests() == [] and visit.errors == []
