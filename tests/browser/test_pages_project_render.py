"""Every project page renders as HTML for each kind of visitor, with the JSON view's status.

WebTest GETs each page as a browser does (``Accept: text/html``) as an anonymous visitor, another
signed-in user, the project's owner and an admin; the page must be the layout with its key
content, and link nothing on another host.  Pages for managing a project send anonymous
visitors to sign in (302) and refuse other users (403), as their JSON does.
"""
from __future__ import annotations

import io
import re

import pytest
import webtest
from PIL import Image
import sqlalchemy as sa

from pybossa_core.models import Blogpost, Project, Webhook
from tests.views.conftest import PASSWORD_HASH, sign_in

HTML = {"Accept": "text/html"}
#: src/href/action values that leave the site (another host, or a protocol-relative URL).
FOREIGN_URL = re.compile(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)
VISITORS = ("anonymous", "other", "owner", "admin")
#: What a page for managing the project answers each visitor.
MANAGING = {"anonymous": 302, "other": 403, "owner": 200, "admin": 200}
PUBLIC = dict.fromkeys(VISITORS, 200)
IMPORTERS = ("csv", "gdocs", "dropbox", "flickr", "s3", "twitter", "youtube", "epicollect", "iiif")


@pytest.fixture
def site(make, dbsession):
    """A published project with tasks, answers, a result, blog posts and a webhook delivery; a bare draft."""
    owner = make.user("owner", passwd_hash=PASSWORD_HASH)
    category = make.category("science", name="Science", description="Science projects")
    birds = make.project(owner, "birds", name="Birds", description="Count birds", long_description="Many birds",
                         category_id=category.id, featured=True, info={"task_presenter": "<div>the presenter</div>"})
    draft = make.project(owner, "sketch", name="Sketch", description="A draft", published=False)
    dbsession.flush()
    tasks = [make.task(birds, n_answers=2) for _ in range(12)]
    dbsession.flush()
    runs = [make.task_run(tasks[0], owner, info="Yes"), make.task_run(tasks[0], None, info="No")]
    dbsession.flush()
    make.result(tasks[0], runs, info="Yes")
    published_post = Blogpost(project_id=birds.id, user_id=owner.id, title="Hello birds", body="Welcome", published=True)
    dbsession.add_all([
        published_post,
        Blogpost(project_id=birds.id, user_id=owner.id, title="Secret plans", body="Not yet", published=False),
        Webhook(project_id=birds.id, payload={"event": "task_completed", "task_id": tasks[0].id},
                response="ok", response_status_code=200),
    ])
    birds.description = "Count the birds"  # recorded in the audit log
    dbsession.flush()
    return {"owner": owner, "birds": birds, "draft": draft, "post": published_post, "category": category}


def visitor_app(testapp, make, site, kind):
    if kind == "owner":
        sign_in(testapp, site["owner"])
    elif kind == "other":
        sign_in(testapp, make.user("stranger", passwd_hash=PASSWORD_HASH))
    elif kind == "admin":
        sign_in(testapp, make.user("boss", admin=True, passwd_hash=PASSWORD_HASH))
    return testapp


def page(app, url, status, *expected):
    """GET ``url`` as a browser; check the status, and for a page its layout, ``expected`` texts and links."""
    answer = app.get(url, headers=HTML, status=status)
    if status == 302:
        assert answer.location.split("?")[0].endswith("/account/signin"), answer.location
        return answer
    assert answer.content_type == "text/html"
    assert "<html" in answer.text
    for text in expected:
        assert text in answer.text, (url, text)
    assert not FOREIGN_URL.search(answer.text), FOREIGN_URL.search(answer.text).group(0)
    return answer


