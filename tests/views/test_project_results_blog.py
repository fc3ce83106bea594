"""A project's results, blog and tutorial pages, as anonymous visitors, owners, other users and admins see them."""
from __future__ import annotations

from pybossa_core.models import Blogpost
from tests.views.conftest import sign_in
from tests.views.project_fixtures import JSON, as_user

RESULTS_KEYS = {
    "last_activity", "n_completed_tasks", "n_results", "n_task_runs", "n_tasks", "n_volunteers", "overall_progress",
    "owner", "pro_features", "project", "template", "title",
}
BLOG_KEYS = {
    "blogposts", "last_activity", "n_completed_tasks", "n_task_runs", "n_tasks", "n_volunteers", "overall_progress",
    "owner", "pro_features", "project", "template", "title",
}


def _posts(make, dbsession, project, member):
    for title, published in (("Alpha is out", True), ("Secret plans", False), ("Beta is out", True)):
        dbsession.add(Blogpost(project_id=project.id, user_id=member.id, title=title, body=f"{title}!", published=published))
    dbsession.flush()


def test_results_page_counts_the_results(testapp, make, member, project):
    task = make.task(project, n_answers=1)
    run = make.task_run(task, make.user("alice"))
    task.state = "completed"
    make.result(task, [run])
    body = testapp.get("/project/birds/results", headers=JSON).json
    assert set(body) == RESULTS_KEYS
    assert body["template"] == "/projects/results.html" and body["title"] == "Project: Birds"
    assert (body["n_results"], body["n_tasks"], body["n_completed_tasks"], body["n_task_runs"]) == (1, 1, 1, 1)
    assert body["overall_progress"] == 100 and "secret_key" not in body["project"]
    sign_in(testapp, member)
    body = testapp.get("/project/birds/results/", headers=JSON).json
    assert body["project"]["n_results"] == 1 and body["project"]["secret_key"] == project.secret_key
    as_user(testapp, make, "other")
    assert "secret_key" not in testapp.get("/project/birds/results", headers=JSON).json["project"]
    as_user(testapp, make, "boss", admin=True)
    assert "secret_key" in testapp.get("/project/birds/results", headers=JSON).json["project"]


def test_blog_shows_published_posts_to_visitors(testapp, make, dbsession, member, project):
    _posts(make, dbsession, project, member)
    body = testapp.get("/project/birds/blog", headers=JSON).json
    assert set(body) == BLOG_KEYS and body["template"] == "projects/blog.html"
    assert [post["title"] for post in body["blogposts"]] == ["Alpha is out", "Beta is out"]
    first = body["blogposts"][0]
    assert first == {"id": first["id"], "created": first["created"], "project_id": project.id, "user_id": member.id,
                     "title": "Alpha is out", "body": "Alpha is out!", "published": True}
    as_user(testapp, make, "other")
    assert len(testapp.get("/project/birds/blog", headers=JSON).json["blogposts"]) == 2


def test_blog_shows_drafts_to_owners_and_admins(testapp, make, dbsession, member, project):
    _posts(make, dbsession, project, member)
    sign_in(testapp, member)
    titles = [post["title"] for post in testapp.get("/project/birds/blog/", headers=JSON).json["blogposts"]]
    assert titles == ["Alpha is out", "Secret plans", "Beta is out"]
    as_user(testapp, make, "boss", admin=True)
    assert len(testapp.get("/project/birds/blog", headers=JSON).json["blogposts"]) == 3


def test_tutorial_gives_the_project_tutorial(testapp, make, member, project):
    project.info = {**project.info, "tutorial": "<p>Look for wings</p>"}
    body = testapp.get("/project/birds/tutorial", headers=JSON).json
    assert set(body) == {"owner", "project", "template", "title", "tutorial"}
    assert body["template"] == "/projects/tutorial.html" and body["title"] == "Project: Birds"
    assert body["tutorial"] == "<p>Look for wings</p>" and body["owner"]["name"] == "member"
    assert "api_key" not in body["owner"]
    sign_in(testapp, member)
    body = testapp.get("/project/birds/tutorial", headers=JSON).json
    assert body["owner"]["api_key"] == member.api_key and body["project"]["info"]["tutorial"] == "<p>Look for wings</p>"
    as_user(testapp, make, "other")
    assert testapp.get("/project/birds/tutorial", headers=JSON).json["tutorial"] == "<p>Look for wings</p>"
    as_user(testapp, make, "boss", admin=True)
    assert "secret_key" in testapp.get("/project/birds/tutorial", headers=JSON).json["project"]


def test_a_project_without_tutorial_gives_none(testapp, project):
    assert testapp.get("/project/birds/tutorial", headers=JSON).json["tutorial"] is None


def test_unknown_projects_and_others_drafts_are_not_found(testapp, make, member, project):
    for page in ("results", "blog", "tutorial"):
        testapp.get(f"/project/nothere/{page}", headers=JSON, status=404)
    project.published = False
    for page in ("results", "blog", "tutorial"):
        assert testapp.get(f"/project/birds/{page}", headers=JSON, status=404).json["code"] == 404
    as_user(testapp, make, "other")
    testapp.get("/project/birds/blog", headers=JSON, status=404)
    sign_in(testapp, member)
    assert testapp.get("/project/birds/results", headers=JSON).json["project"]["published"] is False
