"""The home page, the leaderboard, announcements and the help pages, for anonymous visitors, users and admins."""
from __future__ import annotations

import datetime

import pytest
import sqlalchemy as sa

from pybossa_core.models import Announcement, Category, Project, TaskRun
from pybossa_core.models.meta import utcnow
from pybossa_core.services.stats import HOME_TOP_PROJECTS
from tests.views.conftest import JSON, PASSWORD_HASH, sign_in

LEADER_KEYS = {"created", "fullname", "info", "n_answers", "name", "rank", "registered_ago", "score"}


@pytest.fixture(params=["anonymous", "user", "admin"])
def visitor(request, testapp, make):
    """``testapp`` as an anonymous visitor, a signed-in user or a signed-in admin."""
    if request.param != "anonymous":
        user = make.user(f"visitor-{request.param}", passwd_hash=PASSWORD_HASH, admin=request.param == "admin")
        sign_in(testapp, user)
    return testapp


def answers(make, project, user, count):
    for _ in range(count):
        make.task_run(make.task(project), user)


# -- home -----------------------------------------------------------------------------------


def test_home_lists_featured_and_category_projects_top_projects_and_users(visitor, make):
    owner = make.user("owner", fullname="Owner One")
    science = make.category("science", name="Science", description="Science projects")
    make.category("empty", name="Empty")
    birds = make.project(owner, "birds", name="Birds", category_id=science.id, featured=True,
                         info={"thumbnail": "b.png", "task_presenter": "<p>secret</p>"})
    stars = make.project(owner, "stars", name="Stars", category_id=science.id)
    make.project(owner, "hidden", category_id=science.id, published=False)
    answers(make, stars, owner, 2)
    answers(make, birds, None, 1)

    body = visitor.get("/", headers=JSON).json
    assert set(body) == {"categories", "categories_projects", "template", "top_projects", "top_users", "update_feed"}
    assert body["template"] == "/home/index.html"
    # The site's activity, as on /account/page/<n>: the owner's answers to stars, the projects, the owner.
    assert [(event["action_updated"], event["name"]) for event in body["update_feed"]][:1] == [("UserContribution", "Stars")]
    assert {("Project", "Birds"), ("Project", "Stars"), ("User", "owner")} <= {
        (event["action_updated"], event["name"]) for event in body["update_feed"]}
    assert body["categories"][0] == {"created": None, "description": None, "id": None,
                                     "name": "Featured", "short_name": "featured"}
    assert [(c["id"], c["name"], c["description"]) for c in body["categories"][1:]] == [
        (science.id, "Science", "Science projects")
    ]
    assert [p["short_name"] for p in body["categories_projects"]["featured"]] == ["birds"]
    assert [p["short_name"] for p in body["categories_projects"]["science"]] == ["birds", "stars"]
    card = body["categories_projects"]["featured"][0]
    assert {"description", "info", "n_tasks", "n_volunteers", "name", "overall_progress", "short_name"} <= set(card)
    assert card["info"] == {"thumbnail": "b.png"} and card["n_tasks"] == 1 and card["n_volunteers"] == 1
    assert [(p["short_name"], p["n_tasks"]) for p in body["top_projects"]] == [("stars", 2), ("birds", 1)]
    assert [(u["name"], u["rank"], u["score"]) for u in body["top_users"]] == [("owner", 1, 2)]
    assert set(body["top_users"][0]) == LEADER_KEYS


def test_home_links_volunteers_to_their_profiles_with_their_names_escaped(testapp, make):
    owner = make.user("o wner", fullname="<b>Bold</b> & co")
    stars = make.project(owner, "stars", name="Stars")
    answers(make, stars, owner, 1)

    page = testapp.get("/").html
    top = page.find("ol", class_="top-users").find("a")
    assert (top["href"], top.text) == ("/account/o%20wner/", "<b>Bold</b> & co")
    contributed = page.find("li", class_="feed-usercontribution")
    assert contributed.find("a")["href"] == "/account/o%20wner/" and contributed.find("a").text == "<b>Bold</b> & co"
    assert page.find("b") is None
    moment = contributed.find("time")
    assert moment["datetime"].startswith(str(utcnow().year)) and moment.text


