"""A project's blog: reading one post, and owners and admins writing, changing and deleting posts."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from pybossa_core.models import Blogpost
from tests.views.conftest import csrf_of, sign_in
from tests.views.project_fixtures import JSON, as_user, post

PAGE_KEYS = {
    "last_activity", "n_completed_tasks", "n_task_runs", "n_tasks", "n_volunteers", "overall_progress",
    "owner", "pro_features", "project", "title",
}
TITLE_NEEDED = "You must enter a title for the post."
BODY_NEEDED = "You must enter some text for the post."


def write(dbsession, project, author, title="Alpha is out", published=True) -> Blogpost:
    blogpost = Blogpost(project_id=project.id, user_id=author.id, title=title, body=f"{title}!", published=published)
    dbsession.add(blogpost)
    dbsession.flush()
    return blogpost


def posts_of(dbsession, project) -> list[Blogpost]:
    return list(dbsession.scalars(sa.select(Blogpost).where(Blogpost.project_id == project.id).order_by(Blogpost.id)))


# -- reading ----------------------------------------------------------------------------------


def test_a_published_post_is_shown_to_everyone(testapp, make, dbsession, member, project):
    blogpost = write(dbsession, project, member)
    body = testapp.get(f"/project/birds/{blogpost.id}", headers=JSON).json
    assert set(body) == PAGE_KEYS | {"blogpost", "template"}
    assert body["template"] == "projects/blog_post.html" and body["title"] == "Project: Birds &middot; Blog"
    assert body["blogpost"] == {
        "id": blogpost.id, "created": body["blogpost"]["created"], "project_id": project.id, "user_id": member.id,
        "title": "Alpha is out", "body": "Alpha is out!", "published": True,
    }
    assert "secret_key" not in body["project"]
    as_user(testapp, make, "other")
    assert testapp.get(f"/project/birds/{blogpost.id}/", headers=JSON).json["blogpost"]["id"] == blogpost.id


def test_an_unpublished_post_is_shown_to_owners_and_admins_only(testapp, make, dbsession, member, project):
    blogpost = write(dbsession, project, member, published=False)
    testapp.get(f"/project/birds/{blogpost.id}", headers=JSON, status=404)
    as_user(testapp, make, "other")
    testapp.get(f"/project/birds/{blogpost.id}", headers=JSON, status=404)
    as_user(testapp, make, "boss", admin=True)
    assert testapp.get(f"/project/birds/{blogpost.id}", headers=JSON).json["blogpost"]["published"] is False
    sign_in(testapp, member)
    assert testapp.get(f"/project/birds/{blogpost.id}", headers=JSON).json["project"]["secret_key"] == project.secret_key


def test_posts_of_a_draft_project_follow_the_project(testapp, make, dbsession, member, project):
    blogpost = write(dbsession, project, member)
    project.published = False
    testapp.get(f"/project/birds/{blogpost.id}", headers=JSON, status=404)
    as_user(testapp, make, "other")
    testapp.get(f"/project/birds/{blogpost.id}", headers=JSON, status=404)
    sign_in(testapp, member)
    assert testapp.get(f"/project/birds/{blogpost.id}", headers=JSON).json["blogpost"]["title"] == "Alpha is out"


def test_a_post_is_found_only_under_its_own_project(testapp, make, dbsession, member, project):
    other_project = make.project(member, "fish")
    blogpost = write(dbsession, other_project, member)
    testapp.get(f"/project/birds/{blogpost.id}", headers=JSON, status=404)
    testapp.get("/project/birds/999999", headers=JSON, status=404)
    testapp.get(f"/project/nothere/{blogpost.id}", headers=JSON, status=404)
    assert testapp.get(f"/project/fish/{blogpost.id}", headers=JSON).json["blogpost"]["id"] == blogpost.id


# -- writing ----------------------------------------------------------------------------------


def test_new_post_form(browser, project):
    body = browser.get("/project/birds/new-blogpost", headers=JSON).json
    assert set(body) == PAGE_KEYS | {"form", "template"}
    assert body["template"] == "projects/new_blogpost.html" and body["title"] == "Write a new post"
    assert body["form"] == {"title": None, "body": None, "published": False, "csrf": csrf_of(browser), "errors": {}}


def test_owner_writes_a_post(browser, member, project, dbsession):
    body = post(browser, "/project/birds/new-blogpost", {"title": "  Hello  ", "body": "First words", "published": True}).json
    assert body == {"flash": '<i class="icon-ok"></i> Blog post created!', "next": "/project/birds/blog", "status": "success"}
    (created,) = posts_of(dbsession, project)
    assert (created.title, created.body, created.published, created.user_id) == ("Hello", "First words", True, member.id)
    listed = browser.get("/project/birds/blog", headers=JSON).json
    assert [item["title"] for item in listed["blogposts"]] == ["Hello"] and listed["project"]["n_blogposts"] == 1


def test_a_new_post_is_unpublished_unless_asked(browser, project, dbsession):
    browser.post("/project/birds/new-blogpost", {"title": "Draft", "body": "Soon", "csrf_token": csrf_of(browser)}, headers=JSON)
    (created,) = posts_of(dbsession, project)
    assert created.published is False


@pytest.mark.parametrize(
    ("sent", "errors"),
    [
        ({}, {"title": [TITLE_NEEDED], "body": [BODY_NEEDED]}),
        ({"title": "   ", "body": "words"}, {"title": [TITLE_NEEDED]}),
        ({"title": "x" * 256, "body": "words"}, {"title": ["Field cannot be longer than 255 characters."]}),
        ({"title": "Hello", "body": " "}, {"body": [BODY_NEEDED]}),
    ],
)
def test_refused_new_posts_are_not_written(browser, project, dbsession, sent, errors):
    body = post(browser, "/project/birds/new-blogpost", sent).json
    assert body["flash"] == "Please correct the errors" and body["status"] == "error"
    assert body["form"]["errors"] == errors
    assert body["form"]["title"] == sent.get("title") and body["template"] == "projects/new_blogpost.html"
    assert posts_of(dbsession, project) == []


def test_a_title_that_is_not_text_is_refused(browser, project, dbsession):
    body = post(browser, "/project/birds/new-blogpost", {"title": {"not": "text"}, "body": "words"}).json
    assert body["status"] == "error" and set(body["form"]["errors"]) == {"title"}
    assert posts_of(dbsession, project) == []


def test_owner_updates_a_post(browser, member, project, dbsession):
    blogpost = write(dbsession, project, member, published=False)
    form = browser.get(f"/project/birds/{blogpost.id}/update", headers=JSON).json
    assert form["template"] == "projects/update_blogpost.html" and form["title"] == "Edit a post"
    assert form["form"] == {"id": blogpost.id, "title": "Alpha is out", "body": "Alpha is out!", "published": False,
                            "csrf": csrf_of(browser), "errors": {}}
    assert form["blogpost"]["id"] == blogpost.id

    body = post(browser, f"/project/birds/{blogpost.id}/update", {"title": "Beta", "body": "Now beta", "published": True}).json
    assert body == {"flash": '<i class="icon-ok"></i> Blog post updated!', "next": "/project/birds/blog", "status": "success"}
    dbsession.refresh(blogpost)
    assert (blogpost.title, blogpost.body, blogpost.published) == ("Beta", "Now beta", True)


def test_refused_updates_change_nothing(browser, member, project, dbsession):
    blogpost = write(dbsession, project, member)
    body = post(browser, f"/project/birds/{blogpost.id}/update", {"title": "", "body": "Changed"}).json
    assert body["status"] == "error" and body["form"]["errors"] == {"title": [TITLE_NEEDED]}
    assert body["form"]["id"] == blogpost.id and body["form"]["body"] == "Changed"
    dbsession.refresh(blogpost)
    assert (blogpost.title, blogpost.body) == ("Alpha is out", "Alpha is out!")


def test_owner_deletes_a_post(browser, member, project, dbsession):
    blogpost = write(dbsession, project, member)
    browser.get(f"/project/birds/{blogpost.id}/delete", headers=JSON, status=405)
    body = post(browser, f"/project/birds/{blogpost.id}/delete").json
    assert body == {"flash": '<i class="icon-ok"></i> Blog post deleted!', "next": "/project/birds/blog", "status": "success"}
    assert posts_of(dbsession, project) == []
    post(browser, f"/project/birds/{blogpost.id}/delete", status=404)


def test_posts_of_another_project_cannot_be_changed_through_this_one(browser, make, member, project, dbsession):
    other_project = make.project(make.user("stranger"), "fish")
    blogpost = write(dbsession, other_project, member)
    post(browser, f"/project/birds/{blogpost.id}/update", {"title": "Mine", "body": "Now"}, status=404)
    post(browser, f"/project/birds/{blogpost.id}/delete", status=404)
    dbsession.refresh(blogpost)
    assert blogpost.title == "Alpha is out"


# -- who may write ----------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(testapp, member, project, dbsession):
    blogpost = write(dbsession, project, member)
    for path in ("new-blogpost", f"{blogpost.id}/update"):
        body = testapp.get(f"/project/birds/{path}", headers=JSON, status=302).json
        assert body["status"] == "not_signed_in" and body["next"] == f"/account/signin?next=%2Fproject%2Fbirds%2F{path.replace('/', '%2F')}"
    post(testapp, "/project/birds/new-blogpost", {"title": "Hi", "body": "There"}, status=302)
    post(testapp, f"/project/birds/{blogpost.id}/delete", status=302)
    assert [item.title for item in posts_of(dbsession, project)] == ["Alpha is out"]


def test_other_users_are_forbidden(testapp, make, member, project, dbsession):
    blogpost = write(dbsession, project, member)
    as_user(testapp, make, "other")
    testapp.get("/project/birds/new-blogpost", headers=JSON, status=403)
    post(testapp, "/project/birds/new-blogpost", {"title": "Hi", "body": "There"}, status=403)
    post(testapp, f"/project/birds/{blogpost.id}/update", {"title": "Hi", "body": "There"}, status=403)
    post(testapp, f"/project/birds/{blogpost.id}/delete", status=403)
    dbsession.refresh(blogpost)
    assert [item.title for item in posts_of(dbsession, project)] == ["Alpha is out"]


def test_co_owners_and_admins_write_posts(testapp, make, member, project, dbsession):
    co_owner = as_user(testapp, make, "helper")
    project.owners_ids = [member.id, co_owner.id]
    dbsession.flush()
    post(testapp, "/project/birds/new-blogpost", {"title": "From a co-owner", "body": "Hi"})
    boss = as_user(testapp, make, "boss", admin=True)
    post(testapp, "/project/birds/new-blogpost", {"title": "From the admin", "body": "Hi"})
    assert [(item.title, item.user_id) for item in posts_of(dbsession, project)] == [
        ("From a co-owner", co_owner.id), ("From the admin", boss.id),
    ]


def test_writing_needs_the_csrf_token(browser, member, project, dbsession):
    blogpost = write(dbsession, project, member)
    headers = {**JSON, "X-CSRFToken": "nope"}
    browser.post_json("/project/birds/new-blogpost", {"title": "Hi", "body": "There"}, headers=headers, status=400)
    browser.post_json(f"/project/birds/{blogpost.id}/update", {"title": "Hi", "body": "There"}, headers=headers, status=400)
    browser.post_json(f"/project/birds/{blogpost.id}/delete", {}, headers=headers, status=400)
    dbsession.refresh(blogpost)
    assert [item.title for item in posts_of(dbsession, project)] == ["Alpha is out"]