def pages(site):
    """(url, statuses by visitor, texts an HTML page shows) for every project page."""
    post = site["post"].id
    birds = "/project/birds"
    return [
        (f"{birds}/", PUBLIC, ["Birds", "Count the birds", "12</strong> tasks"]),
        (f"{birds}/tasks/", PUBLIC, ["Browse the tasks"]),
        (f"{birds}/tasks/browse", PUBLIC, ["Browse the tasks", f'href="{birds}/tasks/browse/2"', "100%"]),
        (f"{birds}/tasks/browse/2", PUBLIC, ["Browse the tasks", f'href="{birds}/tasks/browse/1"']),
        (f"{birds}/results", PUBLIC, ["<strong>1</strong> result, one per completed task."]),
        (f"{birds}/stats", PUBLIC, ["Answers per day", 'id="day-stats"', "chart.umd.min.js"]),
        (f"{birds}/tutorial", PUBLIC, ["no tutorial"]),
        (f"{birds}/blog", PUBLIC, ["Hello birds"]),
        (f"{birds}/{post}", PUBLIC, ["Hello birds", "Welcome"]),
        (f"{birds}/tasks/export", PUBLIC, [f"{birds}/tasks/export?type=task&amp;format=csv", "Results"]),
        ("/project/category/featured/", PUBLIC, ["Featured", "Birds", "orderby=n_tasks"]),
        ("/project/category/science/", PUBLIC, ["Science projects", "Birds"]),
        ("/project/category/draft/", {**PUBLIC, "anonymous": 302}, ["Draft"]),
        ("/project/new", {**PUBLIC, "anonymous": 302}, ['name="short_name"', 'name="csrf_token"']),
        (f"{birds}/settings", MANAGING, ["Reset the secret key", 'name="csrf_token"']),
        (f"{birds}/update", MANAGING, ['value="Count the birds"', 'enctype="multipart/form-data"', 'name="avatar"']),
        (f"{birds}/delete", MANAGING, ["Yes, delete it", 'name="csrf_token"']),
        (f"{birds}/publish", MANAGING, ["The project is published"]),
        ("/project/sketch/publish", MANAGING, ['action="/project/sketch/publish"', 'name="csrf_token"']),
        (f"{birds}/tasks/import", MANAGING, ["?type=csv", "CSV file", "?type=iiif"]),
        (f"{birds}/tasks/redundancy", MANAGING, ['name="n_answers"', 'type="number"', 'name="csrf_token"']),
        *[(f"{birds}/tasks/import?type={name}", MANAGING, ['name="type" value="' + name + '"', 'name="csrf_token"'])
          for name in IMPORTERS],
        (f"{birds}/tasks/taskpresentereditor", MANAGING, ["the presenter", "codemirror.js", 'name="preview"']),
        (f"{birds}/tasks/taskpresentereditor?template=basic", MANAGING, ["pybossa.run(&#39;birds&#39;)"]),
        ("/project/sketch/tasks/taskpresentereditor", MANAGING, ["?template=basic", "?template=image"]),
        (f"{birds}/new-blogpost", MANAGING, ['name="title"', 'name="published"']),
        (f"{birds}/{post}/update", MANAGING, ['value="Hello birds"']),
        (f"{birds}/webhook", MANAGING, ["Send all again", "task_completed", f"{birds}/webhook/"]),
        (f"{birds}/auditlog", MANAGING, ["Count the birds", "description"]),
    ]


@pytest.mark.parametrize("kind", VISITORS)
def test_every_project_page_renders_for_each_visitor(testapp, make, site, kind):
    app = visitor_app(testapp, make, site, kind)
    for url, statuses, expected in pages(site):
        page(app, url, statuses[kind], *(expected if statuses[kind] == 200 else ()))


@pytest.mark.parametrize("kind", VISITORS)
def test_a_draft_is_only_shown_to_its_owner_and_admins(testapp, make, site, kind):
    app = visitor_app(testapp, make, site, kind)
    shown = kind in ("owner", "admin")
    answer = app.get("/project/sketch/", headers=HTML, status=200 if shown else 404)
    assert "<html" in answer.text
    if shown:
        assert "Draft" in answer.text and "Add tasks and a task presenter" in answer.text


def test_owner_pages_link_the_managing_pages_only_for_owners(testapp, make, site):
    anonymous = page(testapp, "/project/birds/", 200)
    assert "/project/birds/settings" not in anonymous.text
    owner = page(visitor_app(testapp, make, site, "owner"), "/project/birds/", 200)
    assert "/project/birds/settings" in owner.text and "/project/birds/tasks/import" in owner.text


def test_unpublished_posts_are_listed_to_owners_only(testapp, make, site):
    assert "Secret plans" not in page(testapp, "/project/birds/blog", 200).text
    owner_blog = page(visitor_app(testapp, make, site, "owner"), "/project/birds/blog", 200, "Write a post")
    assert "Secret plans" in owner_blog.text


def test_the_statistics_page_without_answers_shows_the_figures(testapp, make, site):
    app = visitor_app(testapp, make, site, "owner")
    page(app, "/project/sketch/stats", 200, "No one has answered a task yet")


def test_listings_keep_their_order_across_pages(testapp, make, site):
    for number in range(21):
        make.project(site["owner"], f"extra{number}", category_id=site["category"].id)
    answer = page(testapp, "/project/category/science/?orderby=name", 200, "Birds")
    assert 'href="/project/category/science/page/2/?orderby=name"' in answer.text
    page(testapp, "/project/category/science/page/2/?orderby=name", 200, "Extra9")


# -- the owners' forms, filled and sent as a browser does (form-encoded, with csrf_token) --------


def form_to(answer, action: str, which: int = 0):
    """The page's form posting to ``action`` (its path, query included): the first, or the ``which``-th."""
    form = [form for form in answer.forms.values() if form.action == action][which]
    assert form["csrf_token"].value, "every owner form carries the CSRF token"
    return form


@pytest.fixture
def owner_app(testapp, make, site):
    return visitor_app(testapp, make, site, "owner")