def test_the_nav_bar_marks_the_section_and_escapes_the_signed_in_name(testapp, make):
    volunteer = make.user("nav", fullname='<b>Bold</b> & "co"', passwd_hash=PASSWORD_HASH)
    sign_in(testapp, volunteer)

    nav = testapp.get("/leaderboard/").html.find("nav")
    current = nav.find_all("a", attrs={"aria-current": "page"})
    assert [(link["href"], link.text) for link in current] == [("/leaderboard/", "Leaderboard")]
    own = nav.find("a", class_="nav-user")
    assert (own["href"], own.text) == ("/account/nav/", '<b>Bold</b> & "co"')
    assert nav.find("b") is None


def test_home_without_featured_projects_has_no_featured_category(testapp, make):
    owner = make.user("owner")
    make.project(owner, "birds", category_id=make.category("science").id)
    body = testapp.get("/", headers=JSON).json
    assert [c["short_name"] for c in body["categories"]] == ["science"]
    assert "featured" not in body["categories_projects"]
    assert body["top_projects"] == [] and body["top_users"] == []


def test_home_lists_published_projects_without_a_category_last(testapp, make):
    owner = make.user("owner")
    make.project(owner, "birds", name="Birds", category_id=make.category("science").id)
    make.project(owner, "loose", name="Loose Project", category_id=None)
    make.project(owner, "draft", category_id=None, published=False)
    body = testapp.get("/", headers=JSON).json
    assert [c["short_name"] for c in body["categories"]] == ["science", "uncategorised"]
    assert [p["short_name"] for p in body["categories_projects"]["uncategorised"]] == ["loose"]
    page = testapp.get("/", headers={"Accept": "text/html"}).text
    assert "Loose Project" in page and "No project has been published yet." not in page
    assert "/project/category/uncategorised/" not in page


def most_active_recounted(dbsession) -> list[str]:
    """The home page's most active projects counted from the task runs: published, public projects
    with answers, most first, oldest first on a tie."""
    answers = sa.func.count(TaskRun.id)
    return dbsession.scalars(
        sa.select(Project.short_name).join(TaskRun, TaskRun.project_id == Project.id)
        .where(Project.published.is_(True), Project.private.is_(False))
        .group_by(Project.id, Project.short_name).order_by(answers.desc(), Project.id).limit(HOME_TOP_PROJECTS)
    ).all()


def test_home_most_active_projects_stay_exact_after_answers_deletes_and_projects_leaving_the_lists(testapp, make, dbsession):
    owner = make.user("owner")
    projects = {name: make.project(owner, name) for name in ("a", "b", "c", "d", "e", "f")}
    runs = {name: [make.task_run(make.task(project), make.user() if index % 2 else None) for index in range(count)]
            for (name, project), count in zip(projects.items(), (3, 2, 2, 1, 4, 1))}
    key = f"?api_key={owner.api_key}"

    def most_active() -> list[str]:
        listed = [project["short_name"] for project in testapp.get("/", headers=JSON).json["top_projects"]]
        assert listed == most_active_recounted(dbsession)
        return listed

    # Ties go to the oldest project: b before c.
    assert most_active() == ["e", "a", "b", "c"]
    testapp.put_json(f"/api/project/{projects['e'].id}{key}", {"private": True})
    assert most_active() == ["a", "b", "c", "d"]
    for run in runs["a"][:2]:
        testapp.delete(f"/api/taskrun/{run.id}{key}", status=204)
    assert most_active() == ["b", "c", "a", "d"]
    # A task deleted with its answers: b has none left and leaves the list.
    for run in runs["b"]:
        testapp.delete(f"/api/task/{run.task_id}{key}", status=204)
    assert most_active() == ["c", "a", "d", "f"]
    # Back to a draft (no page does it: the database's own write).
    projects["c"].published = False
    dbsession.flush()
    assert most_active() == ["a", "d", "f"]
    make.task_run(make.task(projects["f"]), None)
    make.task_run(make.task(projects["f"]), None)
    assert most_active() == ["f", "a", "d"]
    testapp.put_json(f"/api/project/{projects['e'].id}{key}", {"private": False})
    assert most_active() == ["e", "f", "a", "d"]


