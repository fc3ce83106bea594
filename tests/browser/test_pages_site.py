"""The site's own pages and the admin area in Chromium: featuring a project, a refused form, the charts.

An admin signs in through the sign-in form, as a person does, then uses the admin pages'
buttons and forms; the statistics page and the dashboard must draw their charts with the
vendored Chart.js.  No page may ask anything of another host or log a script error.
"""
from __future__ import annotations

import contextlib
import itertools

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from tests.views.conftest import PASSWORD, PASSWORD_HASH

_numbers = itertools.count(1)

#: For a chart canvas: whether charts.js made a Chart of it, its data, and how many pixels it painted.
CHART_STATE = """(id) => {
  const chart = window.pybossaCharts && window.pybossaCharts.instances[id];
  const canvas = document.getElementById(id);
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let alpha = 3; alpha < pixels.length; alpha += 4) { if (pixels[alpha]) { painted += 1; } }
  return {
    isChart: !!chart && chart instanceof window.Chart && window.Chart.getChart(canvas) === chart,
    kind: chart ? chart.config.type : null,
    data: chart ? chart.data.datasets.map((dataset) => dataset.data) : null,
    painted: painted,
  };
}"""


def unique(prefix: str) -> str:
    """A name no other test of the session's live database uses."""
    return f"{prefix}{next(_numbers)}"


@pytest.fixture
def site(live_factories):
    """An admin with a password, and a published project (not featured) with answers, in a category."""
    with live_factories as make:
        admin = make.user(unique("admin"), admin=True, passwd_hash=PASSWORD_HASH)
        owner = make.user(unique("owner"))
        category = make.category(unique("topic"))
        project = make.project(owner, unique("swans"), name=unique("Swans "), category_id=category.id,
                               description="Count swans")
        for _ in range(3):
            make.task_run(make.task(project), owner)
    return {"admin": admin, "owner": owner, "category": category, "project": project}


def sign_in_through_the_form(visit, user, next_path: str) -> None:
    page = visit.page
    page.goto(f"{visit.site_url}/account/signin?next={next_path}")
    page.fill("#email", user.email_addr)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{visit.site_url}{next_path}")


def assert_fits_a_phone(visit, name: str) -> None:
    """At 360px wide the page scrolls only down (wide tables scroll inside their own box)."""
    visit.page.set_viewport_size({"width": 360, "height": 740})
    # Chart.js follows its box's new width on the next animation frames.
    with contextlib.suppress(PlaywrightTimeout):
        visit.page.wait_for_function("() => document.documentElement.scrollWidth <= 360", timeout=2000)
    too_wide = visit.page.evaluate("""() => Array.from(document.querySelectorAll("body *"))
        .filter((element) => element.getBoundingClientRect().right > 360 && !element.closest(".table-wrap"))
        .map((element) => element.tagName + "#" + element.id + "." + element.className)""")
    assert visit.page.evaluate("document.documentElement.scrollWidth") <= 360, too_wide
    visit.screenshot(f"{name}-phone")


def assert_charts_drawn(visit, ids: list[str]) -> dict[str, dict]:
    """Wait for charts.js to draw every canvas of ``ids``; return their state."""
    visit.page.wait_for_function("(ids) => ids.every((id) => window.pybossaCharts && window.pybossaCharts.instances[id])",
                                 arg=ids)
    states = {name: visit.page.evaluate(CHART_STATE, name) for name in ids}
    for name, state in states.items():
        assert state["isChart"], name
        # A drawn chart paints a good share of its canvas (axes, bars, slices, labels).
        assert state["painted"] > 500, (name, state)
    return states


def test_an_admin_features_a_project_and_the_home_page_shows_it(visit, site):
    project = site["project"]
    sign_in_through_the_form(visit, site["admin"], "/admin/featured")
    page = visit.page
    button = page.locator(f"#feature-{project.id}")
    expect(button).to_have_text("Feature")
    expect(button).to_have_attribute("aria-pressed", "false")
    visit.screenshot("admin-featured")
    assert_fits_a_phone(visit, "admin-featured")
    page.set_viewport_size({"width": 1280, "height": 720})

    button.click()
    expect(button).to_have_text("Featured: remove")
    expect(page.locator("#feature-status")).to_have_text(f"{project.name} is featured.")
    assert visit.api(f"/api/project/{project.id}")["featured"] is True

    page.goto(f"{visit.site_url}/")
    featured = page.locator("section#category-featured")
    expect(featured.locator("h2")).to_have_text("Featured projects")
    expect(featured.locator(f'a[href="/project/{project.short_name}/"]').first).to_be_visible()
    visit.screenshot("home-featured")

    # And un-featured again, it leaves the home page's Featured section.
    page.goto(f"{visit.site_url}/admin/featured")
    expect(button).to_have_text("Featured: remove")
    button.click()
    expect(button).to_have_text("Feature")
    page.goto(f"{visit.site_url}/")
    expect(page.locator(f'section#category-featured a[href="/project/{project.short_name}/"]')).to_have_count(0)
    assert visit.foreign_requests() == [] and visit.errors == []


