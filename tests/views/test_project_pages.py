"""Creating a project, and the project's pages as anonymous visitors, owners, other users and admins see them."""
from __future__ import annotations

import sqlalchemy as sa

from pybossa_core.models import Project
from tests.views.project_fixtures import JSON, as_user, post

PAGE_KEYS = {
    "last_activity", "n_completed_tasks", "n_task_runs", "n_tasks", "n_volunteers", "overall_progress",
    "owner", "pro_features", "project", "template", "title",
}
PUBLIC_PROJECT_KEYS = {
    "created", "description", "featured", "id", "info", "last_activity", "last_activity_raw", "n_tasks",
    "n_volunteers", "name", "overall_progress", "owner", "short_name", "updated",
}
OWN_PROJECT_KEYS = {
    "allow_anonymous_contributors", "category_id", "contacted", "contrib_button", "created", "description",
    "featured", "id", "info", "long_description", "n_blogposts", "n_results", "name", "owner_id", "published",
    "secret_key", "short_name", "updated", "webhook",
}
NEW = {"name": "My Project", "short_name": "myproject", "description": "Short", "long_description": "Long text"}


def test_new_project_form_needs_a_signed_in_user(testapp):
    body = testapp.get("/project/new", headers=JSON, status=302).json
    assert body == {"next": "/account/signin?next=%2Fproject%2Fnew", "status": "not_signed_in"}


def test_new_project_form_lists_the_fields(browser):
    body = browser.get("/project/new", headers=JSON).json
    assert body["template"] == "projects/new.html" and body["title"] == "Create a Project"
    assert body["errors"] is False
    assert body["form"] == {
        "csrf": body["form"]["csrf"], "description": None, "errors": {}, "long_description": None, "name": None,
        "short_name": None,
    }


def test_creating_a_project_stores_a_draft_of_its_owner(browser, member, make, dbsession):
    category = make.category("first")
    body = post(browser, "/project/new", NEW).json
    assert body == {"flash": '<i class="icon-ok"></i> Project created!', "next": "/project/myproject/update",
                    "status": "success"}
    stored = dbsession.scalar(sa.select(Project).where(Project.short_name == "myproject"))
    assert (stored.name, stored.description, stored.long_description) == ("My Project", "Short", "Long text")
    assert stored.owner_id == member.id and stored.owners_ids == [member.id]
    assert stored.published is False and stored.category_id == category.id and stored.info == {}


def test_taken_names_missing_fields_and_reserved_short_names_are_form_errors(browser, make, dbsession):
    make.project(make.user(), "taken", name="Taken Name")
    body = post(browser, "/project/new", {**NEW, "name": "taken name", "short_name": "TAKEN"}).json
    assert body["flash"] == "Please correct the errors" and body["status"] == "error" and body["errors"] is True
    assert body["form"]["errors"] == {"name": ["Name is already taken."], "short_name": ["Short Name is already taken."]}
    assert body["form"]["short_name"] == "TAKEN"
    body = post(browser, "/project/new", {"description": "only this"}).json
    assert body["form"]["errors"] == {
        "name": ["This field is required."], "short_name": ["This field is required."],
        "long_description": ["This field is required."],
    }
    body = post(browser, "/project/new", {**NEW, "short_name": "new"}).json
    assert body["form"]["errors"] == {"short_name": ["This short name is used by the system."]}
    body = post(browser, "/project/new", {**NEW, "short_name": "has space"}).json
    assert list(body["form"]["errors"]) == ["short_name"]
    assert dbsession.scalar(sa.select(sa.func.count(Project.id))) == 1


def test_creating_without_the_csrf_token_changes_nothing(browser, dbsession):
    body = browser.post_json("/project/new", NEW, headers={"X-CSRFToken": "wrong"}, status=400).json
    assert body["description"] == "CSRF token missing or incorrect."
    assert dbsession.scalar(sa.select(sa.func.count(Project.id))) == 0


def test_project_page_for_anonymous_shows_the_public_face(testapp, make, member, project):
    task = make.task(project, n_answers=1)
    make.task(project, n_answers=2)
    volunteer = make.user("volunteer")
    make.task_run(task, volunteer)
    task.state = "completed"
    make.task_run(make.task(project, n_answers=3))
    body = testapp.get("/project/birds/", headers=JSON).json
    assert set(body) == PAGE_KEYS
    assert body["template"] == "/projects/project.html" and body["title"] == "Project: Birds"
    assert (body["n_tasks"], body["n_completed_tasks"], body["n_task_runs"], body["n_volunteers"]) == (3, 1, 2, 2)
    assert body["overall_progress"] == 33 and body["last_activity"] is not None
    assert set(body["project"]) == PUBLIC_PROJECT_KEYS and body["project"]["short_name"] == "birds"
    assert "secret_key" not in body["project"] and "api_key" not in body["owner"]
    assert body["owner"]["name"] == "member"
    assert body["pro_features"] == {"auditlog_enabled": False, "autoimporter_enabled": False, "webhooks_enabled": False}


def test_project_page_for_its_owner_shows_everything(browser, member, project):
    body = browser.get("/project/birds", headers=JSON).json
    assert set(body["project"]) == OWN_PROJECT_KEYS
    assert body["project"]["secret_key"] == project.secret_key and body["owner"]["api_key"] == member.api_key
    assert body["project"]["contrib_button"] == "cannot_contribute"
    assert (body["n_tasks"], body["overall_progress"], body["last_activity"]) == (0, 0, None)
    assert body["pro_features"] == {"auditlog_enabled": True, "autoimporter_enabled": True, "webhooks_enabled": True}


