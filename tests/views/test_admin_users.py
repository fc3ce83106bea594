"""``/admin/users``: listing admins, finding users, granting and revoking admin rights."""
from __future__ import annotations

from pybossa_core.models import User
from tests.views.admin_fixtures import JSON, post

USER_KEYS = {
    "admin", "api_key", "category", "ckan_api", "confirmation_email_sent", "created", "email_addr", "facebook_user_id",
    "flags", "fullname", "google_user_id", "id", "info", "locale", "name", "newsletter_prompted", "passwd_hash",
    "privacy_mode", "pro", "subscribed", "twitter_user_id", "valid_email",
}


def test_the_list_shows_every_admin(testapp, make, boss):
    other = make.user("second", fullname="Second Admin", admin=True, info={"avatar": "a.png", "twitter_token": {"t": 1}})
    make.user("plain")
    body = testapp.get("/admin/users", headers=JSON).json
    assert body["template"] == "/admin/users.html" and body["title"] == "Manage Admin Users"
    assert body["form"] == {"csrf": body["form"]["csrf"], "errors": {}, "user": None} and body["found"] == []
    assert [user["id"] for user in body["users"]] == [boss.id, other.id]
    shown = body["users"][1]
    assert set(shown) == USER_KEYS
    assert (shown["name"], shown["email_addr"], shown["admin"], shown["info"]) == ("second", "second@example.com", True, {"avatar": "a.png"})
    assert shown["api_key"] == other.api_key and shown["created"] == other.created.isoformat()


def test_search_finds_users_by_name_or_email(testapp, make, boss):
    jane = make.user("janedoe", fullname="Jane Doe")
    mail = make.user("other", email_addr="jane@example.org")
    make.user("nobody")
    body = post(testapp, "/admin/users", {"user": "JANE"}).json
    assert [user["id"] for user in body["found"]] == [jane.id, mail.id]
    assert body["form"]["user"] == "JANE" and body["form"]["errors"] == {} and "flash" not in body
    assert body["found"][0]["fullname"] == "Jane Doe" and body["found"][0]["admin"] is False
    assert post(testapp, "/admin/users", {"user": "boss"}).json["found"] == []


def test_search_without_matches_says_so(testapp, boss):
    body = post(testapp, "/admin/users", {"user": "<zz>"}).json
    assert body["found"] == [] and body["status"] == "info"
    assert body["flash"] == "<strong>Ooops!</strong> We didn't find a user matching your query: <strong>&lt;zz&gt;</strong>"


def test_add_and_del_change_admin_rights(testapp, dbsession, make, boss):
    jane = make.user("janedoe")
    csrf = testapp.get("/admin/users", headers=JSON).json["form"]["csrf"]
    assert testapp.get(f"/admin/users/add/{jane.id}", headers={**JSON, "X-CSRFToken": csrf}).json == {"next": "/admin/users"}
    dbsession.expire_all()
    assert dbsession.get(User, jane.id).admin is True
    assert [user["id"] for user in testapp.get("/admin/users", headers=JSON).json["users"]] == [boss.id, jane.id]
    assert post(testapp, f"/admin/users/del/{jane.id}").json == {"next": "/admin/users"}
    dbsession.expire_all()
    assert dbsession.get(User, jane.id).admin is False
    assert post(testapp, f"/admin/users/add/{jane.id}").json == {"next": "/admin/users"}
    dbsession.expire_all()
    assert dbsession.get(User, jane.id).admin is True
    testapp.get("/admin/users/add/999999", headers={**JSON, "X-CSRFToken": csrf}, status=404)


def test_granting_by_a_get_without_the_token_in_its_header_changes_nothing(testapp, dbsession, make, boss):
    """A link, or a script of an owner's presenter asking for JSON, sets no header: neither grants anything."""
    jane = make.user("janedoe")
    csrf = testapp.get("/admin/users", headers=JSON).json["form"]["csrf"]
    for headers in ({"Accept": "text/html"}, JSON, {**JSON, "X-CSRFToken": "wrong"}):
        for url in (f"/admin/users/add/{jane.id}", f"/admin/users/add/{jane.id}?csrf_token={csrf}"):
            body = testapp.get(url, headers=headers, status=400).json
            assert body == {"code": 400, "description": "CSRF token missing or incorrect.", "template": "400.html"}
    testapp.get(f"/admin/users/del/{boss.id}", headers=JSON, status=400)
    dbsession.expire_all()
    assert dbsession.get(User, jane.id).admin is False and dbsession.get(User, boss.id).admin is True