def test_a_category_without_name_is_refused_and_nothing_is_created(visit, site):
    sign_in_through_the_form(visit, site["admin"], "/admin/categories")
    before = visit.api("/api/category", limit=100)
    page = visit.page
    # Spaces get past the browser's own "required" check; the server finds the name empty.
    page.fill("#name", "   ")
    page.fill("#description", "A category with no name")
    page.click("text=Add the category")

    expect(page.locator(".flash")).to_have_text("Please correct the errors")
    expect(page.locator("#name-error")).to_be_visible()
    expect(page.locator("#name")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#description")).to_have_value("A category with no name")
    visit.screenshot("admin-category-refused")
    assert visit.api("/api/category", limit=100) == before
    assert visit.foreign_requests() == [] and visit.errors == []


def test_the_statistics_page_draws_its_charts(visit, site):
    visit.page.goto(f"{visit.site_url}/stats/")
    states = assert_charts_drawn(visit, ["users-chart", "projects-chart", "tasks-chart"])
    figures = visit.api("/stats/")
    assert states["tasks-chart"]["kind"] == "bar" and states["users-chart"]["kind"] == "pie"
    assert states["tasks-chart"]["data"] == [[value["value"][1] for value in figures["tasks"]["values"]]]
    assert states["users-chart"]["data"] == [[value["value"][1] for value in figures["users"]["values"]]]
    visit.screenshot("stats")
    assert_fits_a_phone(visit, "stats")
    assert visit.foreign_requests() == [] and visit.errors == []


def test_the_dashboard_draws_every_weekly_chart(visit, site):
    sign_in_through_the_form(visit, site["admin"], "/admin/dashboard/?refresh=1")
    # The inline job computed the figures once that request was answered: they are there now.
    visit.page.goto(f"{visit.site_url}/admin/dashboard/")
    expect(visit.page.locator("#dashboard-wait")).to_have_count(0)
    names = ["active-users-chart", "active-anon-chart", "new-users-chart", "new-tasks-chart",
             "new-task-runs-chart", "returning-users-chart"]
    states = assert_charts_drawn(visit, names)
    figures = visit.api("/admin/dashboard/")
    assert states["new-task-runs-chart"]["data"] == figures["new_task_runs_week"]["series"]
    assert sum(states["new-task-runs-chart"]["data"][0]) >= 3
    assert len(states["returning-users-chart"]["data"][0]) == 7
    visit.screenshot("admin-dashboard")
    assert_fits_a_phone(visit, "admin-dashboard")
    assert visit.foreign_requests() == [] and visit.errors == []


#: The shapes the views give charts, and what charts.js makes of them (Chart.js's {labels, datasets}).
SHAPES = """() => {
  const convert = (data) => JSON.parse(JSON.stringify(window.pybossaCharts.toChartData(data)));
  return {
    stats: convert({label: "Users", values: [{label: "Anonymous", value: [0, 3]}, {label: "Authenticated", value: [0, 5]}]}),
    dashboard: convert({labels: ["2016-04-26", "2016-04-28"], series: [[57, 4]]}),
    days: convert([{label: "Anon + Auth", values: [[1700006400000, 2], [1700092800000, 3]]},
                   {label: "Anonymous", disabled: "True", values: [[1700092800000, 1]]}]),
    hours: convert(JSON.stringify([{label: "Authenticated", max: 2, values: [[0, 1, 2.5], [1, 2, 5]]}])),
    empty: convert({}),
  };
}"""


def test_charts_js_reads_every_shape_the_views_give(visit, site):
    visit.page.goto(f"{visit.site_url}/stats/")
    visit.page.wait_for_function("() => window.pybossaCharts && window.pybossaCharts.instances['tasks-chart']")
    shapes = visit.page.evaluate(SHAPES)
    assert shapes["stats"] == {"labels": ["Anonymous", "Authenticated"], "datasets": [{"label": "Users", "data": [3, 5]}]}
    assert shapes["dashboard"] == {"labels": ["2016-04-26", "2016-04-28"], "datasets": [{"label": "", "data": [57, 4]}]}
    # Day charts: x in milliseconds becomes the day; a series missing a day counts 0 there.
    assert shapes["days"] == {"labels": ["2023-11-15", "2023-11-16"], "datasets": [
        {"label": "Anon + Auth", "data": [2, 3], "hidden": False},
        {"label": "Anonymous", "data": [0, 1], "hidden": True}]}
    assert shapes["hours"] == {"labels": ["0", "1"], "datasets": [{"label": "Authenticated", "data": [1, 2], "hidden": False}]}
    assert shapes["empty"] == {"labels": [], "datasets": []}
    assert visit.errors == []
