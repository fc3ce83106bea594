"""Who may use the admin views: admins only; anonymous visitors are sent to sign in; every write needs the CSRF token."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from pybossa_core.models import Announcement, Category, Project, User
from tests.views.admin_fixtures import JSON, as_user, post

GET_PATHS = [
    "/admin/announcement", "/admin/announcement/new", "/admin/announcement/{announcement}/update",
    "/admin/users", "/admin/users/add/{user}", "/admin/users/del/{user}", "/admin/categories",
    "/admin/categories/del/{category}", "/admin/categories/update/{category}", "/admin/featured",
    "/admin/", "/admin/dashboard/", "/admin/plugins",
]
POST_PATHS = [
    "/admin/announcement/new", "/admin/announcement/{announcement}/update", "/admin/announcement/{announcement}/delete",
    "/admin/users", "/admin/users/add/{user}", "/admin/users/del/{user}", "/admin/categories",
    "/admin/categories/del/{category}", "/admin/categories/update/{category}", "/admin/featured/{project}",
]
CHANGES = {"title": "Changed", "body": "Changed", "name": "Changed", "description": "Changed", "user": "plain"}


@pytest.fixture
def rows(make):
    owner = make.user("plain")
    category = make.category("art", name="Art", description="Art projects")
    make.category("social", name="Social", description="Social projects")
    project = make.project(owner, "paint", category_id=category.id)
    announcement = Announcement(title="Hello", body="World", published=True)
    make.session.add(announcement)
    make.session.flush()
    return {"user": owner.id, "category": category.id, "project": project.id, "announcement": announcement.id}


def _state(dbsession):
    dbsession.expire_all()
    return (
        dbsession.execute(sa.select(Announcement.id, Announcement.title, Announcement.body)).all(),
        dbsession.execute(sa.select(Category.id, Category.name, Category.description)).all(),
        dbsession.execute(sa.select(User.id, User.admin)).all(),
        dbsession.execute(sa.select(Project.id, Project.featured)).all(),
    )


@pytest.mark.parametrize("path", GET_PATHS)
def test_anonymous_visitors_are_sent_to_sign_in(testapp, rows, path):
    url = path.format(**rows)
    body = testapp.get(url, headers=JSON, status=302).json
    assert body == {"next": f"/account/signin?next={url.replace('/', '%2F')}", "status": "not_signed_in"}


@pytest.mark.parametrize("path", POST_PATHS)
def test_anonymous_writes_change_nothing(testapp, dbsession, rows, path):
    before = _state(dbsession)
    assert post(testapp, path.format(**rows), CHANGES, status=302).json["status"] == "not_signed_in"
    assert _state(dbsession) == before


@pytest.mark.parametrize("path", GET_PATHS)
def test_users_who_are_not_admins_are_refused(testapp, make, dbsession, rows, path):
    as_user(testapp, make, "volunteer")
    before = _state(dbsession)
    testapp.get(path.format(**rows), headers=JSON, status=403)
    assert _state(dbsession) == before


@pytest.mark.parametrize("path", POST_PATHS)
def test_writes_of_users_who_are_not_admins_change_nothing(testapp, make, dbsession, rows, path):
    as_user(testapp, make, "volunteer")
    before = _state(dbsession)
    post(testapp, path.format(**rows), CHANGES, status=403)
    testapp.delete(f"/admin/featured/{rows['project']}", headers=JSON, status=400)
    assert _state(dbsession) == before


@pytest.mark.parametrize("path", POST_PATHS)
def test_admin_writes_without_the_csrf_token_change_nothing(testapp, make, dbsession, rows, path):
    as_user(testapp, make, "boss", admin=True)
    before = _state(dbsession)
    for token in (None, "wrong"):
        headers = {**JSON, **({"X-CSRFToken": token} if token else {})}
        body = testapp.post_json(path.format(**rows), CHANGES, headers=headers, status=400).json
        assert body == {"code": 400, "description": "CSRF token missing or incorrect.", "template": "400.html"}
    testapp.delete(f"/admin/featured/{rows['project']}", headers={**JSON, "X-CSRFToken": "wrong"}, status=400)
    assert _state(dbsession) == before