def test_the_import_form_shows_errors_then_imports_the_csv_text(owner_app, site, dbsession):
    form = form_to(page(owner_app, "/project/birds/tasks/import?type=csv", 200), "/project/birds/tasks/import")
    refused = form.submit(headers=HTML, status=200)
    assert "Give either a link to a CSV file or its text." in refused.text and "Please correct the errors" in refused.text
    form = form_to(refused, "/project/birds/tasks/import")
    form["csv_text"] = "question\nOne?\nTwo?\n"
    done = form.submit(headers=HTML, status=302)
    assert done.location.endswith("/project/birds/tasks/")
    page(owner_app, "/project/birds/tasks/", 200, "14</strong> tasks")


def test_the_editor_form_saves_the_presenter(owner_app, site):
    form = form_to(page(owner_app, "/project/birds/tasks/taskpresentereditor", 200),
                   "/project/birds/tasks/taskpresentereditor")
    form["editor"] = "<p>new presenter</p>"
    assert form.submit(headers=HTML, status=302).location.endswith("/project/birds/tasks/")
    assert site["birds"].info["task_presenter"] == "<p>new presenter</p>"
    form["editor"] = ""
    assert 'id="editor-error"' in form.submit(headers=HTML, status=200).text


def test_the_update_form_shows_errors_next_to_the_fields(owner_app, site):
    form = form_to(page(owner_app, "/project/birds/update", 200), "/project/birds/update")
    form["name"] = ""
    refused = form.submit("btn", headers=HTML, status=200)
    assert 'id="name-error"' in refused.text and 'aria-invalid="true"' in refused.text
    form = form_to(refused, "/project/birds/update")
    form["name"] = "Birds of the park"
    assert form.submit("btn", headers=HTML, status=302).location.endswith("/project/birds/")
    assert site["birds"].name == "Birds of the park"


def test_the_thumbnail_form_uploads_a_picture(owner_app, site):
    picture = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(picture, "PNG")
    update = page(owner_app, "/project/birds/update", 200)
    refused = form_to(update, "/project/birds/update", which=1).submit("btn", headers=HTML, status=200)
    assert 'id="avatar-error"' in refused.text
    form = form_to(update, "/project/birds/update", which=1)
    assert form.enctype == "multipart/form-data"
    form["avatar"] = webtest.Upload("bird.png", picture.getvalue(), "image/png")
    assert form.submit("btn", headers=HTML, status=302).location.endswith("/project/birds/update")
    info = site["birds"].info
    thumbnail = info["thumbnail_url"]
    # Other visitors get only the container and file name: the page builds the same address from them.
    assert thumbnail == f"/uploads/{info['container']}/{info['thumbnail']}"
    assert f'src="{thumbnail}"' in page(owner_app, "/project/birds/", 200).text


def test_the_settings_form_resets_the_secret_key(owner_app, site):
    before = site["birds"].secret_key
    settings = page(owner_app, "/project/birds/settings", 200, before)
    assert form_to(settings, "/project/birds/resetsecretkey").submit(headers=HTML, status=302)
    assert site["birds"].secret_key != before
    page(owner_app, "/project/birds/settings", 200, site["birds"].secret_key)


def test_publishing_a_draft_without_tasks_is_refused_on_the_page(owner_app, site):
    refused = form_to(page(owner_app, "/project/sketch/publish", 200), "/project/sketch/publish").submit(
        headers=HTML, status=400)
    assert "<html" in refused.text and 'class="alert alert-danger flash"' in refused.text
    assert site["draft"].published is False


def test_the_blog_forms_write_and_delete_a_post(owner_app, site, dbsession):
    form = form_to(page(owner_app, "/project/birds/new-blogpost", 200), "/project/birds/new-blogpost")
    form["title"], form["body"], form["published"] = "Spring count", "Join us", True
    assert form.submit(headers=HTML, status=302).location.endswith("/project/birds/blog")
    post = dbsession.scalars(sa.select(Blogpost).where(Blogpost.title == "Spring count")).one()
    assert post.published is True and post.body == "Join us"
    post_page = page(owner_app, f"/project/birds/{post.id}", 200, "Spring count", "Delete this post")
    form_to(post_page, f"/project/birds/{post.id}/delete").submit(headers=HTML, status=302)
    assert dbsession.get(Blogpost, post.id) is None


def test_the_webhook_forms_queue_deliveries_again(owner_app, site):
    webhooks = page(owner_app, "/project/birds/webhook", 200)
    queued = form_to(webhooks, "/project/birds/webhook?all=1").submit(headers=HTML, status=200)
    assert "All webhooks enqueued" in queued.text
    (delivery,) = [form for form in queued.forms.values() if "/webhook/" in form.action]
    assert delivery.submit(headers={"Accept": "application/json"}, status=200).json["project_id"] == site["birds"].id


def test_the_delete_form_deletes_the_project(owner_app, site, dbsession):
    form = form_to(page(owner_app, "/project/birds/delete", 200), "/project/birds/delete")
    assert form.submit(headers=HTML, status=302).location.endswith("/account/owner/")
    assert dbsession.scalars(sa.select(Project).where(Project.short_name == "birds")).first() is None
