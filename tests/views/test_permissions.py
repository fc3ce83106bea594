"""The one rule of permissions (security.project_acl, account_acl): the policy's permits(), its SQL
form for lists, and every refusal through HTTP as the views answered before they declared permissions."""
from __future__ import annotations

import itertools
from types import SimpleNamespace
from urllib.parse import quote

import pytest
import sqlalchemy as sa
import webob
from pyramid.authorization import ACLAllowed, ACLDenied

from pybossa_core import security
from pybossa_core.api import callers
from pybossa_core.contexts import SiteRoot
from pybossa_core.errors import Forbidden
from pybossa_core.models import Project
from pybossa_core.services import project_passwords
from tests.views.conftest import PASSWORD_HASH, sign_in
from tests.views.project_fixtures import JSON, as_user, post


def permits(user, project, permission, unlocked=None):
    request = SimpleNamespace(identity=user)
    return security.SecurityPolicy().permits(request, security.ProjectRule(project, unlocked), permission)


@pytest.fixture
def people(make):
    owner = make.user("ruleowner", passwd_hash=PASSWORD_HASH)
    return {
        "anonymous": None,
        "owner": owner,
        "coowner": make.user("rulecoowner", passwd_hash=PASSWORD_HASH),
        "invited": make.user("ruleinvited", passwd_hash=PASSWORD_HASH),
        "stranger": make.user("rulestranger", passwd_hash=PASSWORD_HASH),
        "admin": make.user("ruleadmin", admin=True, passwd_hash=PASSWORD_HASH),
    }


def rule_project(make, people, short_name, **fields):
    owner, coowner, invited = people["owner"], people["coowner"], people["invited"]
    return make.project(owner, short_name, owners_ids=[owner.id, coowner.id], invited_ids=[invited.id], **fields)


def test_permits_answers_from_the_project_acl(make, people):
    project = rule_project(make, people, "rules", zip_download=False)
    allowed = permits(people["coowner"], project, security.MANAGE)
    assert isinstance(allowed, ACLAllowed) and allowed.permission == security.MANAGE
    denied = permits(people["coowner"], project, security.DELETE)
    assert isinstance(denied, ACLDenied) and not denied
    assert permits(people["owner"], project, security.DELETE) and permits(people["admin"], project, security.DELETE)
    assert permits(None, project, security.READ) and not permits(None, project, security.MANAGE)
    assert not permits(people["stranger"], project, security.EXPORT)
    project.zip_download = True
    assert permits(None, project, security.EXPORT)


@pytest.mark.parametrize("private", [False, True])
@pytest.mark.parametrize("published", [False, True])
def test_who_sees_views_and_reads_a_project(make, people, private, published):
    project = rule_project(make, people, "matrix", private=private, published=published)
    for name, user in people.items():
        manages = name in ("owner", "coowner", "admin")
        sees = manages or not private or name == "invited"
        assert bool(permits(user, project, security.SEE)) == sees == security.may_see_project(user, project), name
        assert bool(permits(user, project, security.VIEW)) == (manages or (sees and published)), name
        assert bool(permits(user, project, security.READ)) == (manages or (sees and published)), name
        assert bool(permits(user, project, security.MANAGE)) == manages == security.owns(user, project), name
        assert security.is_creator(user, project) == (name in ("owner", "admin")), name


def test_a_password_locks_reading_until_the_visitor_gives_it(make, people):
    project = rule_project(make, people, "locked", private=True)
    project_passwords.set_password(project, "open sesame")
    invited = people["invited"]
    assert permits(invited, project, security.VIEW) and not permits(invited, project, security.READ)
    assert not permits(invited, project, security.UNLOCKED)
    assert permits(invited, project, security.READ, unlocked=lambda found: True)
    # The unlocking never opens what the project's privacy closes, nor is it asked of owners.
    assert not permits(people["stranger"], project, security.READ, unlocked=lambda found: True)
    assert permits(people["coowner"], project, security.READ, unlocked=lambda found: False)


def test_the_sql_form_agrees_with_the_acl(make, people, dbsession):
    """visible_projects (lists) and project_acl's SEE (one project) answer alike for everyone."""
    projects = [
        rule_project(make, people, f"agree{number}", private=private, published=published)
        for number, (private, published) in enumerate(itertools.product([False, True], repeat=2))
    ]
    ids = [project.id for project in projects]
    for name, user in people.items():
        listed = set(dbsession.scalars(sa.select(Project.id).where(Project.id.in_(ids), security.visible_projects(dbsession, user))))
        assert listed == {project.id for project in projects if permits(user, project, security.SEE)}, name


