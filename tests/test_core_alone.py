"""The core stands alone: with no plugin installed (only its built-in schedulers and aggregator),
every route of the site answers, and the statistics pages say which plugin to install.

``.ci/core-alone`` runs this module in a virtualenv holding the core and nothing else, so it
also proves that the core imports and serves without a bundled plugin's distribution.
"""
from __future__ import annotations

import logging
import re

import pytest
from pyramid.interfaces import IRoutesMapper

from pybossa_core.config import configure
from pybossa_core.i18n import english
from pybossa_core.interfaces import IImporters, IPluginHooks, IStatsCalculators, find_service
from pybossa_core.plugins import DEFAULT_PLUGINS
from pybossa_core.services import figures
from pybossa_core.testing import app_settings
from tests.conftest import in_test_transaction
from tests.views.conftest import JSON, PASSWORD_HASH, sign_in

HTML = {"Accept": "text/html"}
#: ``{name}``, ``{name:regex}`` (whose regex may hold ``{n}``) or ``*name`` in a route's pattern.
PLACEHOLDER = re.compile(r"\{(\w+)(?::[^{}]*(?:\{[^{}]*\}[^{}]*)*)?\}|\*(\w+)")


@pytest.fixture(scope="module")
def core_app(dbengine, uploads_dir):
    return configure(app_settings(dbengine, uploads_dir), environ={}, autoload_plugins=False).make_wsgi_app()


@pytest.fixture
def core(core_app, tm, dbsession):
    return in_test_transaction(core_app, tm, dbsession)


@pytest.fixture
def site(core, make):
    """An admin who owns a project with a task, an answer, a result, a blog post and an announcement."""
    admin = make.admin("root")
    admin.passwd_hash = PASSWORD_HASH
    category = make.category("birds-cat")
    project = make.project(admin, "birds", category_id=category.id, info={"task_presenter": "<p>x</p>"})
    task = make.task(project)
    task_run = make.task_run(task, admin)
    result = make.result(task, [task_run])
    blogpost = core.post_json(
        "/api/blogpost", {"project_id": project.id, "title": "News", "body": "b"}, headers={"Authorization": admin.api_key}
    ).json
    announcement = core.post_json("/api/announcement", {"title": "Hello", "body": "b", "published": True},
                                  headers={"Authorization": admin.api_key}).json
    sign_in(core, admin)
    return {"admin": admin, "project": project, "task": task, "task_run": task_run, "result": result, "category": category,
            "blogpost": blogpost["id"], "announcement": announcement["id"]}


def test_only_the_core_is_loaded(core_app):
    hooks = find_service(core_app.registry, IPluginHooks)
    assert sorted(info.name for info in hooks.list_plugins()) == sorted(DEFAULT_PLUGINS)
    assert hooks.failed == [] and find_service(core_app.registry, IImporters) == {} and find_service(core_app.registry, IStatsCalculators) == {}


def test_startup_logs_each_statistics_page_no_plugin_computes(dbengine, uploads_dir, caplog):
    with caplog.at_level(logging.WARNING, logger="pybossa_core.services.figures"):
        configure(app_settings(dbengine, uploads_dir), environ={}, autoload_plugins=False)

    messages = [record.getMessage() for record in caplog.records if record.name == "pybossa_core.services.figures"]
    assert messages == [english(figures.not_computed_message(scope)) for scope in ("project", "site", "dashboard")]
    assert all("pybossa-stats-default" in message for message in messages)


@pytest.mark.parametrize("path", ["/stats/", "/project/birds/stats", "/admin/dashboard/"])
def test_a_statistics_page_without_its_plugin_says_what_to_install(site, core, path):
    page = core.get(path, headers=HTML)
    answer = core.get(path, headers=JSON).json

    assert page.status_int == 200 and answer["status"] == "warning"
    assert "Install a statistics plugin" in page.text and "pip install pybossa-stats-default" in page.text
    assert "No statistics plugin computes the " in page.text
    assert answer["flash"].startswith("No statistics plugin computes the ")
    assert answer["stats_plugin"] == "pybossa-stats-default"
    assert answer["template"] in (figures.NOT_COMPUTED_TEMPLATE, figures.PROJECT_NOT_COMPUTED_TEMPLATE)


