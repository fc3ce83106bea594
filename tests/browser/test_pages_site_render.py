"""Every page of the site's own area and of the admin area renders as HTML, for each kind of visitor.

WebTest asks for each page as a browser does (``Accept: text/html``), as an anonymous visitor,
a signed-in user and an admin: the status is the JSON view's (admin pages send anonymous
visitors to sign in and refuse users with 403), the page is HTML with its key content, and
nothing in it points at another host.  Then the pages' forms and links are used as a browser
would: form-encoded posts with the ``csrf_token`` field, the admin links carrying the token.
"""
from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from pybossa_core.interfaces import IStatsCalculators, find_service
from pybossa_core.models import Announcement, Category, User
from pybossa_core.services import figures
from tests.views.conftest import PASSWORD_HASH, sign_in

HTML = {"Accept": "text/html"}
#: Every URL a page links to or loads (href, src, action).
LINKS = re.compile(r"""\b(?:href|src|action)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)
PUBLIC, ADMIN = "public", "admin"


def foreign_urls(html: str) -> list[str]:
    """The URLs in ``html`` that name a host (http://x, //x): the site's pages only use paths."""
    return [url for url in LINKS.findall(html) if urlsplit(url).netloc or url.lower().startswith(("http:", "https:"))]


def assert_html_page(page) -> None:
    assert page.content_type == "text/html", page.content_type
    assert page.text.count("<html") == 1
    assert foreign_urls(page.text) == []
    ids = [element["id"] for element in page.html.find_all(id=True)]
    assert sorted({name for name in ids if ids.count(name) > 1}) == []
    # Headings in order: one h1 first, never a level skipped on the way down.
    levels = [int(heading.name[1]) for heading in page.html.find_all(re.compile(r"^h[1-6]$"))]
    assert levels[:1] == [1] and levels.count(1) == 1, levels
    assert all(later <= earlier + 1 for earlier, later in zip(levels, levels[1:])), levels
    # Every input has its label (hidden ones and buttons aside).
    inputs = page.html.select('input:not([type=hidden]):not([type=submit]), textarea, select')
    assert [field["id"] for field in inputs if not page.html.find("label", attrs={"for": field.get("id")})] == []


@pytest.fixture
def rows(make, dbsession):
    """A small site: two categories, a featured project with answers from today, announcements."""
    owner = make.user("owner", fullname="Owner One")
    science = make.category("science", name="Science", description="Science projects")
    art = make.category("art", name="Art", description="Art projects")
    birds = make.project(owner, "birds", name="Birds", category_id=science.id, featured=True,
                         description="Count birds", info={"thumbnail": "birds.png"})
    make.project(owner, "paint", name="Paint", category_id=art.id)
    for _ in range(3):
        make.task_run(make.task(birds), owner)
    make.task_run(make.task(birds))
    published = Announcement(title="Hello everyone", body="First line\nSecond <b>line</b>", published=True)
    draft = Announcement(title="Not yet", body="Draft text", published=False)
    dbsession.add_all([published, draft])
    dbsession.flush()
    return {"owner": owner, "science": science, "art": art, "birds": birds, "announcement": published, "draft": draft}


@pytest.fixture(params=["anonymous", "user", "admin"])
def visitor(request, testapp, make):
    """(kind, ``testapp`` as that kind of visitor)."""
    if request.param != "anonymous":
        user = make.user(f"visitor-{request.param}", passwd_hash=PASSWORD_HASH, admin=request.param == "admin")
        sign_in(testapp, user)
    return request.param, testapp


@pytest.fixture
def admin_browser(testapp, make):
    sign_in(testapp, make.user("boss", fullname="The Boss", passwd_hash=PASSWORD_HASH, admin=True))
    return testapp


#: (path, who may see it, what the page must show).  Paths name rows with {key}.
PAGES = [
    ("/", PUBLIC, ["Featured projects", "Birds", "/project/birds/", "Top volunteers", "Owner One", "What's new",
                   "Most active projects"]),
    ("/stats/", PUBLIC, ["Global Statistics", 'id="users-chart"', 'id="projects-chart"', 'id="tasks-chart"',
                         'data-chart-kind="pie"', 'data-chart-kind="bar"', "Top 5 projects of the last 24 hours",
                         "Owner One"]),
    ("/leaderboard/", PUBLIC, ["Community Leaderboard", "Owner One", "<td>1</td>"]),
    ("/leaderboard/window/3", PUBLIC, ["Community Leaderboard", "Owner One"]),
    ("/announcements/", PUBLIC, ["Announcements", "Hello everyone", "First line<br>Second &lt;b&gt;line&lt;/b&gt;"]),
    ("/help/api", PUBLIC, ["API Help", "/api/project/{birds.id}", "/api/docs"]),
    ("/help/privacy", PUBLIC, ["Privacy Policy", "<p>PYBOSSA keeps what you give"]),
    ("/help/cookies-policy", PUBLIC, ["Help: Cookies Policy", "<p>PYBOSSA sets one cookie"]),
    ("/help/terms-of-use", PUBLIC, ["Help: Terms of Use", "<p>By contributing to PYBOSSA"]),
    ("/admin/", ADMIN, ['href="/admin/dashboard/"', 'href="/admin/featured"', 'href="/admin/categories"',
                        'href="/admin/users"', 'href="/admin/announcement"', 'href="/admin/jobs"']),
    ("/admin/dashboard/", ADMIN, ["Dashboard", 'id="active-users-chart"', 'id="active-anon-chart"', 'id="new-users-chart"',
                                  'id="new-tasks-chart"', 'id="new-task-runs-chart"', 'id="returning-users-chart"',
                                  "/admin/dashboard/?refresh=1", 'id="dashboard-wait"', "Latest activity"]),
    ("/admin/announcement", ADMIN, ["Manage global Announcements", "Hello everyone", "Not yet",
                                    'action="/admin/announcement/{announcement.id}/delete"',
                                    'href="/admin/announcement/{draft.id}/update"']),
    ("/admin/announcement/new", ADMIN, ["Write a new post", 'name="title"', 'name="body"', 'name="media_url"',
                                        'name="published"', 'action="/admin/announcement/new"']),
    ("/admin/announcement/{announcement.id}/update", ADMIN, ["Edit a post", 'value="Hello everyone"',
                                                             'action="/admin/announcement/{announcement.id}/update"']),
    ("/admin/users", ADMIN, ["Manage Admin Users", 'name="user"', 'action="/admin/users"', "Admins"]),
    ("/admin/categories", ADMIN, ["Categories", "Science projects", 'href="/admin/categories/update/{art.id}"',
                                  'href="/admin/categories/del/{art.id}"', 'action="/admin/categories"']),
    ("/admin/categories/update/{art.id}", ADMIN, ["Update Category", 'value="Art"', 'value="Art projects"']),
    ("/admin/categories/del/{art.id}", ADMIN, ["Delete Category", "<strong>Art</strong>",
                                               'action="/admin/categories/del/{art.id}"']),
    ("/admin/featured", ADMIN, ["Featured projects", "Science", 'data-project-id="{birds.id}"', "X-CSRFToken"]),
]


@pytest.mark.parametrize(("path", "audience", "contents"), PAGES, ids=[page[0] for page in PAGES])
def test_every_page_renders_for_every_visitor(visitor, rows, path, audience, contents):
    kind, testapp = visitor
    url = path.format(**rows)
    allowed = audience == PUBLIC or kind == "admin"
    page = testapp.get(url, headers=HTML, status="*")
    if allowed:
        assert page.status_int == 200, page.text[:500]
        assert_html_page(page)
        for expected in contents:
            assert expected.format(**rows) in page.text, expected
    elif kind == "anonymous":
        assert page.status_int == 302
        assert page.location.endswith("/account/signin?next=" + url.replace("/", "%2F"))
    else:
        assert page.status_int == 403
        assert_html_page(page)


def _csrf_of(page) -> str:
    return page.html.find("input", {"name": "csrf_token"})["value"]


# -- the pages' data ------------------------------------------------------------------------


def test_the_charts_carry_the_views_figures(admin_browser, rows, app, dbsession):
    stats = admin_browser.get("/stats/", headers=HTML)
    users = json.loads(stats.html.find("script", id="users-chart-data").string)
    assert users == admin_browser.get("/stats/", headers={"Accept": "application/json"}).json["users"]
    assert stats.html.find("canvas", id="tasks-chart")["data-chart-kind"] == "bar"

    figures.store(dbsession, "dashboard", find_service(app.registry, IStatsCalculators)["dashboard"].recompute)
    dashboard = admin_browser.get("/admin/dashboard/", headers=HTML)
    answers = json.loads(dashboard.html.find("script", id="new-task-runs-chart-data").string)
    assert answers["series"] == [[4]]
    assert dashboard.html.find(id="dashboard-wait") is None
    updated = dashboard.html.find("table", id="updated-projects")
    assert {link["href"] for link in updated.select('a[href^="/project/"]')} == {"/project/birds/", "/project/paint/"}


def test_the_leaderboard_highlights_the_signed_in_volunteer_with_their_rank(testapp, make, rows):
    me = make.user("me", fullname="Me Myself", passwd_hash=PASSWORD_HASH)
    make.task_run(make.task(rows["birds"]), me)
    sign_in(testapp, me)
    page = testapp.get("/leaderboard/", headers=HTML)
    mine = page.html.find("tr", class_="highlight")
    assert [cell.get_text(" ", strip=True) for cell in mine.find_all("td")] == ["2", "Me Myself you", "1"]
    assert "You are ranked #2 with 1 answer." in page.html.find(id="my-rank").get_text(" ", strip=True)
    assert page.html.find("a", href="/leaderboard/window/3") is not None


def test_anonymous_visitors_see_no_highlight(testapp, rows):
    page = testapp.get("/leaderboard/", headers=HTML)
    assert page.html.find("tr", class_="highlight") is None and page.html.find(id="my-rank") is None


# -- forms and links ------------------------------------------------------------------------


def test_a_category_without_name_is_refused_next_to_the_field(admin_browser, rows, dbsession):
    before = dbsession.scalar(sa.select(sa.func.count(Category.id)))
    form = admin_browser.get("/admin/categories", headers=HTML)
    page = admin_browser.post("/admin/categories", {"csrf_token": _csrf_of(form), "name": "  ", "description": "Empty"},
                              headers=HTML)
    assert page.status_int == 200
    name = page.html.find("input", id="name")
    assert name["aria-invalid"] == "true" and "name-error" in name["aria-describedby"]
    assert page.html.find(id="name-error").get_text(strip=True)
    assert page.html.find(id="description")["value"] == "Empty"
    assert "Please correct the errors" in page.text
    assert dbsession.scalar(sa.select(sa.func.count(Category.id))) == before


def test_a_category_is_added_and_renamed_through_the_forms(admin_browser, rows, dbsession):
    form = admin_browser.get("/admin/categories", headers=HTML)
    page = admin_browser.post("/admin/categories", {"csrf_token": _csrf_of(form), "name": "Sea Life",
                                                    "description": "Fish"}, headers=HTML)
    assert "Category added" in page.text and "Sea Life" in page.html.find("table", id="categories").text
    added = dbsession.scalars(sa.select(Category).where(Category.short_name == "sealife")).one()
    rename = admin_browser.get(f"/admin/categories/update/{added.id}", headers=HTML).forms[0]
    rename["name"] = "Ocean Life"
    done = rename.submit(headers=HTML)
    assert done.status_int == 302 and done.location.endswith("/admin/categories")
    dbsession.refresh(added)
    assert added.name == "Ocean Life"


def test_an_announcement_is_written_through_the_form(admin_browser, rows, dbsession):
    form = admin_browser.get("/admin/announcement/new", headers=HTML).forms[0]
    form["title"], form["body"] = "Big news", "We have news"
    done = form.submit(headers=HTML)
    assert done.status_int == 302 and done.location.endswith("/admin/announcement")
    assert "Big news" in done.follow(headers=HTML).html.find("table", id="announcements").text
    assert dbsession.scalars(sa.select(Announcement).where(Announcement.title == "Big news")).one().published


def test_an_empty_announcement_is_shown_again_with_its_errors(admin_browser, rows):
    form = admin_browser.get("/admin/announcement/new", headers=HTML).forms[0]
    form["body"] = "Text kept"
    page = form.submit(headers=HTML)
    assert page.status_int == 200
    assert page.html.find(id="title-error") is not None
    assert page.html.find("textarea", id="body").text == "Text kept"


def test_the_admin_buttons_grant_and_revoke_rights_by_post(admin_browser, rows, dbsession):
    search = admin_browser.get("/admin/users", headers=HTML).forms[0]
    search["user"] = "owner"
    found = search.submit(headers=HTML)
    grant_path = f"/admin/users/add/{rows['owner'].id}"
    # A link is refused: a page on another site could not make an admin.
    admin_browser.get(grant_path, headers=HTML, status=400)
    grant = [form for form in found.forms.values() if form.action == grant_path][0]
    assert grant.method.upper() == "POST" and grant["csrf_token"].value
    assert grant.submit(headers=HTML).status_int == 302
    owner = dbsession.get(User, rows["owner"].id)
    dbsession.refresh(owner)
    assert owner.admin
    admins = admin_browser.get("/admin/users", headers=HTML)
    revoke = [form for form in admins.forms.values() if form.action == f"/admin/users/del/{owner.id}"][0]
    revoke.submit(headers=HTML, status=302)
    dbsession.refresh(owner)
    assert not owner.admin


def test_a_category_is_deleted_through_its_confirmation_form(admin_browser, rows, dbsession):
    confirm = admin_browser.get(f"/admin/categories/del/{rows['art'].id}", headers=HTML)
    done = confirm.forms[0].submit(headers=HTML)
    assert done.status_int == 302
    assert dbsession.scalar(sa.select(Category.id).where(Category.id == rows["art"].id)) is None


def test_an_announcement_is_edited_and_deleted_through_the_pages(admin_browser, rows, dbsession):
    announcement = rows["announcement"]
    edit = admin_browser.get(f"/admin/announcement/{announcement.id}/update", headers=HTML).forms[0]
    assert edit["published"].checked
    edit["title"], edit["published"] = "Hello again", False
    assert edit.submit(headers=HTML).status_int == 302
    dbsession.refresh(announcement)
    assert (announcement.title, announcement.published) == ("Hello again", False)

    listing = admin_browser.get("/admin/announcement", headers=HTML)
    delete = next(form for form in listing.forms.values()
                  if form.action == f"/admin/announcement/{announcement.id}/delete")
    done = delete.submit(headers=HTML)
    assert done.status_int == 302 and done.location.endswith("/admin/announcement")
    assert dbsession.scalar(sa.select(Announcement.id).where(Announcement.id == announcement.id)) is None