def test_the_sql_form_of_passwords_agrees_with_the_acl(app, make, people, dbsession):
    """The task lists' closed_projects (SQL) and require_unlocked (the ACL's UNLOCKED) agree, the
    visitor's unlocking cookie included."""
    open_project = rule_project(make, people, "pwopen")
    unlocked_project, locked_project = rule_project(make, people, "pwunlocked"), rule_project(make, people, "pwlocked")
    for project in (unlocked_project, locked_project):
        project_passwords.set_password(project, "open sesame")
    dbsession.flush()
    settings = app.registry.settings
    for name, user in people.items():
        call = SimpleNamespace(user=user, session=dbsession, settings=settings, cookies={}, client_ip="192.0.2.1",
                               authorization=None)
        response = webob.Response()
        callers._unlocks(call).unlock({}, callers._visitor(call), unlocked_project, response)
        call.cookies = {callers.project_passwords.COOKIE: response.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]}
        closed = callers.closed_projects(call)
        ids = [open_project.id, unlocked_project.id, locked_project.id]
        listed_closed = set() if closed is None else set(dbsession.scalars(sa.select(Project.id).where(Project.id.in_(ids), Project.id.in_(closed))))
        refused = set()
        for project in (open_project, unlocked_project, locked_project):
            try:
                callers.require_unlocked(call, project)
            except Forbidden:
                refused.add(project.id)
        assert listed_closed == refused, name
        assert refused == (set() if name in ("owner", "coowner", "admin") else {locked_project.id}), name


def test_accounts_are_managed_by_their_user_and_admins(make, people):
    owner = people["owner"]
    rule = security.AccountRule(owner)
    request = SimpleNamespace
    policy = security.SecurityPolicy()
    assert policy.permits(request(identity=owner), rule, security.MANAGE_ACCOUNT)
    assert policy.permits(request(identity=people["admin"]), rule, security.MANAGE_ACCOUNT)
    assert not policy.permits(request(identity=people["stranger"]), rule, security.MANAGE_ACCOUNT)
    assert not policy.permits(request(identity=None), rule, security.MANAGE_ACCOUNT)
    # No account grants nothing, not even to admins (the view would have no user to act on).
    assert not policy.permits(request(identity=people["admin"]), security.AccountRule(None), security.MANAGE_ACCOUNT)


# -- through HTTP -----------------------------------------------------------------------------


def test_anonymous_browsers_are_sent_to_sign_in_and_json_clients_get_a_302_with_json(testapp, make, people):
    rule_project(make, people, "http")
    page = testapp.get("/project/http/settings", status=302)
    assert page.location.endswith("/account/signin?next=%2Fproject%2Fhttp%2Fsettings")
    assert "json" not in page.content_type
    answer = testapp.get("/project/http/settings?x=1", headers=JSON, status=302)
    assert answer.json == {"next": "/account/signin?next=%2Fproject%2Fhttp%2Fsettings%3Fx%3D1", "status": "not_signed_in"}
    assert answer.location.endswith(answer.json["next"])


def test_each_permission_is_refused_as_before(testapp, make, people):
    rule_project(make, people, "open", zip_download=False)
    rule_project(make, people, "draft", published=False)
    rule_project(make, people, "hidden", private=True)
    # A draft or a private project is missing to whoever may not view it, signed in or not.
    for path in ("/project/draft/", "/project/hidden/", "/project/hidden/tasks/export"):
        testapp.get(path, headers=JSON, status=404)
    # Managing: anonymous visitors sign in first, even on a draft; a missing project is 404 for all.
    assert testapp.get("/project/draft/settings", headers=JSON, status=302).json["status"] == "not_signed_in"
    testapp.get("/project/missing/settings", headers=JSON, status=404)
    # The export without zip_download: 401 to sign in, 403 once signed in.
    assert testapp.get("/project/open/tasks/export", headers=JSON, status=401).json["status"] == "not_signed_in"
    sign_in(testapp, people["stranger"])
    for path in ("/project/open/settings", "/project/open/tasks/export", "/project/draft/settings"):
        body = testapp.get(path, headers=JSON, status=403).json
        assert body["code"] == 403 and body["template"] == "403.html", path
    testapp.get("/project/draft/", headers=JSON, status=404)
    sign_in(testapp, people["invited"])
    assert testapp.get("/project/hidden/", headers=JSON).json["project"]["short_name"] == "hidden"
    testapp.get("/project/hidden/settings", headers=JSON, status=403)
    sign_in(testapp, people["coowner"])
    testapp.get("/project/open/settings", headers=JSON, status=200)
    post(testapp, "/project/open/delete", status=403)
    sign_in(testapp, people["owner"])
    assert testapp.get("/project/open/delete", headers=JSON).json["template"] == "/projects/delete.html"


