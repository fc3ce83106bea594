"""No GET changes anything: every route is walked by a signed-in admin who owns a full project.

A link on another site makes the browser GET it with the visitor's cookie; such a request must
change no row and send nothing.  The routes PYBOSSA's spec keeps as GET actions (sign out, the
newsletter, confirm-email, admin users add/del) do their action only with the CSRF token in the
``X-CSRFToken`` header, so a cross-site link cannot.
"""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from pybossa_core.interfaces import IJobRunner
from pybossa_core.models import Announcement, Blogpost, User, Webhook
from pybossa_core.models.figure_counts import count_own_answers
from pybossa_core.models.meta import Base
from pybossa_core.services.figures import refresh_snapshot
from tests.views.conftest import JSON, csrf_of, sign_in

#: GETs that write by design, each with its reason.
WRITING_BY_DESIGN = {
    # Handing out a task reserves it for the caller (PYBOSSA's newtask and task pages are GETs).
    "api.newtask", "api.project.newtask", "project.newtask", "project.task",
    # A provider sends the visitor back by GET (OAuth); the round trip's state cookie proves it started here.
    "account.auth.callback",
}
#: Query strings that ask GET actions to act (PYBOSSA's parameters).
ACTING_QUERIES = ("", "?subscribe=true&all=1&failed=1&refresh=1")
#: Tables whose rows a read may touch without changing anything anyone sees: the cached figures,
#: and the 24-hour lists' window, which the first read of a new hour moves on.
IGNORED_TABLES = {"site_snapshot", "day_window"}
#: Jobs a read may start: recomputing the cached figures (the dashboard's, once at a time).
READ_ONLY_JOBS = {refresh_snapshot}


def snapshot(dbsession) -> dict[str, list]:
    dbsession.flush()
    # PostgreSQL counts the fixture's answers in the day's counters at commit; count them now, as
    # the reads that show those counters do.
    count_own_answers(dbsession)
    return {
        table.name: sorted(map(repr, dbsession.execute(sa.select(table)).all()))
        for table in Base.metadata.sorted_tables
        if table.name not in IGNORED_TABLES
    }


@pytest.fixture
def full_site(testapp, make, dbsession, member):
    """An admin signed in, owning a project with tasks, answers, a result, a blog post, a webhook call."""
    admin = make.user("walker", admin=True, passwd_hash=member.passwd_hash)
    project = make.project(admin, "walked", info={"task_presenter": "<div></div>"}, webhook="http://127.0.0.1:9/hook")
    task = make.task(project)
    run = make.task_run(task, member)
    make.result(task, [run])
    dbsession.add_all([
        Blogpost(project_id=project.id, user_id=admin.id, title="Post", body="Body"),
        Announcement(user_id=admin.id, title="News", body="Body"),
        Webhook(project_id=project.id, payload={"event": "task_completed"}, response="ok", response_status_code=200),
    ])
    dbsession.flush()
    sign_in(testapp, admin)
    return {"name": admin.name, "short_name": project.short_name, "user_name": member.name, "task_id": task.id,
            "project_id": project.id, "project": project.id, "user_id": member.id, "provider": "twitter",
            "page": 1, "window": 2, "id": None}


def _ids(dbsession) -> dict[str, int]:
    first = {}
    for model in (Blogpost, Announcement, Webhook):
        first[model.__tablename__] = dbsession.scalar(sa.select(sa.func.min(model.id)))
    return first


def _path(pattern: str, values: dict, route_name: str, ids: dict) -> str:
    value_of = dict(values)
    if "blogpost" in route_name:
        value_of["id"] = ids["blogpost"]
    elif "announcement" in route_name:
        value_of["id"] = ids["announcement"]
    elif "webhook" in route_name:
        value_of["id"] = ids["webhook"]
    else:
        value_of["id"] = values["project_id"]

    def fill(match):
        name = match.group(1).split(":")[0]
        return "" if name == "slash" else str(value_of.get(name, "x"))

    return "/" + re.sub(r"\{([^}]+)\}", fill, pattern).replace("*subpath", "x").lstrip("/")


class RecordingRunner:
    """A job runner that runs nothing and records the jobs queued, but those that only read."""

    def __init__(self, settings):
        self.settings, self.sent = settings, []

    def enqueue_after_commit(self, transaction_manager, function, *args, **options):
        if function not in READ_ONLY_JOBS:
            self.sent.append(function)

    def jobs(self):
        return []


@pytest.mark.slow
def test_no_get_writes_or_sends(app, testapp, full_site, dbsession, replace_service):
    runner = RecordingRunner(app.registry.settings)
    replace_service(app.registry, IJobRunner, runner)
    sent = runner.sent
    ids = _ids(dbsession)
    routes = [(item["name"], item["pattern"]) for item in
              (entry["introspectable"] for entry in app.registry.introspector.get_category("routes"))]
    walked, writers = 0, []
    for name, pattern in routes:
        if name in WRITING_BY_DESIGN:
            continue
        path = _path(pattern, full_site, name, ids)
        for query in ACTING_QUERIES:
            for headers in (JSON, {"Accept": "text/html"}):
                before, sent_before = snapshot(dbsession), len(sent)
                testapp.get(path + query, headers=headers, expect_errors=True)
                walked += 1
                after = snapshot(dbsession)
                changed = sorted(table for table in after if after[table] != before[table])
                if changed or len(sent) != sent_before:
                    writers.append((name, path + query, headers["Accept"], changed, sent[sent_before:]))
                    # A writer may have signed the admin out (or changed its password): sign in again.
                    sign_in(testapp, dbsession.scalar(sa.select(User).where(User.name == full_site["name"])))
    assert walked > 400
    assert writers == []


def test_spec_get_actions_act_with_the_token_in_the_header(testapp, full_site, dbsession):
    member = dbsession.get(User, full_site["user_id"])
    refused = testapp.get(f"/admin/users/add/{member.id}", headers=JSON, status=400).json
    assert refused["description"] == "CSRF token missing or incorrect."
    assert member.admin is False

    done = testapp.get(f"/admin/users/add/{member.id}", headers={**JSON, "X-CSRFToken": csrf_of(testapp)}).json
    assert done["next"] == "/admin/users"
    dbsession.refresh(member)
    assert member.admin is True

    asked = testapp.get("/account/signout", headers=JSON).json
    assert asked["template"] == "account/signout.html" and asked["form"]["csrf"] == csrf_of(testapp)
    assert testapp.get("/account/profile", headers=JSON).json["user"]["name"] == full_site["name"]
    testapp.get("/account/newsletter?subscribe=true", headers=JSON)
    assert dbsession.scalar(sa.select(User.subscribed).where(User.name == full_site["name"])) is False
    subscribed = testapp.get("/account/newsletter?subscribe=true", headers={**JSON, "X-CSRFToken": csrf_of(testapp)}).json
    assert subscribed["flash"] == "You are subscribed to our newsletter"
    admin = dbsession.scalar(sa.select(User).where(User.name == full_site["name"]))
    dbsession.refresh(admin)
    assert (admin.subscribed, admin.newsletter_prompted) == (True, True)
    out = testapp.get("/account/signout", headers={**JSON, "X-CSRFToken": csrf_of(testapp)}).json
    assert out["next"] == "/" and out["message"] == "success"
    assert testapp.get("/account/profile", headers=JSON).json["status"] == "not_signed_in"
