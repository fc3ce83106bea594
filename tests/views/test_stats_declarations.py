"""A statistics calculator's answer against its scope's declaration (``plugin_api.STATS_FIGURES``):
a declared figure it leaves out is shown as "—", never 0; one it adds is shown, never dropped."""
from __future__ import annotations

import typing

import pytest

from pybossa_core.config import configure
from pybossa_core.interfaces import IStatsCalculators, find_service
from pybossa_core.plugin_api import STATS_FIGURES, StatsScope, StatsSpec, hookimpl
from pybossa_core.services import figures
from pybossa_core.testing import app_settings
from tests.conftest import in_test_transaction
from tests.views.conftest import JSON, PASSWORD_HASH, sign_in

HTML = {"Accept": "text/html"}


class PartialStats:
    """Each scope's calculator returns one declared figure, a figure of its own, and leaves the rest out."""

    @hookimpl
    def register_stats(self):
        return [
            StatsSpec("site", "site", lambda session, now: {"stats": {"n_tasks": 41, "n_reviews": 7}, "mood": "sunny"}),
            StatsSpec("project", "project", lambda session, now, project: {"avg_contrib_time": 2.5, "n_disputes": 3}),
            StatsSpec("dashboard", "dashboard", lambda session, now: {"new_users_week": {"labels": ["d"], "series": [[1]]},
                                                                      "n_spam_accounts": 9}),
        ]


@pytest.fixture(scope="module")
def partial_app(dbengine, uploads_dir):
    return configure(app_settings(dbengine, uploads_dir), environ={}, plugins=[PartialStats()],
                     autoload_plugins=False).make_wsgi_app()


@pytest.fixture
def partial(partial_app, tm, dbsession):
    return in_test_transaction(partial_app, tm, dbsession)


@pytest.fixture
def admin(partial, make):
    admin = make.admin("root")
    admin.passwd_hash = PASSWORD_HASH
    project = make.project(admin, "birds")
    make.task_run(make.task(project), admin)
    sign_in(partial, admin)
    return admin


def test_every_scope_has_its_declaration():
    assert set(STATS_FIGURES) == set(typing.get_args(StatsScope))
    assert all(typing.is_typeddict(declaration) for declaration in STATS_FIGURES.values())


def test_the_site_page_shows_a_missing_figure_as_a_dash_and_an_extra_one_in_a_table(partial, admin):
    page = partial.get("/stats/", headers=HTML)

    assert page.html.find(id="n-tasks").text == "41"
    assert page.html.find(id="n-task-runs").text == "—"  # left out: not 0
    other = page.html.find(id="other-figures")
    assert {row.th.text: row.td.text for row in other.find_all("tr")} == {"mood": "sunny", "stats.n_reviews": "7"}
    # The JSON keeps the calculator's answer as it is.
    answer = partial.get("/stats/", headers=JSON).json
    assert answer["mood"] == "sunny" and answer["stats"] == {"n_tasks": 41, "n_reviews": 7}
    assert "other_figures" not in answer


def test_the_project_page_shows_a_missing_figure_as_a_dash_and_an_extra_one_in_a_table(partial, admin):
    page = partial.get("/project/birds/stats", headers=HTML)

    assert "2.5 s" in page.text and "—" in page.text
    other = page.html.find(id="other-figures")
    assert {row.th.text: row.td.text for row in other.find_all("tr")} == {"n_disputes": "3"}


def test_the_dashboard_shows_a_missing_figure_as_a_dash_and_an_extra_one_in_a_table(partial, partial_app, dbsession, admin):
    figures.store(dbsession, "dashboard", find_service(partial_app.registry, IStatsCalculators)["dashboard"].recompute)

    page = partial.get("/admin/dashboard/", headers=HTML)

    assert page.html.find(id="new-users-chart") is not None
    assert page.html.find(id="active-users-chart") is None and "—" in page.text
    other = page.html.find(id="other-figures")
    assert {row.th.text: row.td.text for row in other.find_all("tr")} == {"n_spam_accounts": "9"}
