"""``/project/category/...``: a category's projects, the featured projects and the drafts, paged and ordered."""
from __future__ import annotations

import pytest

from tests.views.conftest import sign_in
from tests.views.project_fixtures import JSON, as_user

INDEX_KEYS = {"active_cat", "categories", "pagination", "projects", "template", "title"}
LISTED_KEYS = {
    "created", "description", "id", "info", "last_activity", "last_activity_raw", "n_tasks", "n_volunteers", "name",
    "overall_progress", "owner", "short_name", "updated",
}
FEATURED = {"created": None, "description": "Featured projects", "id": None, "name": "Featured", "short_name": "featured"}


@pytest.fixture
def science(make, member):
    """A category with two published projects of ``member`` and one draft."""
    category = make.category("science", name="Science", description="Science projects")
    big = make.project(member, "stars", name="Stars", category_id=category.id, info={"thumbnail": "s.png"})
    small = make.project(member, "frogs", name="Frogs", category_id=category.id, featured=True)
    for _ in range(3):
        make.task(big)
    done = make.task(small, n_answers=1)
    make.task_run(done, make.user("alice"))
    make.task_run(done, None, user_ip="10.0.0.x")
    done.state = "completed"
    make.project(member, "hidden", name="Hidden", category_id=category.id, published=False)
    return category


def test_category_lists_its_published_projects(testapp, make, science):
    other = make.category("art", name="Art")
    make.project(make.user("painter"), "paint", category_id=other.id)
    body = testapp.get("/project/category/science/", headers=JSON).json
    assert set(body) == INDEX_KEYS and body["template"] == "/projects/index.html" and body["title"] == "Projects"
    assert body["active_cat"] == {"created": body["active_cat"]["created"], "description": "Science projects",
                                  "id": science.id, "name": "Science", "short_name": "science"}
    assert [cat["short_name"] for cat in body["categories"]] == ["featured", "science", "art"]
    assert body["categories"][0] == FEATURED
    assert body["pagination"] == {"page": 1, "per_page": 20, "total": 2, "next": False, "prev": False}
    stars, frogs = body["projects"]
    assert set(stars) == LISTED_KEYS and stars["owner"] == "Member One"
    assert (stars["short_name"], stars["n_tasks"], stars["n_volunteers"], stars["overall_progress"]) == ("stars", 3, 0, 0)
    assert stars["info"] == {"container": None, "thumbnail": "s.png"} and stars["last_activity_raw"] is None
    assert (frogs["short_name"], frogs["n_tasks"], frogs["n_volunteers"], frogs["overall_progress"]) == ("frogs", 1, 2, 100)
    assert frogs["last_activity"] == "just now" and frogs["last_activity_raw"] is not None


def test_orderby_and_desc_sort_the_listing(testapp, science):
    def names(query):
        return [project["short_name"] for project in testapp.get(f"/project/category/science/?{query}", headers=JSON).json["projects"]]

    assert names("orderby=n_tasks") == ["frogs", "stars"]
    assert names("orderby=n_tasks&desc=True") == ["stars", "frogs"]
    assert names("orderby=n_volunteers&desc=1") == ["frogs", "stars"]
    assert names("orderby=name") == ["frogs", "stars"]


def test_bad_orderby_unknown_category_and_pages_past_the_end(testapp, science):
    body = testapp.get("/project/category/science/?orderby=secret_key", headers=JSON, status=400).json
    assert body["code"] == 400
    testapp.get("/project/category/featured/?orderby=owner_id", headers=JSON, status=400)
    testapp.get("/project/category/nothere/", headers=JSON, status=404)
    testapp.get("/project/category/science/page/2/", headers=JSON, status=404)
    testapp.get("/project/category/science/page/0/", headers=JSON, status=404)
    assert testapp.get("/project/category/science/page/1/", headers=JSON).json["pagination"]["page"] == 1


def test_pages_hold_twenty_projects(testapp, make, member):
    category = make.category("many")
    for number in range(21):
        make.project(member, f"p{number:02d}", category_id=category.id)
    first = testapp.get("/project/category/many/?orderby=short_name", headers=JSON).json
    assert len(first["projects"]) == 20 and first["pagination"]["next"] is True
    second = testapp.get("/project/category/many/page/2/?orderby=short_name", headers=JSON).json
    assert [project["short_name"] for project in second["projects"]] == ["p20"]
    assert second["pagination"] == {"page": 2, "per_page": 20, "total": 21, "next": False, "prev": True}


def test_featured_lists_featured_published_projects_to_everyone(testapp, make, member, science):
    make.project(member, "shy", featured=True, published=False)
    body = testapp.get("/project/category/featured/", headers=JSON).json
    assert body["active_cat"] == FEATURED and [p["short_name"] for p in body["projects"]] == ["frogs"]
    as_user(testapp, make, "other")
    assert testapp.get("/project/category/featured", headers=JSON).json["pagination"]["total"] == 1


def test_no_featured_entry_without_featured_projects(testapp, make, member):
    make.category("quiet")
    body = testapp.get("/project/category/quiet/", headers=JSON).json
    assert [cat["short_name"] for cat in body["categories"]] == ["quiet"] and body["projects"] == []


def test_drafts_need_a_signed_in_user(testapp, science):
    body = testapp.get("/project/category/draft/", headers=JSON, status=302).json
    assert body == {"next": "/account/signin?next=%2Fproject%2Fcategory%2Fdraft%2F", "status": "not_signed_in"}


def test_drafts_are_listed_to_their_owner_and_admins(testapp, make, member, science):
    make.project(make.user("stranger"), "theirs", published=False)
    sign_in(testapp, member)
    body = testapp.get("/project/category/draft/", headers=JSON).json
    assert body["active_cat"]["short_name"] == "draft" and body["categories"][:2] == [FEATURED, body["active_cat"]]
    assert [project["short_name"] for project in body["projects"]] == ["hidden"]
    as_user(testapp, make, "other")
    assert testapp.get("/project/category/draft/", headers=JSON).json["projects"] == []
    as_user(testapp, make, "boss", admin=True)
    body = testapp.get("/project/category/draft/?orderby=short_name", headers=JSON).json
    assert [project["short_name"] for project in body["projects"]] == ["hidden", "theirs"]
    testapp.get("/project/category/draft/?orderby=nope", headers=JSON, status=400)


def test_category_listing_is_cached_until_a_project_changes(testapp, make, member, science, queries):
    testapp.get("/project/category/science/", headers=JSON)
    queries.statements.clear()
    testapp.get("/project/category/science/", headers=JSON)
    assert not any("group by" in statement.lower() for statement in queries.statements)
    make.project(member, "newts", category_id=science.id)
    assert testapp.get("/project/category/science/", headers=JSON).json["pagination"]["total"] == 3
