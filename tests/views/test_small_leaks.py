"""Smaller leftovers of issue 21: secrets kept out of logs, a bad ``next``, no password sent back, category slugs."""
from __future__ import annotations

import logging

import pytest

from pybossa_core import api
from tests.views.admin_fixtures import post
from tests.views.conftest import JSON, PASSWORD, csrf_of


def test_a_failing_api_request_is_logged_without_its_api_key(testapp, member, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(api, "parse_list_params", broken)
    with caplog.at_level(logging.ERROR, logger="pybossa_core.errors"):
        body = testapp.get(f"/api/task?limit=1&api_key={member.api_key}&info=k::v", status=500).json

    assert body["status_code"] == 500 and body["exception_cls"] == "PybossaError"
    [record] = [record for record in caplog.records if record.name == "pybossa_core.errors"]
    logged = record.getMessage()
    assert member.api_key not in logged and "boom" not in logged
    assert "GET /api/task?limit=1&api_key=***&info=k::v" in logged


@pytest.mark.parametrize("next_url", ["/%0A/evil.example", "/%09/evil.example", "/caf%C3%A9%E2%82%AC", "//evil.example",
                                      "https://evil.example/", "/%5Cevil.example"])
def test_a_bad_next_after_signing_in_goes_home(testapp, member, next_url):
    token = csrf_of(testapp)
    body = testapp.post_json(f"/account/signin?next={next_url}", {"email": member.email_addr, "password": PASSWORD},
                             headers={"X-CSRFToken": token}).json
    assert (body["status"], body["next"]) == ("success", "/")

    testapp.get("/account/signout", headers={"X-CSRFToken": csrf_of(testapp)})
    form = testapp.post(f"/account/signin?next={next_url}",
                        {"email": member.email_addr, "password": PASSWORD, "csrf_token": csrf_of(testapp)}, status=302)
    assert form.location in ("/", "http://localhost:5000/")


def test_a_good_next_is_followed(testapp, member):
    body = testapp.post_json("/account/signin?next=/project/birds/", {"email": member.email_addr, "password": PASSWORD},
                             headers={"X-CSRFToken": csrf_of(testapp)}).json
    assert body["next"] == "/project/birds/"


def test_no_form_sends_a_password_back(testapp, member):
    token = csrf_of(testapp)
    signin = testapp.post_json("/account/signin", {"email": member.email_addr, "password": "wrong-secret"},
                               headers={"X-CSRFToken": token}).json
    assert signin["status"] == "error" and signin["form"]["email"] == member.email_addr
    assert signin["form"]["password"] is None

    register = testapp.post_json("/account/register", {"name": "x", "email_addr": "bad", "password": "short-secret",
                                                       "confirm": "other-secret"}, headers={"X-CSRFToken": token}).json
    assert register["status"] == "error" and register["form"]["name"] == "x"
    assert (register["form"]["password"], register["form"]["confirm"]) == (None, None)
    assert "secret" not in str(signin) + str(register)


@pytest.mark.parametrize(("name", "short_name"), [("Art / Craft", "art-craft"), ("Música?", "musica"),
                                                  ("Citizen Science", "citizenscience"), ("???", "category")])
def test_a_category_short_name_is_a_slug_whose_page_answers(testapp, boss, name, short_name):
    body = post(testapp, "/admin/categories", {"name": name, "description": "d"}).json

    assert body["status"] == "success"
    assert short_name in body["n_projects_per_category"]
    page = testapp.get(f"/project/category/{short_name}/", headers=JSON).json
    assert page["active_cat"]["name"] == name