def test_home_recomputes_its_lists_in_a_fixed_number_of_statements(testapp, make, dbsession, queries, backend):
    """Whatever the number of categories: the lists equal each category's first 20 published,
    public projects by id (the old per-category queries), and after a write the page sends the top
    users, the most active projects' ids, every listed project with its category, their counters
    and the feed (its five lists in one query)."""
    owner = make.user("owner")
    categories = [make.category(short_name, name=name) for short_name, name in
                  (("b", "beta"), ("a", "Alpha"), ("g", "gamma"), ("e", "Empty"))]
    projects = [make.project(owner, f"p{number}", category_id=None if number % 7 == 0 else categories[number % 3].id,
                             featured=number % 9 == 0, published=number % 11 != 5, private=number % 13 == 6,
                             info={"thumbnail": f"{number}.png", "task_presenter": "<p>secret</p>"})
                for number in range(100)]
    # The most active include projects past their category's first 20.
    for number, count in ((99, 4), (3, 3), (68, 2), (40, 1), (12, 1)):
        answers(make, projects[number], make.user(), count)

    dbsession.expunge_all()
    queries.statements.clear()
    body = testapp.get("/", headers=JSON).json
    # The test's own answers are in the transaction: PostgreSQL counts them first (SET CONSTRAINTS).
    assert len(queries.statements) == (6 if backend == "postgresql" else 5), queries.statements

    listed = sa.select(Project.short_name).where(Project.published.is_(True), Project.private.is_(False)).order_by(Project.id)
    used = dbsession.scalars(sa.select(Category.short_name).where(
        sa.exists().where(Project.category_id == Category.id, Project.published.is_(True), Project.private.is_(False))
    ).order_by(Category.name)).all()
    expected = {short_name: dbsession.scalars(listed.join(Category).where(Category.short_name == short_name).limit(20)).all()
                for short_name in used}
    expected["uncategorised"] = dbsession.scalars(listed.where(Project.category_id.is_(None)).limit(20)).all()
    expected = {"featured": dbsession.scalars(listed.where(Project.featured.is_(True))).all(), **expected}
    assert [category["short_name"] for category in body["categories"]] == list(expected) == [
        "featured", "a", "b", "g", "uncategorised"]
    assert {short_name: [card["short_name"] for card in cards] for short_name, cards in body["categories_projects"].items()} == expected
    assert [card["short_name"] for card in body["top_projects"]] == most_active_recounted(dbsession) == [
        "p99", "p3", "p68", "p12"]
    top = body["top_projects"][0]
    assert (top["info"], top["n_tasks"], top["n_volunteers"], top["overall_progress"]) == ({"thumbnail": "99.png"}, 4, 1, 0)
    # Featured, and past its category's first 20.
    assert body["categories_projects"]["featured"][-1] == top and "p99" not in expected["b"]

    # The same statements after a write, and none for a warm page (HTML or JSON).
    make.task_run(make.task(projects[1]), make.user())
    dbsession.expunge_all()
    queries.statements.clear()
    assert testapp.get("/", headers={"Accept": "text/html"}).html.find("ol", class_="top-users") is not None
    assert len(queries.statements) == (6 if backend == "postgresql" else 5), queries.statements
    queries.statements.clear()
    testapp.get("/", headers=JSON)
    assert queries.statements == []


# -- leaderboard ----------------------------------------------------------------------------


@pytest.fixture
def crowd(make):
    """25 volunteers with 30 down to 6 answers (``v0`` best), and the ranks they hold."""
    owner = make.user("owner")
    project = make.project(owner)
    tasks = [make.task(project) for _ in range(30)]
    volunteers = []
    for number in range(25):
        volunteer = make.user(f"v{number}", passwd_hash=PASSWORD_HASH)
        for task in tasks[: 30 - number]:
            make.task_run(task, volunteer)
        volunteers.append(volunteer)
    return volunteers


def test_leaderboard_shows_the_top_20_to_everyone(visitor, crowd):
    body = visitor.get("/leaderboard/", headers=JSON).json
    assert body["title"] == "Community Leaderboard" and body["template"] == "/stats/index.html"
    ranked = [(u["name"], u["rank"], u["score"]) for u in body["top_users"]]
    # A signed-in visitor without answers is appended with the rank after all who answered.
    if len(ranked) == 21:
        assert ranked.pop()[1:] == (26, 0)
    assert ranked == [(f"v{n}", n + 1, 30 - n) for n in range(20)]
    assert all(set(user) == LEADER_KEYS for user in body["top_users"])


def test_leaderboard_appends_the_signed_in_user_outside_the_top_with_their_rank(testapp, crowd):
    sign_in(testapp, crowd[23])
    top = testapp.get("/leaderboard", headers=JSON).json["top_users"]
    assert len(top) == 21 and (top[-1]["name"], top[-1]["rank"], top[-1]["score"]) == ("v23", 24, 7)