def test_a_protected_project_sends_readers_to_its_password_page(testapp, make, people):
    project = rule_project(make, people, "guarded")
    project_passwords.set_password(project, "open sesame")
    answer = testapp.get("/project/guarded/results", headers=JSON, status=302)
    assert answer.location.endswith("/project/guarded/password?next=" + quote("/project/guarded/results", safe=""))
    assert testapp.get("/project/guarded/password", headers=JSON).json["project"]["short_name"] == "guarded"
    post(testapp, "/project/guarded/password?next=/project/guarded/results", {"password": "open sesame"}, status=200)
    testapp.get("/project/guarded/results", headers=JSON, status=200)


def test_a_forged_post_is_refused_before_the_permission(testapp, make, people):
    """The CSRF check still comes first: 400 whether the visitor may manage the project or not."""
    rule_project(make, people, "forged")
    testapp.post_json("/project/forged/update", {}, headers={"X-CSRFToken": "bad", **JSON}, status=400)
    as_user(testapp, make, "forger")
    testapp.post_json("/project/forged/update", {}, headers={"X-CSRFToken": "bad", **JSON}, status=400)
    post(testapp, "/project/forged/update", {}, status=403)


def test_post_only_routes_answer_405_to_other_methods_whoever_asks(testapp, make, people):
    rule_project(make, people, "posts")
    for path in ("/project/posts/resetsecretkey", "/project/posts/add_coowner/ruleowner", "/project/posts/1/delete"):
        testapp.get(path, headers=JSON, status=405)


def test_account_contexts(testapp, make, people):
    # Anonymous visitors sign in before learning whether the account exists.
    for path in ("/account/nobody/update", "/account/ruleowner/update", "/account/ruleowner/export"):
        assert testapp.get(path, headers=JSON, status=302).json["status"] == "not_signed_in", path
    sign_in(testapp, people["stranger"])
    testapp.get("/account/nobody/update", headers=JSON, status=404)
    testapp.get("/account/ruleowner/update", headers=JSON, status=403)
    testapp.get("/account/ruleowner/delete", headers=JSON, status=403)
    sign_in(testapp, people["admin"])
    testapp.get("/account/nobody/delete", headers=JSON, status=404)
    assert testapp.get("/account/ruleowner/update", headers=JSON).json["template"] == "/account/update.html"


def test_api_errors_stay_the_api_json(testapp, make, people):
    """Under /api a refusal is PYBOSSA's error JSON, asked of the same rule (a co-owner may not delete)."""
    project = rule_project(make, people, "apirule")
    body = testapp.delete(f"/api/project/{project.id}?api_key={people['coowner'].api_key}", status=403).json
    assert body["exception_cls"] == "Forbidden" and body["target"] == "project"


def test_the_site_root_grants_its_admin_pages_to_admins_only(testapp, make, people):
    root = SiteRoot(None)
    policy = security.SecurityPolicy()
    assert policy.permits(SimpleNamespace(identity=people["admin"]), root, security.ADMINISTER)
    assert not policy.permits(SimpleNamespace(identity=people["owner"]), root, security.ADMINISTER)
    assert testapp.get("/admin/users", headers=JSON, status=302).json["next"] == "/account/signin?next=%2Fadmin%2Fusers"
    sign_in(testapp, people["owner"])
    testapp.get("/admin/users", headers=JSON, status=403)
    sign_in(testapp, people["admin"])
    assert testapp.get("/admin/users", headers=JSON).json["title"] == "Manage Admin Users"
