"""The default statistics, on a site with only this plugin: each page's figures from real answers."""

from __future__ import annotations

import pybossa_stats_default

from pybossa_core.testing import (
    JSON,
    answer_next_task,
    create_project,
    create_tasks,
    create_user,
    load_plugins,
    signed_in_browser,
)


def test_entry_point_registers_one_calculator_per_scope():
    hooks = load_plugins({})

    assert "stats-default" in [plugin.name for plugin in hooks.list_plugins()]
    mine = load_plugins({}, autoload=False, extra_plugins=[pybossa_stats_default]).register_stats()
    assert [(stats.name, stats.scope) for stats in mine] == [
        ("project", "project"), ("site", "site"), ("dashboard", "dashboard"),
    ]
    assert all(callable(stats.recompute) for stats in mine)


def _contributions(testapp):
    """An admin (the first user) owning a project of three tasks, answered by two volunteers."""
    admin = create_user(testapp, "admin")
    volunteers = [create_user(testapp, name) for name in ("ann", "ben")]
    project = create_project(testapp, admin, "birds", info={"task_presenter": "<p>Birds</p>"})
    create_tasks(testapp, admin, project, [{"n": n} for n in range(3)], n_answers=2)
    for volunteer, answers in zip(volunteers, (2, 1)):
        for _ in range(answers):
            answer_next_task(testapp, volunteer, project, {"birds": 1})
    return admin, project


def test_project_stats_count_the_answers(pybossa_testapp):
    admin, project = _contributions(pybossa_testapp)

    # A draft: its owner sees it.
    page = signed_in_browser(pybossa_testapp, admin).get("/project/birds/stats", headers=JSON).json
    authenticated = page["userStats"]["authenticated"]
    assert (authenticated["users"], authenticated["taskruns"], authenticated["pct_taskruns"]) == (2, 3, 100)
    assert [(user["name"], user["tasks"]) for user in authenticated["top5"]] == [("ann", 2), ("ben", 1)]
    assert page["userStats"]["anonymous"]["taskruns"] == 0
    assert page["avg_contrib_time"] >= 0


def test_site_stats_count_the_answers(pybossa_testapp):
    _contributions(pybossa_testapp)

    page = pybossa_testapp.get("/stats/", headers=JSON).json
    assert page["stats"]["n_task_runs"] == 3 and page["stats"]["n_tasks"] == 3
    assert page["stats"]["n_auth"] == 3 and page["stats"]["n_published_projects"] + page["stats"]["n_draft_projects"] == 1
    assert [(user["name"], user["n_answers"]) for user in page["top5_users_24_hours"]] == [("ann", 2), ("ben", 1)]


def test_the_dashboard_job_computes_the_week(pybossa_testapp):
    admin, _ = _contributions(pybossa_testapp)
    browser = signed_in_browser(pybossa_testapp, admin)

    assert browser.get("/admin/dashboard/", headers=JSON).json["wait"] is True
    # The inline job ran once that request committed.
    page = browser.get("/admin/dashboard/", headers=JSON).json
    assert page["wait"] is False
    assert page["new_task_runs_week"]["series"] == [[3]]
    assert page["active_users_last_week"]["series"] == [[2]]
    assert page["new_users_week"]["series"] == [[3]]
    assert page["returning_users_week"]["series"] == [[2, 0, 0, 0, 0, 0, 0]]
    assert [project["short_name"] for project in page["draft_projects_last_week"]] == ["birds"]


def test_every_page_shows_exactly_the_declared_figures(pybossa_testapp):
    """Each calculator returns its scope's declaration (plugin_api.STATS_FIGURES): the HTML pages show
    no figure as missing ("—") and none beyond it ("Other figures")."""
    admin, _ = _contributions(pybossa_testapp)
    browser = signed_in_browser(pybossa_testapp, admin)
    browser.get("/admin/dashboard/", headers=JSON)  # its job runs once this request commits

    for path in ("/stats/", "/project/birds/stats", "/admin/dashboard/"):
        page = browser.get(path, headers={"Accept": "text/html"})
        assert page.html.select(".figure-missing") == [], path
        assert page.html.find(id="other-figures") is None, path
