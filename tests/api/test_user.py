"""/api/user: privacy for others, everything for oneself and admins, no escalation."""
from __future__ import annotations

from pybossa_core.models import User


def test_others_see_only_name_and_locale(testapp, make):
    user = make.user("ada")
    assert testapp.get(f"/api/user/{user.id}").json == {"name": "ada", "locale": "en"}
    other = make.user()
    assert testapp.get(f"/api/user/{user.id}", {"api_key": other.api_key}).json == {"name": "ada", "locale": "en"}


def test_privacy_mode_off_also_shows_fullname_and_created(testapp, make):
    user = make.user("grace", privacy_mode=False)
    body = testapp.get(f"/api/user/{user.id}").json
    assert set(body) == {"name", "locale", "fullname", "created"}


def test_own_and_admin_views_show_everything_but_the_password(testapp, make):
    user = make.user(passwd_hash="secret-hash")
    own = testapp.get(f"/api/user/{user.id}", {"api_key": user.api_key}).json
    assert own["api_key"] == user.api_key and own["email_addr"] == user.email_addr and own["id"] == user.id
    assert "passwd_hash" not in own
    admin = make.admin()
    assert testapp.get(f"/api/user/{user.id}", {"api_key": admin.api_key}).json["email_addr"] == user.email_addr


def test_only_admins_find_users_by_email(testapp, make):
    user = make.user()
    testapp.get("/api/user", {"email_addr": user.email_addr}, status=415)
    testapp.get("/api/user", {"email_addr": user.email_addr, "api_key": make.user().api_key}, status=415)
    found = testapp.get("/api/user", {"email_addr": user.email_addr, "api_key": make.admin().api_key}).json
    assert [item["id"] for item in found] == [user.id]
    assert testapp.get("/api/user", {"name": user.name}).json == [{"name": user.name, "locale": "en"}]


def test_nobody_creates_or_deletes_users(testapp, make, dbsession):
    admin = make.admin()
    testapp.post_json("/api/user", {"name": "new", "fullname": "N", "email_addr": "n@x.org"}, status=401)
    testapp.post_json(f"/api/user?api_key={admin.api_key}", {"name": "new", "fullname": "N", "email_addr": "n@x.org"}, status=403)
    testapp.delete(f"/api/user/{admin.id}?api_key={admin.api_key}", status=403)
    assert dbsession.query(User).count() == 1


def test_users_update_themselves_but_never_escalate(testapp, make, dbsession):
    user, other = make.user(), make.user()
    url = f"/api/user/{user.id}"
    testapp.put_json(url, {"fullname": "X"}, status=401)
    testapp.put_json(f"{url}?api_key={other.api_key}", {"fullname": "X"}, status=403)
    for planted in ({"admin": True}, {"pro": True}, {"passwd_hash": "x"}, {"api_key": "x"}, {"valid_email": True}):
        testapp.put_json(f"{url}?api_key={user.api_key}", planted, status=415)
    body = testapp.put_json(f"{url}?api_key={user.api_key}", {"fullname": "New Name", "locale": "es"}).json
    assert (body["fullname"], body["locale"]) == ("New Name", "es")
    dbsession.expire_all()
    stored = dbsession.get(User, user.id)
    assert (stored.admin, stored.pro, stored.fullname) == (False, False, "New Name")


def test_taken_user_name_is_refused(testapp, make):
    user, other = make.user(), make.user()
    body = testapp.put_json(f"/api/user/{user.id}?api_key={user.api_key}", {"name": other.name}, status=415).json
    assert body["exception_cls"] == "DBIntegrityError"
