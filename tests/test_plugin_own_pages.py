"""Every kind of plugin with a page brings its own (plugin_pages): a presenter its entry in the
presenter chooser, a sign-in provider its button, a statistics calculator its part of its
scope's page, each a template in its package's ``templates/`` folder using its ``static/``
files; without one, the core's generic page draws it."""
from __future__ import annotations

import importlib
import sys
import textwrap

import pytest

from pybossa_core.testing import create_project, create_user, signed_in_browser

HTML = {"Accept": "text/html"}
PACKAGE = "pybossa_pages_sample"
FILES = {
    "__init__.py": '''
        from pybossa_core.plugin_api import AuthProviderSpec, PresenterSpec, StatsSpec, hookimpl


        def site_figures(session, now):
            return {"stats": {"n_tasks": 12}, "n_birds": 3}


        @hookimpl
        def register_presenters():
            return [
                PresenterSpec("photo", "Photo", "Answer about a photo.", "<p>photo</p>", page_template="photo_card.html"),
                PresenterSpec("plain", "Plain", "A plain question.", "<p>plain</p>"),
            ]


        @hookimpl
        def register_auth_providers():
            return [
                AuthProviderSpec("octo", "Octo", True, "/account/octo/", dict, button_template="octo_button.html"),
                AuthProviderSpec("bare", "Bare", True, "/account/bare/", dict),
            ]


        @hookimpl
        def register_stats():
            return [StatsSpec("site", "site", site_figures, page_template="site_part.html")]
    ''',
    "templates/photo_card.html": '''
        <h3 id="photo-card"><a href="{{ editor_url }}">{{ presenter.title }}, drawn by its plugin</a></h3>
        <img src="{{ plugin_static('pybossa_pages_sample', 'photo.svg') }}" alt="">
    ''',
    "templates/octo_button.html": '''
        <a id="octo-button" class="btn" href="{{ login_url }}">Sign in with {{ provider.title }}</a>
    ''',
    "templates/site_part.html": '''
        <section id="birds-part"><h2>Birds</h2><p>{{ n_birds }} birds counted.</p></section>
    ''',
    "static/photo.svg": '<svg xmlns="http://www.w3.org/2000/svg"/>\n',
}


@pytest.fixture
def sample_plugin(tmp_path):
    for name, text in FILES.items():
        path = tmp_path / PACKAGE / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    sys.path.insert(0, str(tmp_path))
    importlib.invalidate_caches()
    yield importlib.import_module(PACKAGE)
    sys.path.remove(str(tmp_path))
    sys.modules.pop(PACKAGE, None)


@pytest.fixture
def pybossa_plugins(sample_plugin):
    return [sample_plugin]


def test_a_presenter_brings_its_entry_in_the_chooser_and_one_without_gets_the_generic_card(pybossa_testapp):
    owner = create_user(pybossa_testapp, "owner")
    create_project(pybossa_testapp, owner, "birds")
    browser = signed_in_browser(pybossa_testapp, owner)

    page = browser.get("/project/birds/tasks/taskpresentereditor", headers=HTML)

    photo = page.html.find(id="presenter-photo")
    assert photo.find(id="photo-card").text == "Photo, drawn by its plugin"
    assert photo.a["href"] == "/project/birds/tasks/taskpresentereditor?template=photo"
    image = photo.img["src"]
    assert image == "/static/plugins/pybossa_pages_sample/photo.svg"
    assert browser.get(image).text == FILES["static/photo.svg"]
    plain = page.html.find(id="presenter-plain")
    assert plain.h3.a["href"] == "/project/birds/tasks/taskpresentereditor?template=plain"
    assert plain.h3.text == "Plain" and plain.p.text == "A plain question."


def test_a_sign_in_provider_brings_its_button_and_one_without_gets_the_generic_one(pybossa_testapp):
    page = pybossa_testapp.get("/account/signin?next=/stats/", headers=HTML)

    assert page.html.find(id="octo-button").text == "Sign in with Octo"
    assert page.html.find(id="octo-button")["href"] == "/account/octo/?next=/stats/"
    [bare] = page.html.select('a[href^="/account/bare/"]')
    assert bare.text == "Bare" and bare["href"] == "/account/bare/?next=/stats/"


def test_a_statistics_calculator_brings_its_part_of_the_page(pybossa_testapp):
    page = pybossa_testapp.get("/stats/", headers=HTML)

    assert page.html.find(id="birds-part").p.text == "3 birds counted."
    assert page.html.find(id="n-tasks").text == "12"
