"""The site in the visitor's language (docs/i18n.md), through HTTP, with real gettext catalogs.

The catalogs here are written as .po files and compiled to .mo as `make mo` does, then given to
the site as its ``theme.translations`` folder: the shipped catalogs are the translators' work,
and these tests must not depend on their wording.
"""
from __future__ import annotations

import datetime
import itertools
import json
import urllib.parse
from email.header import decode_header, make_header
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import write_po

from pybossa_core import catalogs
from pybossa_core.config import configure
from pybossa_core.interfaces import ILanguages, ISessionFactory, find_service
from pybossa_core.models import User
from pybossa_core.testing import app_settings, catalog_problems
from tests.conftest import fresh_engine
from tests.views.conftest import JSON, PASSWORD, PASSWORD_HASH, csrf_of, sign_in

_numbers = itertools.count(1)

TRANSLATIONS = {
    "es": {
        "Projects": "Proyectos",
        "Sign in": "Entrar",
        "Please correct the errors": "Por favor, corrige los errores",
        "The e-mail is required": "El correo electrónico es obligatorio",
        "Welcome back ${fullname}": "Hola de nuevo, ${fullname}",
        "Account Recovery": "Recuperación de la cuenta",
        "Hi ${fullname},\n\nSomeone asked to reset the password of your ${brand} account. "
        "To choose a new one, follow this link:\n\n${url}\n\n"
        "The link works once and expires in an hour. If you did not ask, ignore this message.\n":
        "Hola ${fullname}:\n\nAlguien pidió cambiar la contraseña de tu cuenta de ${brand}. "
        "Para elegir otra, sigue este enlace:\n\n${url}\n\nEl enlace vale una vez, durante una hora.\n",

        "${source} could not be fetched: ${reason}.": "No se pudo descargar ${source}: ${reason}.",
        "the host ${host} is in a private or local network, which this site does not call":
        "el servidor ${host} está en una red privada o local, a la que este sitio no llama",
        "Password must have an uppercase letter.": "La contraseña debe tener una letra mayúscula.",
    },
    "fr": {"Projects": "Projets", "Sign in": "Se connecter"},
    "ja": {"Projects": "プロジェクト"},
    # PYBOSSA's name for Brazilian Portuguese, which the site offers as ``pt``.
    "pt_BR": {"Projects": "Projetos"},
}


#: A plugin's texts come from its own domain's catalog (the CSV importer's here).
PLUGIN_TRANSLATIONS = {"es": {"Give either a link to a CSV file or its text.": "Da un enlace a un archivo CSV o su texto.",
                               "The link": "el enlace"}}


def write_catalog(folder: Path, language: str, messages: dict[str, str], domain: str = "pybossa_core") -> None:
    catalog = Catalog(locale=language, domain=domain, fuzzy=False)
    for msgid, msgstr in messages.items():
        catalog.add(msgid, msgstr)
    target = folder / language / "LC_MESSAGES"
    target.mkdir(parents=True, exist_ok=True)
    with (target / f"{domain}.po").open("wb") as po:
        write_po(po, catalog)
    with (target / f"{domain}.mo").open("wb") as mo:
        write_mo(mo, catalog)


