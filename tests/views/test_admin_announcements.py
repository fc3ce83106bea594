"""``/admin/announcement``: listing, writing, editing and deleting the site's announcements."""
from __future__ import annotations

import sqlalchemy as sa

from pybossa_core.models import Announcement
from tests.views.admin_fixtures import JSON, post


def _announcement(make, author, title, published=True):
    announcement = Announcement(title=title, body=f"{title} body", published=published, user_id=author.id)
    make.session.add(announcement)
    make.session.flush()
    return announcement


def test_the_list_shows_every_announcement_newest_first(testapp, make, boss):
    old = _announcement(make, boss, "Old")
    draft = _announcement(make, boss, "Draft", published=False)
    body = testapp.get("/admin/announcement", headers=JSON).json
    assert body["template"] == "admin/announcement.html" and body["title"] == "Manage global Announcements"
    assert body["csrf"] == testapp.get("/admin/announcement/new", headers=JSON).json["form"]["csrf"]
    assert [item["id"] for item in body["announcements"]] == [draft.id, old.id]
    assert body["announcements"][1] == {
        "body": "Old body", "created": old.created.isoformat(), "id": old.id, "media_url": None, "published": True,
        "title": "Old", "updated": old.updated.isoformat(), "user_id": boss.id,
    }


def test_new_shows_an_empty_form(testapp, boss):
    body = testapp.get("/admin/announcement/new", headers=JSON).json
    assert body == {
        "form": {"body": None, "csrf": body["form"]["csrf"], "errors": {}, "media_url": None, "published": True, "title": None},
        "template": "admin/new_announcement.html",
        "title": "Write a new post",
    }


def test_new_creates_an_announcement(testapp, dbsession, boss):
    body = post(testapp, "/admin/announcement/new", {"title": "News", "body": "Big news", "published": True}).json
    assert body == {"flash": '<i class="icon-ok"></i> Annnouncement created!', "next": "/admin/announcement", "status": "success"}
    stored = dbsession.scalars(sa.select(Announcement)).one()
    assert (stored.title, stored.body, stored.published, stored.user_id) == ("News", "Big news", True, boss.id)
    assert testapp.get("/announcements/", headers=JSON).json["announcements"][0]["title"] == "News"


def test_new_with_an_empty_title_shows_the_errors_and_creates_nothing(testapp, dbsession, boss):
    body = post(testapp, "/admin/announcement/new", {"title": "  ", "body": "Text"}).json
    assert body["flash"] == "Please correct the errors" and body["status"] == "error"
    assert body["form"]["errors"] == {"title": ["This field is required."]}
    assert body["form"]["body"] == "Text" and body["template"] == "admin/new_announcement.html"
    assert dbsession.scalar(sa.select(sa.func.count(Announcement.id))) == 0


def test_update_shows_and_changes_the_announcement(testapp, dbsession, make, boss):
    announcement = _announcement(make, boss, "Old")
    url = f"/admin/announcement/{announcement.id}/update"
    body = testapp.get(url, headers=JSON).json
    assert body == {
        "form": {"body": "Old body", "csrf": body["form"]["csrf"], "errors": {}, "id": announcement.id,
                 "media_url": None, "published": True, "title": "Old"},
        "template": "admin/new_announcement.html",
        "title": "Edit a post",
    }
    body = post(testapp, url, {"title": "New", "body": "New body", "published": False}).json
    assert body == {"flash": '<i class="icon-ok"></i> Announcement updated!', "next": "/admin/announcement", "status": "success"}
    dbsession.expire_all()
    assert (announcement.title, announcement.body, announcement.published) == ("New", "New body", False)


def test_update_with_errors_changes_nothing(testapp, dbsession, make, boss):
    announcement = _announcement(make, boss, "Old")
    body = post(testapp, f"/admin/announcement/{announcement.id}/update", {"title": "", "body": ""}).json
    assert body["form"]["errors"] == {"body": ["This field is required."], "title": ["This field is required."]}
    assert body["form"]["id"] == announcement.id and body["status"] == "error"
    dbsession.expire_all()
    assert (announcement.title, announcement.body) == ("Old", "Old body")
    testapp.get("/admin/announcement/999999/update", headers=JSON, status=404)


def test_delete_removes_the_announcement(testapp, dbsession, make, boss):
    announcement = _announcement(make, boss, "Old")
    testapp.get(f"/admin/announcement/{announcement.id}/delete", headers=JSON, status=405)
    body = post(testapp, f"/admin/announcement/{announcement.id}/delete").json
    assert body == {"flash": '<i class="icon-ok"></i> Announcement deleted!', "next": "/admin/announcement", "status": "success"}
    assert dbsession.scalar(sa.select(sa.func.count(Announcement.id))) == 0
    post(testapp, f"/admin/announcement/{announcement.id}/delete", status=404)