def test_leaderboard_window_shows_the_users_around_the_signed_in_user(testapp, crowd):
    sign_in(testapp, crowd[22])
    top = testapp.get("/leaderboard/window/2", headers=JSON).json["top_users"]
    assert [(u["name"], u["rank"]) for u in top[20:]] == [(f"v{n}", n + 1) for n in range(20, 25)]
    # The window never repeats the top 20.
    sign_in(testapp, crowd[20])
    top = testapp.get("/leaderboard/window/3", headers=JSON).json["top_users"]
    assert [(u["name"], u["rank"]) for u in top[20:]] == [("v20", 21), ("v21", 22), ("v22", 23), ("v23", 24)]


def test_leaderboard_window_of_a_user_without_answers_shows_those_just_above(testapp, make, crowd):
    newcomer = make.user("newcomer", passwd_hash=PASSWORD_HASH)
    sign_in(testapp, newcomer)
    top = testapp.get("/leaderboard/window/2", headers=JSON).json["top_users"]
    assert [(u["name"], u["rank"], u["score"]) for u in top[20:]] == [("v23", 24, 7), ("v24", 25, 6), ("newcomer", 26, 0)]


def test_leaderboard_window_of_a_user_without_answers_on_a_small_site_adds_only_them(testapp, make):
    volunteer = make.user("volunteer")
    make.task_run(make.task(make.project(volunteer)), volunteer)
    sign_in(testapp, make.user("newcomer", passwd_hash=PASSWORD_HASH))
    top = testapp.get("/leaderboard/window/3", headers=JSON).json["top_users"]
    assert [(u["name"], u["rank"], u["score"]) for u in top] == [("volunteer", 1, 1), ("newcomer", 2, 0)]


def test_leaderboard_window_of_a_user_in_the_top_adds_nobody(testapp, crowd):
    sign_in(testapp, crowd[3])
    top = testapp.get("/leaderboard/window/5", headers=JSON).json["top_users"]
    assert [u["name"] for u in top] == [f"v{n}" for n in range(20)]


# -- announcements --------------------------------------------------------------------------


def test_announcements_lists_the_published_ones_newest_first(visitor, make, dbsession):
    admin = make.admin("boss")
    now = utcnow()
    for title, published, age in (("old", True, 2), ("draft", False, 1), ("new", True, 0)):
        dbsession.add(Announcement(title=title, body=f"{title} body", published=published, user_id=admin.id,
                                   created=now - datetime.timedelta(days=age)))
    dbsession.flush()
    body = visitor.get("/announcements/", headers=JSON).json
    assert {"announcements", "csrf", "template", "title"} <= set(body) and body["csrf"]
    assert [(a["title"], a["body"], a["published"], a["user_id"]) for a in body["announcements"]] == [
        ("new", "new body", True, admin.id), ("old", "old body", True, admin.id)
    ]
    assert set(body["announcements"][0]) == {
        "body", "created", "id", "media_url", "published", "title", "updated", "user_id"
    }


# -- help -----------------------------------------------------------------------------------


def test_help_api_names_a_published_project_for_the_examples(visitor, make):
    assert visitor.get("/help/api", headers=JSON).json == {"project_id": None, "template": "help/api.html",
                                                            "title": "API Help"}
    owner = make.user("owner")
    make.project(owner, "draft", published=False)
    birds = make.project(owner, "birds")
    make.project(owner, "stars")
    assert visitor.get("/help/api", headers=JSON).json["project_id"] == birds.id


@pytest.mark.parametrize(("path", "template", "title", "words"), [
    ("/help/privacy", "help/privacy.html", "Privacy Policy", "privacy mode"),
    ("/help/cookies-policy", "help/cookies_policy.html", "Help: Cookies Policy", "session cookie"),
    ("/help/terms-of-use", "help/tos.html", "Help: Terms of Use", "By contributing to PYBOSSA"),
])
def test_help_pages_give_their_text_as_simple_html(visitor, path, template, title, words):
    body = visitor.get(path, headers=JSON).json
    assert set(body) == {"content", "template", "title"}
    assert (body["template"], body["title"]) == (template, title)
    assert body["content"].startswith("<html><body><p>") and words in body["content"]
