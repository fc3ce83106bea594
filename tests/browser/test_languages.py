"""The language switcher and the page's language in Chromium (docs/i18n.md), with the shipped catalogs.

The expected texts are read from the site's own localizers, so the tests follow the translators'
wording; what they check is that the page shows them.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from pybossa_core.i18n import _, localizer_for
from tests.views.conftest import PASSWORD_HASH

NAV_PROJECTS = ".nav-bar a[href='/project/category/featured/']"


@pytest.fixture
def said(live_server):
    """``said(language, text)``: ``text`` as the live site writes it in ``language``."""
    return lambda language, text, **mapping: localizer_for(live_server.app.registry, language).translate(
        _(text, mapping=mapping or None))


def choose(page, name: str) -> None:
    """Pick ``name`` in the nav bar's language menu, as a visitor does."""
    page.click(".lang-menu summary")
    page.click(f".lang-menu >> text={name}")


def test_an_anonymous_visitor_picks_spanish_and_the_site_speaks_it(visit, said):
    page = visit.page
    page.goto(f"{visit.site_url}/stats/")
    expect(page.locator(NAV_PROJECTS)).to_have_text("Projects")
    choose(page, "Español")
    expect(page.locator(NAV_PROJECTS)).to_have_text(said("es", "Projects"))
    assert page.url == f"{visit.site_url}/stats/?lang=es"
    assert page.locator("html").get_attribute("lang") == "es"
    expect(page.locator(".lang-menu summary")).to_have_text("Español")

    # The choice is kept: a form's errors and the flash after an action come in Spanish.
    page.goto(f"{visit.site_url}/account/register")
    for field, value in (("fullname", "Ana Torres"), ("name", "ana"), ("email_addr", "ana@example.com"),
                         ("password", "Clave-1234"), ("confirm", "Otra-1234")):
        page.fill(f"#{field}", value)
    page.click("main button[type=submit]")
    expect(page.locator("#password-error")).to_contain_text(said("es", "Passwords must match"))
    expect(page.locator(".flash")).to_have_text(said("es", "Please correct the errors"))
    page.fill("#password", "Clave-1234")
    page.fill("#confirm", "Clave-1234")
    page.click("main button[type=submit]")
    expect(page.locator(".flash")).to_have_text(said("es", "Thanks for signing-up"))
    expect(page.locator(NAV_PROJECTS)).to_have_text(said("es", "Projects"))
    assert visit.foreign_requests() == [] and visit.errors == []


def test_a_signed_in_volunteers_choice_is_kept_in_the_profile(visit, live_factories, said):
    with live_factories as make:
        user = make.user("kenji", fullname="Kenji", locale="en", passwd_hash=PASSWORD_HASH)
    visit.sign_in(user)
    page = visit.page
    page.goto(f"{visit.site_url}/leaderboard/")
    choose(page, "日本語")
    expect(page.locator(NAV_PROJECTS)).to_have_text(said("ja", "Projects"))
    assert page.url == f"{visit.site_url}/leaderboard/"
    assert page.locator("html").get_attribute("lang") == "ja"
    # Stored in the profile: its form shows the choice.
    page.goto(f"{visit.site_url}/account/kenji/update")
    expect(page.locator("#locale")).to_have_value("ja")
    assert visit.errors == []


@pytest.mark.parametrize("language", ["en", "es", "ja"])
def test_the_same_page_in_three_languages_and_accept_language(chromium, live_server, sqlite_only, said, language):
    # A browser set to the language sends it as Accept-Language: an anonymous visitor gets that language.
    context = chromium.new_context(locale=language)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/")
        expect(page.locator(NAV_PROJECTS)).to_have_text(said(language, "Projects"))
        expect(page.locator(".nav-bar a[href='/leaderboard/']")).to_have_text(said(language, "Leaderboard"))
        assert page.locator("html").get_attribute("lang") == language
    finally:
        context.close()
