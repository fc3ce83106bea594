"""``/admin/categories``: listing, adding, renaming and deleting categories."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from pybossa_core.models import Category, Project
from tests.views.admin_fixtures import JSON, post


@pytest.fixture
def art(make):
    """Two categories; Art has two published projects and a draft."""
    owner = make.user("painter")
    art = make.category("art", name="Art", description="Art projects")
    make.category("social", name="Social", description="Social projects")
    for short_name, published in (("paint", True), ("draw", True), ("sketch", False)):
        make.project(owner, short_name, category_id=art.id, published=published)
    return art


def _rows(dbsession):
    dbsession.expire_all()
    return dbsession.execute(sa.select(Category.id, Category.name, Category.short_name, Category.description)).all()


def test_the_list_counts_published_projects_per_category(testapp, art, boss):
    body = testapp.get("/admin/categories", headers=JSON).json
    assert body["template"] == "admin/categories.html" and body["title"] == "Categories"
    assert body["form"] == {"csrf": body["form"]["csrf"], "description": None, "errors": {}, "id": None, "name": None}
    assert body["categories"][0] == {
        "created": art.created.isoformat(), "description": "Art projects", "id": art.id, "name": "Art", "short_name": "art",
    }
    assert [category["short_name"] for category in body["categories"]] == ["art", "social"]
    assert body["n_projects_per_category"] == {"art": 2, "social": 0}


def test_post_adds_a_category(testapp, dbsession, art, boss):
    body = post(testapp, "/admin/categories", {"name": "Citizen Science", "description": "new"}).json
    assert body["flash"] == "Category added" and body["status"] == "success"
    assert body["form"] == {"csrf": body["form"]["csrf"], "description": "new", "errors": {}, "name": "Citizen Science"}
    assert body["n_projects_per_category"] == {"art": 2, "citizenscience": 0, "social": 0}
    stored = dbsession.scalars(sa.select(Category).where(Category.short_name == "citizenscience")).one()
    assert (stored.name, stored.description) == ("Citizen Science", "new")
    assert body["categories"][1]["id"] == stored.id


@pytest.mark.parametrize(
    ("form", "errors"),
    [
        ({"name": "art", "description": "x"}, {"name": ["Name is already taken."]}),
        ({"name": "So cial", "description": "x"}, {"name": ["Short Name is already taken."]}),
        ({"name": " ", "description": ""}, {"description": ["This field is required."], "name": ["This field is required."]}),
    ],
)
def test_post_with_errors_adds_nothing(testapp, dbsession, art, boss, form, errors):
    before = _rows(dbsession)
    body = post(testapp, "/admin/categories", form).json
    assert body["form"]["errors"] == errors and body["flash"] == "Please correct the errors" and body["status"] == "error"
    assert _rows(dbsession) == before


def test_update_renames_a_category(testapp, dbsession, art, boss):
    url = f"/admin/categories/update/{art.id}"
    body = testapp.get(url, headers=JSON).json
    assert body["template"] == "admin/update_category.html" and body["title"] == "Update Category"
    assert body["category"]["short_name"] == "art"
    assert body["form"] == {"csrf": body["form"]["csrf"], "description": "Art projects", "errors": {}, "id": art.id, "name": "Art"}
    assert post(testapp, url, {"name": "ART", "description": "Fine arts"}).json == {
        "flash": "Category updated", "next": "/admin/categories", "status": "success",
    }
    dbsession.expire_all()
    assert (art.name, art.short_name, art.description) == ("ART", "art", "Fine arts")


def test_update_with_a_taken_name_changes_nothing(testapp, dbsession, art, boss):
    before = _rows(dbsession)
    body = post(testapp, f"/admin/categories/update/{art.id}", {"name": "Social", "description": "x"}).json
    assert body["form"]["errors"] == {"name": ["Name is already taken."]} and body["form"]["id"] == art.id
    assert body["status"] == "error" and body["template"] == "admin/update_category.html"
    assert _rows(dbsession) == before
    testapp.get("/admin/categories/update/999999", headers=JSON, status=404)


def test_delete_removes_a_category_and_leaves_its_projects_without_one(testapp, dbsession, art, boss):
    url = f"/admin/categories/del/{art.id}"
    body = testapp.get(url, headers=JSON).json
    assert body["template"] == "admin/del_category.html" and body["title"] == "Delete Category"
    assert body["category"]["id"] == art.id and set(body["form"]) == {"csrf"}
    assert post(testapp, url).json == {"flash": "Category deleted", "next": "/admin/categories", "status": "success"}
    dbsession.expire_all()
    assert dbsession.get(Category, art.id) is None
    assert set(dbsession.scalars(sa.select(Project.category_id))) == {None}
    post(testapp, url, status=404)


def test_the_only_category_cannot_be_deleted(testapp, dbsession, make, boss):
    only = make.category("only")
    body = post(testapp, f"/admin/categories/del/{only.id}").json
    assert body["status"] == "warning" and body["next"] == "/admin/categories"
    assert body["flash"].startswith("Sorry, it is not possible to delete the only available category.")
    dbsession.expire_all()
    assert dbsession.get(Category, only.id) is not None