def _values(site) -> dict[str, object]:
    project, task = site["project"], site["task"]
    return {
        "short_name": project.short_name, "project_id": project.id, "project": project.id, "task_id": task.id,
        "taskrun_id": site["task_run"].id, "user_id": site["admin"].id, "name": site["admin"].name,
        "user_name": site["admin"].name, "page": 1, "window": 7, "slash": "", "subpath": "js/pybossa.js",
    }


#: The ``{id}`` of each route that has one.
ITEM_IDS = {
    "api.project.item": "project", "api.task.item": "task", "api.taskrun.item": "task_run",
    "api.category.item": "category", "api.user.item": "admin", "api.result.item": "result",
    "api.blogpost.item": "blogpost", "api.announcement.item": "announcement",
    "project.blogpost": "blogpost", "project.update_blogpost": "blogpost", "project.delete_blogpost": "blogpost",
    "admin.announcement.update": "announcement", "admin.announcement.delete": "announcement",
    "admin.categories.update": "category", "admin.categories.del": "category",
}
#: Placeholders some routes fill otherwise.
ROUTE_VALUES = {
    "project.frame": {"page": "preview"},
    "api.token.provider": {"provider": "twitter"},
    "category.projects": {"short_name": "birds-cat"},
    "category.projects.page": {"short_name": "birds-cat"},
}
#: Routes a GET cannot walk to, and why.
NOT_WALKED = {
    "uploads.file": "serves a stored upload: none here",
    "project.join": "needs an invitation's secret key",
    "project.webhook.delivery": "needs a webhook delivery",
    "api.helpingmaterial.item": "no helping material here",
    "api.page.item": "no page here",
    "api.favorites.item": "no favourite here",
}
#: Routes whose refusal is PYBOSSA's answer, whatever the plugins: (statuses, why).
REFUSED = {
    "api.auth.project_token": ({401}, "needs the project's secret key"),
    "api.token.provider": ({404}, "the admin holds no Twitter token"),
    "api.disqus.sso": ({405}, "PYBOSSA's answer without Disqus keys"),
    "api.vmcp": ({501}, "PYBOSSA's answer without CernVM keys"),
    "account.register_confirmation": ({403}, "a link from a mail, with its signed key"),
    "account.reset_password": ({403}, "a link from a mail, with its signed key"),
    "account.confirm_email": ({404}, "a link from a mail, with its signed key"),
    "account.email_undo": ({403}, "a link from a mail, with its signed key"),
    "admin.users.add": ({400}, "granting by GET needs the CSRF token in X-CSRFToken (docs/admin.md)"),
    "admin.users.del": ({400}, "revoking by GET needs the CSRF token in X-CSRFToken (docs/admin.md)"),
    "project.quality_aggregate": ({404}, "its only view takes a POST"),
    "admin.featured.project": ({404}, "its only views take a POST or a DELETE"),
}


def test_every_route_answers_without_a_plugin(site, core, core_app):
    values = _values(site)
    walked, failures = 0, []
    for route in core_app.registry.getUtility(IRoutesMapper).get_routes():
        if route.name in NOT_WALKED or route.name.startswith("static.classic.") or "(?!)" in route.pattern:
            continue
        filled = {**values, **ROUTE_VALUES.get(route.name, {})}
        if route.name in ITEM_IDS:
            thing = site[ITEM_IDS[route.name]]
            filled["id"] = thing if isinstance(thing, int) else thing.id
        names = [brace or star for brace, star in PLACEHOLDER.findall(route.pattern)]
        assert set(names) <= set(filled), (route.name, route.pattern)
        path = "/" + PLACEHOLDER.sub(lambda match: str(filled[match.group(1) or match.group(2)]), route.pattern).lstrip("/")
        for headers in (HTML, JSON):
            answer = core.get(path, headers=headers, expect_errors=True)
            walked += 1
            # 405: a route only written to (POST) refuses a GET, as it does with every plugin.
            allowed = {200, 302, 303, 405} | REFUSED.get(route.name, (set(), ""))[0]
            if answer.status_int not in allowed:
                failures.append((route.name, path, headers["Accept"], answer.status))
    assert failures == [], "\n".join(map(str, failures))
    assert walked > 200