@pytest.fixture(scope="session")
def translations(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("translations")
    for language, messages in TRANSLATIONS.items():
        write_catalog(folder, language, messages)
    for language, messages in PLUGIN_TRANSLATIONS.items():
        write_catalog(folder, language, messages, domain="pybossa_importer_csv")
    return folder


@pytest.fixture
def site(site_with, translations):
    return site_with(**{"theme.translations": str(translations)})


def nav(page) -> str:
    return page.html.find("nav").find("a", href="/project/category/featured/").text


def test_each_source_of_the_locale_in_its_order(site, make):
    assert nav(site.get("/")) == "Projects"
    assert site.get("/").html.find("html")["lang"] == "en"
    assert nav(site.get("/", headers={"Accept-Language": "fr"})) == "Projets"
    assert nav(site.get("/", headers={"Accept-Language": "de;q=0.4, fr-CA;q=0.9, es;q=0.5"})) == "Projets"
    # A language the site does not offer is passed over for the next one asked.
    assert nav(site.get("/", headers={"Accept-Language": "nl, es;q=0.5"})) == "Proyectos"

    # The cookie beats Accept-Language; the query parameter beats the cookie and is then kept in it.
    site.set_cookie("lang", "es")
    assert nav(site.get("/", headers={"Accept-Language": "fr"})) == "Proyectos"
    switched = site.get("/", {"lang": "fr"})
    assert nav(switched) == "Projets" and switched.html.find("html")["lang"] == "fr"
    assert "lang=fr" in switched.headers["Set-Cookie"]
    assert nav(site.get("/")) == "Projets"

    # A signed-in user's own language beats everything else.
    user = make.user("hablante", locale="es", passwd_hash=PASSWORD_HASH)
    sign_in(site, user)
    assert nav(site.get("/", {"lang": "fr"}, headers={"Accept-Language": "fr"})) == "Proyectos"


def test_bad_values_are_ignored_and_a_missing_catalog_is_english(site_with, translations):
    # Dutch is offered but has no catalog, here or shipped (Italian, offered by default, now ships one).
    site = site_with(**{"theme.translations": str(translations), "account.locales": "en es fr ja nl"})
    assert nav(site.get("/", {"lang": "xx"}, headers={"Accept-Language": "fr"})) == "Projets"
    assert nav(site.get("/", {"lang": "../../etc"}, headers={"Accept-Language": "*, garbage;;q"})) == "Projects"
    site.set_cookie("lang", "klingon")
    assert nav(site.get("/", headers={"Accept-Language": "es"})) == "Proyectos"
    page = site.get("/", {"lang": "nl"})
    assert nav(page) == "Projects" and page.html.find("html")["lang"] == "nl"


OWN_NAMES = ["English", "Español", "Français", "Deutsch", "Italiano", "Português", "日本語", "Ελληνικά"]


def switcher(page):
    return page.html.find("details", class_="lang-menu")


def test_the_switcher_lists_each_language_by_its_own_name_and_links_to_the_same_page(site):
    page = site.get("/stats/", {"shown": "all"})
    menu = switcher(page)
    links = menu.find_all("a")
    assert [link.text for link in links] == OWN_NAMES
    assert [link["href"] for link in links][:2] == ["/stats/?shown=all&lang=en", "/stats/?shown=all&lang=es"]
    assert [link.text for link in menu.find_all(attrs={"aria-current": "true"})] == ["English"]
    assert menu.find("summary").text == "English"

    spanish = site.get(links[1]["href"])
    assert nav(spanish) == "Proyectos" and spanish.html.find("html")["lang"] == "es"
    assert [link["href"] for link in switcher(spanish).find_all("a")][1] == "/stats/?shown=all&lang=es"
    # The choice is kept (cookie) for the next pages, where the switcher marks it.
    home = site.get("/")
    assert nav(home) == "Proyectos"
    assert [link.text for link in switcher(home).find_all(attrs={"aria-current": "true"})] == ["Español"]


def test_a_signed_in_users_choice_is_stored_in_the_profile_by_a_post_with_the_csrf_token(site, make, dbsession):
    user = make.user("cambiante", locale="fr", passwd_hash=PASSWORD_HASH)
    sign_in(site, user)
    page = site.get("/stats/")
    assert nav(page) == "Projets"
    buttons = switcher(page).find_all("button")
    assert [button.text for button in buttons] == OWN_NAMES
    assert {button["form"] for button in buttons} == {"language-form"}
    form = page.html.find("form", id="language-form")
    assert form["method"] == "post" and form["action"] == "/language"
    fields = {field["name"]: field["value"] for field in form.find_all("input")}
    assert fields["next"] == "/stats/"

    # Without the token nothing changes.
    site.post("/language", {"locale": "es", "next": "/stats/"}, status=400)
    dbsession.refresh(user)
    assert user.locale == "fr"

    chosen = site.post("/language", {"locale": "es", "next": "/stats/", "csrf_token": fields["csrf_token"]})
    assert chosen.status_int == 302 and chosen.location.endswith("/stats/")
    dbsession.refresh(user)
    assert user.locale == "es"
    assert nav(chosen.follow()) == "Proyectos"

    # A language the site does not offer changes nothing; a way off the site goes home.
    for locale in ("xx", "../etc", ""):
        answer = site.post("/language", {"locale": locale, "next": "/stats/", "csrf_token": fields["csrf_token"]})
        assert answer.location.endswith("/stats/")
    dbsession.refresh(user)
    assert user.locale == "es"
    answer = site.post("/language", {"locale": "ja", "next": "//evil.example/", "csrf_token": fields["csrf_token"]})
    assert urllib.parse.urlsplit(answer.location).path == "/" and "evil.example" not in answer.location
    dbsession.refresh(user)
    assert user.locale == "ja"
    # A GET changes nothing.
    assert site.get("/language", {"locale": "de", "next": "/stats/"}).location.endswith("/stats/")
    dbsession.refresh(user)
    assert user.locale == "ja"


def test_an_error_page_explains_itself_in_the_shipped_languages(site_with):
    # Pyramid's own explanation of a 404 (a page of no route) is one of the catalogs' texts.
    site = site_with()

    def explanation(language):
        return site.get("/no-such-page/", {"lang": language}, status=404).html.find("main").find_all("p")[0].text

    assert explanation("en") == "The resource could not be found."
    explained = {language: explanation(language) for language in ("de", "el", "es", "fr", "it", "ja", "pt")}
    assert len(set(explained.values())) == 7 and "The resource could not be found." not in explained.values()


def test_a_project_pages_title_is_in_the_locale_and_stays_pybossas_in_the_json(site_with, make):
    site = site_with()
    owner = make.user("titled", passwd_hash=PASSWORD_HASH)
    make.project(owner, "birds", name="Birds & Bees")
    assert site.get("/project/birds/stats", {"lang": "en"}).html.title.text == "Project: Birds & Bees · Statistics"
    spanish = site.get("/project/birds/stats", {"lang": "es"})
    assert "Birds & Bees" in spanish.html.title.text and "Project" not in spanish.html.title.text
    assert site.get("/project/birds/stats", headers=JSON).json["title"] == "Project: Birds & Bees &middot; Statistics"


def test_portuguese_is_read_from_the_brazilian_catalog_however_it_is_asked_for(site):
    for asked in ({"lang": "pt"}, {"lang": "pt_BR"}, {"lang": "pt-BR"}):
        page = site.get("/", asked)
        assert (nav(page), page.html.find("html")["lang"]) == ("Projetos", "pt")
        site.reset()
    assert nav(site.get("/", headers={"Accept-Language": "pt-BR, en;q=0.5"})) == "Projetos"


def test_how_long_ago_someone_joined_is_written_in_the_locale(site, make):
    make.user("antigua", privacy_mode=False, created=datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - datetime.timedelta(days=3, hours=1))
    for language, joined in (("en", "3 days ago"), ("es", "hace 3 días"), ("ja", "3 日前")):
        assert joined in {dd.text for dd in site.get("/account/antigua/", {"lang": language}).html.find_all("dd")}


def test_a_message_made_of_translated_parts_is_translated_whole(site, make):
    owner = make.user("duenia", locale="es", passwd_hash=PASSWORD_HASH)
    make.project(owner, "peces", name="Peces")
    sign_in(site, owner)
    refused = site.post_json("/project/peces/tasks/import?type=csv", {"csv_url": "http://127.0.0.1:9/a.csv"},
                             headers={"X-CSRFToken": csrf_of(site), **JSON}).json
    assert refused["form"]["errors"] == {"form": [
        "No se pudo descargar el enlace: el servidor 127.0.0.1 está en una red privada o local, a la que este sitio no llama."]}


def test_the_strong_password_rules_are_translated_one_by_one(site_with, translations):
    site = site_with(**{"theme.translations": str(translations), "account.strong_password": "true"})
    site.set_cookie("lang", "es")
    account = {"fullname": "Nueva Persona", "name": "nueva", "email_addr": "nueva@example.com",
               "password": "lowercase-and-1", "confirm": "lowercase-and-1"}
    errors = site.post_json("/account/register", account, headers={"X-CSRFToken": csrf_of(site), **JSON}).json["form"]["errors"]
    assert errors == {"password": ["La contraseña debe tener una letra mayúscula."]}


def test_a_new_account_keeps_the_language_its_visitor_registered_in(site, dbsession):
    account = {"fullname": "Yuki Sato", "name": "yuki", "email_addr": "yuki@example.com",
               "password": "Secret-pass1", "confirm": "Secret-pass1"}
    site.post_json("/account/register", account, headers={"X-CSRFToken": csrf_of(site), "Accept-Language": "ja", **JSON})
    assert dbsession.scalar(sa.select(User.locale).where(User.name == "yuki")) == "ja"


def test_an_anonymous_visitor_asking_for_japanese_gets_it(site):
    assert nav(site.get("/", headers={"Accept-Language": "ja,en;q=0.8"})) == "プロジェクト"


def test_the_site_default_applies_when_nothing_is_asked(site_with, translations):
    default_fr = site_with(**{"theme.translations": str(translations), "locale.default": "fr"})
    assert nav(default_fr.get("/")) == "Projets"
    assert nav(default_fr.get("/", headers={"Accept-Language": "es"})) == "Proyectos"


def test_the_default_comes_from_the_environment_and_must_be_offered(dbengine, uploads_dir, translations):
    settings = app_settings(dbengine, uploads_dir, **{"theme.translations": str(translations)})
    site = configure(settings, environ={"PYBOSSA_LOCALE_DEFAULT": "es"})
    assert find_service(site.registry, ILanguages).default == "es"
    with pytest.raises(Exception, match="locale.default"):
        configure({**settings, "account.locales": "en fr"}, environ={"PYBOSSA_LOCALE_DEFAULT": "es"})


def test_json_keeps_its_keys_and_translates_flash_and_form_errors(site, make):
    site.set_cookie("lang", "es")
    refused = site.post_json("/account/signin", {"email": "", "password": "x"},
                             headers={"X-CSRFToken": csrf_of(site), **JSON}).json
    assert refused["status"] == "error" and refused["template"] == "account/signin.html"
    assert refused["flash"] == "Por favor, corrige los errores"
    assert refused["form"]["errors"] == {"email": ["El correo electrónico es obligatorio"]}

    user = make.user("ada", fullname="Ada L", locale="es", passwd_hash=PASSWORD_HASH)
    assert sign_in(site, user) == {"next": "/", "status": "success", "flash": "Hola de nuevo, Ada L"}


def test_a_flash_after_a_redirect_is_shown_translated(site, make):
    user = make.user("grace", fullname="Grace H", locale="es", passwd_hash=PASSWORD_HASH)
    page = site.get("/account/signin", headers={"Accept-Language": "es"})
    form = page.forms[0]
    form["email"], form["password"] = user.email_addr, PASSWORD
    landed = form.submit().follow()
    assert landed.html.find(class_="flash").text == "Hola de nuevo, Grace H"


def test_a_plugins_form_error_comes_from_its_own_catalog(site, make):
    owner = make.user("duena", locale="es", passwd_hash=PASSWORD_HASH)
    make.project(owner, "aves", name="Aves")
    sign_in(site, owner)
    refused = site.post_json("/project/aves/tasks/import?type=csv", {"csv_text": ""},
                             headers={"X-CSRFToken": csrf_of(site), **JSON}).json
    assert refused["status"] == "error" and refused["flash"] == "Por favor, corrige los errores"
    assert refused["form"]["errors"] == {"form": ["Da un enlace a un archivo CSV o su texto."]}


def test_dates_are_written_in_the_locale_of_the_page(site, make):
    admin = make.user("chief", admin=True, locale="de", passwd_hash=PASSWORD_HASH,
                      created=datetime.datetime(2026, 3, 5, 14, 7))
    sign_in(site, admin)
    shown = {cell.text for cell in site.get("/admin/users").html.find_all("time")}
    assert "05.03.2026, 14:07" in shown
    admin.locale = "en"
    assert "Mar 5, 2026, 2:07\u202fPM" in {cell.text for cell in site.get("/admin/users").html.find_all("time")}


@pytest.fixture(scope="module")
def mail_site_with_translations(backend, tmp_path_factory, smtp_server, translations):
    controller, _ = smtp_server
    with fresh_engine(backend, tmp_path_factory, "i18n_mail") as engine:
        settings = app_settings(engine, tmp_path_factory.mktemp("i18n_mail_uploads"), **{
            "mail.delivery": "smtp", "mail.host": "127.0.0.1", "mail.port": str(controller.port),
            "theme.translations": str(translations),
        })
        yield configure(settings, environ={}).make_wsgi_app()


def test_mail_is_written_in_the_recipients_language(mail_site_with_translations, inbox):
    import webtest

    site = mail_site_with_translations
    name = f"lectora{next(_numbers)}"
    session = find_service(site.registry, ISessionFactory)()
    with session.begin():
        session.add(User(name=name, fullname="Lectora", email_addr=f"{name}@example.com", locale="es",
                         passwd_hash=PASSWORD_HASH, api_key=f"key-{name}"))
    # The request comes in French; the recipient reads Spanish.
    browser = webtest.TestApp(site, extra_environ={"HTTP_HOST": "localhost:5000", "REMOTE_ADDR": "127.0.0.1"})
    token = browser.get("/account/forgot-password", headers=JSON).json["form"]["csrf"]
    browser.post_json("/account/forgot-password", {"email_addr": f"{name}@example.com"},
                      headers={"X-CSRFToken": token, "Accept-Language": "fr", **JSON})
    message = inbox.pop()
    body = message.get_payload(decode=True).decode(message.get_content_charset())
    assert str(make_header(decode_header(message["Subject"]))) == "Recuperación de la cuenta"
    assert body.startswith("Hola Lectora:\n\nAlguien pidió cambiar la contraseña de tu cuenta de PYBOSSA.")
    assert "/account/reset-password?key=" in body
    with session.begin():
        session.execute(sa.delete(User).where(User.name == name))


# -- the catalogs' checks -----------------------------------------------------------------------


def test_every_distribution_has_an_up_to_date_pot_and_complete_catalogs():
    root = Path(__file__).resolve().parents[2]
    packages = [root / "pybossa_core", *sorted(path.parent for path in root.glob("plugins/*/*/src/*/__init__.py"))]
    assert len(packages) > 10
    found = {package.name: catalog_problems(package.name) for package in packages}
    assert {name: problems for name, problems in found.items() if problems} == {}


def test_the_check_finds_a_missing_translation_and_a_dropped_placeholder(tmp_path):
    package = tmp_path / "pybossa_example"
    (package / "templates").mkdir(parents=True)
    (package / "__init__.py").write_text('_("Hello ${name}", mapping={"name": "x"})\n_("Bye")\n')
    (package / "templates" / "page.html").write_text(
        '{% trans count=n %}one task{% pluralize %}{{ count }} tasks{% endtrans %}\n')
    assert catalogs.problems(package) == [f"{catalogs.pot_path(package)} is missing: run `make pot`"]
    assert catalogs.write_pot(package) is True and catalogs.write_pot(package) is False
    assert catalogs.problems(package) == []

    catalog = Catalog(locale="es", domain="pybossa_example", fuzzy=False)
    catalog.add("Hello ${name}", "Hola")
    catalog.add(("one task", "%(count)s tasks"), ("una tarea", "%(count)s tareas", "%(count)s tareas"))
    (package / "locale" / "es" / "LC_MESSAGES").mkdir(parents=True)
    with (package / "locale" / "es" / "LC_MESSAGES" / "pybossa_example.po").open("wb") as po:
        write_po(po, catalog)
    assert catalogs.problems(package) == ["es: 'Hello ${name}' (form 0) drops ${name}", "es: 'Bye' is missing from pybossa_example.po"]

    (package / "__init__.py").write_text('_("Hello ${name}")\n_("Bye")\n_("New")\n')
    assert "is not up to date" in catalogs.problems(package)[0]


def test_counts_take_their_plural_form_in_each_language(site, make):
    owner = make.user("contadora")
    project = make.project(owner, "contar", name="Contar")
    make.task_run(make.task(project, n_answers=2), make.user("una"))
    make.task(project, n_answers=2)
    stats = {item.text for item in site.get("/project/contar/", {"lang": "es"}).html.find_all("li")}
    assert {"2 tareas", "0 completadas", "1 respuesta", "1 voluntario"} <= stats
    assert {"2 tâches", "1 réponse"} <= {item.text for item in site.get("/project/contar/", {"lang": "fr"}).html.find_all("li")}
    assert {"2 tasks", "1 answer", "1 volunteer"} <= {item.text for item in site.get("/project/contar/", {"lang": "en"}).html.find_all("li")}


def test_the_listings_sort_links_and_the_featured_category_are_translated(site, make):
    page = site.get("/project/category/featured/", {"lang": "de"}).html
    links = [link.text for link in page.find("p", class_="order-links").find_all("a")]
    assert links == ["Rangfolge", "Name", "neueste", "Aufgaben", "Freiwillige", "Fortschritt", "letzte Aktivität"]
    assert page.find("h2").text == "Empfohlen"


def test_the_site_charts_are_titled_from_the_stats_plugins_catalog(site, make):
    page = site.get("/stats/", {"lang": "es"})
    assert [heading.text for heading in page.html.select("h3[id$=-chart-heading]")] == [
        "Estadísticas de usuarios", "Estadísticas de proyectos", "Estadísticas de tareas y respuestas"]
    drawn = json.loads(page.html.find(id="users-chart-data").text)
    assert [value["label"] for value in drawn["values"]] == ["Anónimos", "Con sesión iniciada"]
    # The figures themselves keep their English labels.
    assert site.get("/stats/", headers=JSON).json["users"]["label"] == "User Statistics"


def test_one_english_word_with_two_meanings_has_a_translation_for_each(site, make):
    admin = make.user("jefa", admin=True, locale="es", passwd_hash=PASSWORD_HASH)
    sign_in(site, admin)
    assert "Fecha de registro" in {cell.text for cell in site.get("/admin/users").html.find_all("th")}
    assert site.get("/admin/plugins").html.find(id="plugins-heading").text == "Plugins registrados"


def test_the_project_stats_sentence_counts_each_side_in_its_plural_form(site, make):
    project = make.project(make.user("cifras"), "cifras", name="Cifras")
    make.task_run(make.task(project, n_answers=3), make.user("sola"))
    text = " ".join(site.get("/project/cifras/stats", {"lang": "es"}).html.get_text().split())
    assert "1 voluntario con sesión iniciada dio 1 respuesta (100 %); 0 voluntarios anónimos dieron 0 respuestas (0 %)." in text
    assert "Sola: 1 respuesta" in text


def test_a_tasks_state_and_the_aggregators_titles_are_shown_translated(site, make):
    owner = make.user("revisora", locale="it", passwd_hash=PASSWORD_HASH)
    project = make.project(owner, "rivedere", name="Rivedere")
    task = make.task(project, n_answers=1)
    sign_in(site, owner)
    heading = site.get(f"/project/rivedere/tasks/{task.id}/review").html.find("h2").get_text()
    assert " ".join(heading.split()) == f"Compito #{task.id} (in corso, 0 di 1 risposta)"
    options = {option.text for option in site.get("/project/rivedere/tasks/quality").html.find_all("option")}
    assert {"Voti ponderati per affidabilità", "Dawid-Skene (la confusione di ogni volontario, su tutto il progetto)"} <= options