def test_admin_sees_the_whole_project_but_the_owner_public_profile(testapp, make, member, project):
    as_user(testapp, make, "boss", admin=True)
    body = testapp.get("/project/birds", headers=JSON).json
    assert set(body["project"]) == OWN_PROJECT_KEYS and "api_key" not in body["owner"]


def test_drafts_are_shown_only_to_their_owners_and_admins(testapp, make, member, project):
    project.published = False
    assert testapp.get("/project/birds", headers=JSON, status=404).json["code"] == 404
    testapp.get("/project/birds/tasks/", headers=JSON, status=404)
    as_user(testapp, make, "other")
    testapp.get("/project/birds", headers=JSON, status=404)
    as_user(testapp, make, "boss", admin=True)
    assert testapp.get("/project/birds", headers=JSON).json["project"]["contrib_button"] == "draft"
    make.task(project)
    assert testapp.get("/project/birds", headers=JSON).json["project"]["contrib_button"] == "publish"
    testapp.get("/project/nothere", headers=JSON, status=404)


def test_settings_are_for_owners_and_admins(testapp, make, member, project):
    answer = testapp.get("/project/birds/settings", headers=JSON, status=302)
    assert answer.json["status"] == "not_signed_in" and answer.json["next"].startswith("/account/signin?next=")
    assert answer.location.endswith("/account/signin?next=%2Fproject%2Fbirds%2Fsettings")
    as_user(testapp, make, "other")
    testapp.get("/project/birds/settings", headers=JSON, status=403)
    as_user(testapp, make, "boss", admin=True)
    body = testapp.get("/project/birds/settings", headers=JSON).json
    assert set(body) == PAGE_KEYS and body["template"] == "/projects/settings.html"
    assert body["title"] == "Project: Birds &middot; Settings"


def test_settings_for_the_owner(browser, project):
    body = browser.get("/project/birds/settings", headers=JSON).json
    assert body["project"]["secret_key"] == project.secret_key


def test_tasks_page_shows_figures_for_everyone(testapp, make, project):
    make.task(project)
    body = testapp.get("/project/birds/tasks/", headers=JSON).json
    assert set(body) == PAGE_KEYS | {"autoimporter_enabled"}
    assert body["template"] == "/projects/tasks.html" and body["n_tasks"] == 1
    assert body["autoimporter_enabled"] is False and set(body["project"]) == PUBLIC_PROJECT_KEYS


def test_tasks_page_for_the_owner(browser, project):
    body = browser.get("/project/birds/tasks", headers=JSON).json
    assert body["autoimporter_enabled"] is True and set(body["project"]) == OWN_PROJECT_KEYS


def test_project_figures_come_from_counters_cached_until_an_answer_changes_them(testapp, make, project, queries):
    task = make.task(project, n_answers=2)
    make.task_run(task, make.user())
    queries.statements.clear()
    first = testapp.get(f"/project/{project.short_name}/", headers=JSON).json
    assert (first["n_task_runs"], first["n_volunteers"]) == (1, 1)
    assert any("project_counts" in statement for statement in queries.statements)
    assert not any("count(DISTINCT" in statement for statement in queries.statements), queries.statements
    queries.statements.clear()
    assert testapp.get(f"/project/{project.short_name}/", headers=JSON).json["n_volunteers"] == 1
    assert not any("project_counts" in statement for statement in queries.statements), queries.statements
    make.task_run(task, make.user())
    again = testapp.get(f"/project/{project.short_name}/", headers=JSON).json
    assert (again["n_task_runs"], again["n_volunteers"], again["n_completed_tasks"]) == (2, 2, 0)


def test_a_project_page_reads_its_viewer_once(browser, project, queries, dbsession):
    # Each read of request.identity asks the session table again; the page's dict reads it once,
    # beside the permission check of the route's context.
    for path in ("/project/birds/", "/project/birds/tasks", "/project/birds/settings"):
        browser.get(path, headers=JSON)
        dbsession.expunge_all()
        queries.statements.clear()
        body = browser.get(path, headers=JSON).json
        assert set(body["project"]) == OWN_PROJECT_KEYS
        sessions_read = [statement for statement in queries.statements if "FROM web_session" in statement]
        assert len(sessions_read) <= 2, (path, queries.statements)


def test_an_owners_page_asks_only_for_the_keys_it_shows(browser, make, project, queries):
    # The contribution state and the blog's and results' counts cost a query each: the statistics
    # page (HTML) shows none of them, the project page the contribution state, JSON every key.
    make.task(project)
    costly = {"contribution state": "FROM task \nWHERE task.project_id", "blog": "FROM blogpost", "results": "FROM result"}

    def asked(path, **headers):
        browser.get(path, headers=headers)
        queries.statements.clear()
        browser.get(path, headers=headers)
        return {name for name, text in costly.items() if any(text in statement for statement in queries.statements)}

    assert asked("/project/birds/stats") == set()
    assert asked("/project/birds/") == {"contribution state"}
    assert asked("/project/birds/stats", **JSON) == set(costly)
    body = browser.get("/project/birds/stats", headers=JSON).json["project"]
    assert (body["contrib_button"], body["n_blogposts"], body["n_results"]) == ("can_contribute", 0, 0)
