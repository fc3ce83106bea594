"""JSON or HTML per request: a view renders its template only once the file exists; themes; error pages."""
from __future__ import annotations

import logging

import pytest
from pyramid.httpexceptions import HTTPForbidden

from pybossa_core.config import configure
from pybossa_core.renderers import redirect
from pybossa_core.settings import SettingsError
from tests.conftest import app_settings, in_test_transaction

HTML = {"Accept": "text/html,application/xhtml+xml"}
JSON = {"Accept": "application/json"}
PAGE = '{% extends "base.html" %}{% block content %}<p id="message">{{ message }}</p>{% endblock %}'


def page(request):
    return {"title": "A page", "message": "Hello <there>"}


def moved(request):
    return redirect("/elsewhere", status="success", flash="Moved")


def forbidden(request):
    raise HTTPForbidden()


def broken(request):
    raise RuntimeError("the view broke")


@pytest.fixture
def site(dbengine, uploads_dir, tm, dbsession):
    """Return a factory of sites with ``settings`` and four test views rendered by ``test/page.html``."""

    def build(**settings):
        config = configure(app_settings(dbengine, uploads_dir, **settings), environ={})
        for name, view in (("page", page), ("moved", moved), ("forbidden", forbidden), ("broken", broken)):
            config.add_route(f"test.{name}", f"/test/{name}")
            config.add_view(view, route_name=f"test.{name}", renderer="test/page.html")
        config.commit()
        return in_test_transaction(config.make_wsgi_app(), tm, dbsession)

    return build


@pytest.fixture
def theme(tmp_path):
    """A theme folder with the test views' template."""
    (tmp_path / "templates" / "test").mkdir(parents=True)
    (tmp_path / "templates" / "test" / "page.html").write_text(PAGE)
    return tmp_path


def test_a_view_whose_template_does_not_exist_answers_json_to_browsers(site):
    testapp = site()
    assert testapp.get("/test/page", headers=HTML).json == {"title": "A page", "message": "Hello <there>",
                                                            "template": "test/page.html"}
    assert testapp.get("/test/moved", headers=HTML).json == {"next": "/elsewhere", "status": "success", "flash": "Moved"}


def test_a_theme_template_renders_for_browsers_and_json_still_answers_json_clients(site, theme):
    testapp = site(**{"theme.templates": str(theme / "templates")})
    html = testapp.get("/test/page", headers=HTML)
    assert html.content_type == "text/html"
    assert '<p id="message">Hello &lt;there&gt;</p>' in html.text
    assert "<title>A page</title>" in html.text and 'href="/static/css/pybossa.css"' in html.text
    assert testapp.get("/test/page", headers=JSON).json["message"] == "Hello <there>"
    assert testapp.get("/test/page?response_format=json", headers=HTML).json["template"] == "test/page.html"


def test_redirects_of_a_rendered_view_send_browsers_on(site, theme):
    testapp = site(**{"theme.templates": str(theme / "templates")})
    assert testapp.get("/test/moved", headers=HTML, status=302).location.endswith("/elsewhere")
    assert testapp.get("/test/moved", headers=JSON).json["next"] == "/elsewhere"


def test_theme_templates_replace_the_cores(site, theme):
    (theme / "templates" / "404.html").write_text("<h1>Lost in the theme</h1>")
    testapp = site(**{"theme.templates": str(theme / "templates")})
    assert testapp.get("/no/such/page", headers=HTML, status=404).text == "<h1>Lost in the theme</h1>"


def test_browsers_get_error_pages_and_others_the_error_json(site, caplog):
    testapp = site()
    not_found = testapp.get("/no/such/page", headers=HTML, status=404)
    assert not_found.content_type == "text/html" and "404 &middot; Page not found" in not_found.text
    assert testapp.get("/no/such/page", headers=JSON, status=404).json["template"] == "404.html"
    assert "403 &middot; Forbidden" in testapp.get("/test/forbidden", headers=HTML, status=403).text
    with caplog.at_level(logging.CRITICAL):
        assert "500 &middot; Something went wrong" in testapp.get("/test/broken", headers=HTML, status=500).text
        assert testapp.get("/test/broken", headers=JSON, status=500).json["status_code"] == 500


def test_api_errors_are_json_even_for_browsers(site):
    body = site().get("/api/nothing-here", headers=HTML, status=404).json
    assert body["status"] == "failed" and body["status_code"] == 404


def test_static_files_are_served_and_a_theme_replaces_some(site, tmp_path):
    core = site()
    assert core.get("/static/js/pybossa.js").text.startswith("/*\n * pybossa.js for pybossa-core")
    assert "jQuery v3" in core.get("/static/vendor/jquery/jquery.min.js").text[:100]
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "pybossa.css").write_text("body { color: red; }")
    themed = site(**{"theme.static": str(tmp_path)})
    assert themed.get("/static/css/pybossa.css").text == "body { color: red; }"
    assert themed.get("/static/js/pybossa.js").text.startswith("/*\n * pybossa.js for pybossa-core")


@pytest.mark.parametrize("setting", ["theme.templates", "theme.static"])
def test_a_theme_folder_that_does_not_exist_stops_startup(site, tmp_path, setting):
    with pytest.raises(SettingsError, match=f"{setting}: '.*missing' is not a folder"):
        site(**{setting: str(tmp_path / "missing")})
