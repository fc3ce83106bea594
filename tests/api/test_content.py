"""Categories, announcements (admins), blog posts, helping materials and pages (project owners), globalstats."""
from __future__ import annotations

from pybossa_core.models import Blogpost, Category


def test_categories_are_admin_only(testapp, make, dbsession):
    user, admin = make.user(), make.admin()
    body = {"name": "Science", "short_name": "science", "description": "s"}
    testapp.post_json("/api/category", body, status=401)
    testapp.post_json(f"/api/category?api_key={user.api_key}", body, status=403)
    created = testapp.post_json(f"/api/category?api_key={admin.api_key}", body).json
    testapp.post_json(f"/api/category?api_key={admin.api_key}", body, status=415)
    updated = testapp.put_json(f"/api/category/{created['id']}?api_key={admin.api_key}", {**created, "description": "new"}).json
    assert updated["description"] == "new"
    assert testapp.get("/api/category").json[0]["short_name"] == "science"
    testapp.delete(f"/api/category/{created['id']}?api_key={user.api_key}", status=403)
    testapp.delete(f"/api/category/{created['id']}?api_key={admin.api_key}", status=204)
    assert dbsession.query(Category).count() == 0


def test_deleting_a_category_keeps_its_projects(testapp, make, dbsession):
    admin = make.admin()
    category = make.category()
    project = make.project(admin, category_id=category.id)
    testapp.delete(f"/api/category/{category.id}?api_key={admin.api_key}", status=204)
    dbsession.expire_all()
    assert testapp.get(f"/api/project/{project.id}").json["category_id"] is None


def test_announcements_admins_write_everyone_reads_published(testapp, make, dbsession):
    admin, user = make.admin(), make.user()
    testapp.post_json(f"/api/announcement?api_key={user.api_key}", {"title": "t"}, status=403)
    draft = testapp.post_json(f"/api/announcement?api_key={admin.api_key}", {"title": "draft", "body": "b"}).json
    live = testapp.post_json(f"/api/announcement?api_key={admin.api_key}", {"title": "live", "published": True}).json
    assert draft["user_id"] == admin.id
    assert [item["id"] for item in testapp.get("/api/announcement").json] == [live["id"]]
    testapp.get(f"/api/announcement/{draft['id']}", status=404)
    assert len(testapp.get("/api/announcement", {"api_key": admin.api_key}).json) == 2


def test_blogposts_are_written_and_signed_by_owners(testapp, make, dbsession):
    owner, other = make.user(), make.user()
    project = make.project(owner)
    testapp.post_json(f"/api/blogpost?api_key={other.api_key}", {"project_id": project.id, "title": "t"}, status=403)
    testapp.post_json(f"/api/blogpost?api_key={owner.api_key}", {"project_id": project.id, "title": "t", "user_id": other.id}, status=415)
    body = testapp.post_json(f"/api/blogpost?api_key={owner.api_key}", {"project_id": project.id, "title": "News", "body": "x"}).json
    assert body["user_id"] == owner.id and body["published"] is True
    assert dbsession.get(Blogpost, body["id"]).title == "News"
    draft = testapp.post_json(f"/api/blogpost?api_key={owner.api_key}",
                              {"project_id": project.id, "title": "Draft", "published": False}).json
    assert draft["published"] is False
    shown = testapp.get(f"/project/{project.short_name}/blog", headers={"Accept": "application/json"}).json
    assert [post["title"] for post in shown["blogposts"]] == ["News"]


def test_helping_materials_and_pages_belong_to_owners(testapp, make):
    owner, other = make.user(), make.user()
    project = make.project(owner)
    material = testapp.post_json(f"/api/helpingmaterial?api_key={owner.api_key}", {"project_id": project.id, "info": {"text": "look"}}).json
    testapp.put_json(f"/api/helpingmaterial/{material['id']}?api_key={other.api_key}", {"info": {}}, status=403)
    assert testapp.get("/api/helpingmaterial", {"project_id": project.id}).json[0]["info"] == {"text": "look"}
    page = testapp.post_json(f"/api/page?api_key={owner.api_key}", {"project_id": project.id, "slug": "about"}).json
    testapp.post_json(f"/api/page?api_key={owner.api_key}", {"project_id": project.id, "slug": "bad slug"}, status=415)
    testapp.delete(f"/api/page/{page['id']}?api_key={owner.api_key}", status=204)


def test_globalstats_counts_and_is_read_only(testapp, make):
    owner = make.user()
    category = make.category("science")
    task = make.task(make.project(owner, category_id=category.id))
    make.project(owner, published=False)
    make.task_run(task, owner)
    assert testapp.get("/api/globalstats").json == {
        "n_projects": 1, "n_users": 1, "n_task_runs": 1, "categories": [{"science": 1}],
    }
    assert testapp.post_json("/api/globalstats", {}, status=405).json["exception_cls"] == "MethodNotAllowed"
