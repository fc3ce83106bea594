"""``/admin/featured``: the projects of each category, featuring and un-featuring them."""
from __future__ import annotations

import pytest

from pybossa_core.models import Project
from tests.views.admin_fixtures import JSON, post

PROJECT_KEYS = {
    "allow_anonymous_contributors", "category_id", "contacted", "created", "description", "featured", "id", "info",
    "long_description", "name", "owner_id", "published", "secret_key", "short_name", "updated", "webhook",
}


@pytest.fixture
def paint(make):
    owner = make.user("painter", fullname="Pat Painter")
    art = make.category("art", name="Art", description="Art projects")
    make.category("humanities", name="Humanities")
    make.project(owner, "draft", category_id=art.id, published=False)
    return make.project(owner, "paint", name="Paint", category_id=art.id, info={"thumbnail": "p.png", "task_presenter": "<p>"})


def _delete(testapp, url, **kw):
    csrf = testapp.get("/admin/featured", headers=JSON).json["form"]["csrf"]
    return testapp.delete(url, headers={**JSON, "X-CSRFToken": csrf}, **kw)


def test_the_list_shows_published_projects_by_category(testapp, paint, boss):
    body = testapp.get("/admin/featured", headers=JSON).json
    assert body["template"] == "/admin/projects.html" and set(body["form"]) == {"csrf"}
    assert [category["short_name"] for category in body["categories"]] == ["art", "humanities"]
    assert set(body["projects"]) == {"art", "humanities"} and body["projects"]["humanities"] == []
    [listed] = body["projects"]["art"]
    assert (listed["id"], listed["owner"], listed["info"], listed["n_tasks"]) == (paint.id, "Pat Painter", {"container": None, "thumbnail": "p.png"}, 0)


def test_post_features_and_delete_unfeatures(testapp, dbsession, paint, boss):
    body = post(testapp, f"/admin/featured/{paint.id}").json
    assert set(body) == PROJECT_KEYS
    assert (body["id"], body["featured"], body["info"]["task_presenter"], body["secret_key"]) == (paint.id, True, "<p>", paint.secret_key)
    dbsession.expire_all()
    assert dbsession.get(Project, paint.id).featured is True
    featured = testapp.get("/project/category/featured/", headers=JSON).json["projects"]
    assert [project["id"] for project in featured] == [paint.id]
    body = _delete(testapp, f"/admin/featured/{paint.id}").json
    assert body["featured"] is False and body["short_name"] == "paint"
    dbsession.expire_all()
    assert dbsession.get(Project, paint.id).featured is False
    assert testapp.get("/project/category/featured/", headers=JSON).json["projects"] == []


def test_featuring_twice_or_unfeaturing_twice_is_refused(testapp, dbsession, paint, boss):
    assert _delete(testapp, f"/admin/featured/{paint.id}", status=415).json == {
        "error": f"Project.id {paint.id} is not featured", "status_code": 415,
    }
    post(testapp, f"/admin/featured/{paint.id}")
    assert post(testapp, f"/admin/featured/{paint.id}", status=415).json == {
        "error": f"Project.id {paint.id} already featured", "status_code": 415,
    }
    dbsession.expire_all()
    assert dbsession.get(Project, paint.id).featured is True
    assert post(testapp, "/admin/featured/999999", status=404).json == {"error": "Project.id 999999 not found", "status_code": 404}
