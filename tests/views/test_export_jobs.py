"""Exports built by a job when Redis is configured (issue 21).

A download not built yet queues one ``pybossa worker`` job for its file, however many ask, and
answers 202 with ``Retry-After`` and the page saying it is being prepared; once the job has built
it the same URL answers the file, and the signed-in requester who queued it has the link by
e-mail.  A job that fails is listed for admins and the next request queues the build again.
(Without Redis the request builds it: tests/views/test_export_cache.py.)
"""
from __future__ import annotations

import email
import email.header
import uuid
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
import webtest

from pybossa_core.config import configure
from pybossa_core.models import Task
from pybossa_core.services import exports
from pybossa_core.services.shared_state import redis_client
from tests import factories
from tests.conftest import LiveServer, app_settings
from tests.services.test_jobs import NEEDS_REDIS, REDIS_URL, pybossa, rq_site  # noqa: F401 (rq_site: a fixture)
from tests.views.test_export import unzip

pytestmark = NEEDS_REDIS
JSON = {"Accept": "application/json"}
#: The owner's language (a shipped catalog).
GERMAN = {
    exports.MAILING: "Dieser Export wird vorbereitet: Wir senden Ihnen einen Link per E-Mail, sobald er fertig ist.",
    exports.PREPARING: "Dieser Export wird vorbereitet: Bitte versuchen Sie es in ein paar Sekunden erneut.",
}


class Site(SimpleNamespace):
    """The web app and a worker's ini on one committed database, one Redis queue and one exports folder."""

    session = LiveServer.session

    def download(self, kind: str, file_format: str, status: int, **params):
        return self.web.get(f"/project/{self.project}/tasks/export", {"type": kind, "format": file_format, **params},
                            headers=JSON, status=status)

    def work(self) -> None:
        worker = pybossa(self.ini, "worker", "--burst")
        assert worker.returncode == 0, worker.stderr

    def jobs(self) -> list[tuple[str, str, int | None]]:
        return sorted((job.state, job.kind, job.project_id) for job in self.runner.jobs())


@pytest.fixture
def site(rq_site, tmp_path):  # noqa: F811 (the fixture imported above)
    ini, runner, engine = rq_site
    prefix = f"test-{uuid.uuid4().hex}"
    shared = {"redis.prefix": prefix, "exports.dir": str(tmp_path / "exports")}
    with ini.open("a") as out:
        out.writelines(f"{key} = {value}\n" for key, value in shared.items())
    app = configure(app_settings(engine, tmp_path / "uploads", **shared, **{
        "redis.url": REDIS_URL, "jobs.queue": runner.queue.name, "mail.dir": str(tmp_path / "app-mail"),
        # As the worker's ini: the tries of a failing job run within one burst.
        "jobs.retries": "2", "jobs.retry_interval": "0",
    }), environ={}).make_wsgi_app()
    built = Site(ini=ini, runner=runner, engine=engine, app=app, web=webtest.TestApp(app), mail=tmp_path / "mail")
    with factories.Committing(built) as make:
        owner = make.user("owner", fullname="Owner One", locale="de")
        project = make.project(owner, "birds", name="Birds")
        task = make.task(project, info={"question": "Bird?"}, calibration=1, gold_answers={"answer": "yes"})
        admin = make.admin("boss")
        vars(built).update(owner_key=owner.api_key, admin_key=admin.api_key, project="birds",
                           project_id=project.id, task_id=task.id)
    yield built
    client = redis_client(REDIS_URL)
    client.delete(*client.keys(f"{prefix}:*") or [f"{prefix}:none"])


def mails(site: Site) -> list[email.message.Message]:
    """The messages the worker sent, parsed."""
    found = sorted(site.mail.iterdir()) if site.mail.exists() else []
    return [email.message_from_string(path.read_text()) for path in found]


def test_a_download_not_built_yet_queues_one_job_and_answers_202_until_the_worker_built_it(site):
    first = site.download("task", "json", 202, api_key=site.owner_key)
    assert first.headers["Retry-After"] == str(exports.RETRY_AFTER)
    # In the owner's language, as the mail will be.
    assert (first.json["flash"], first.json["status"]) == (GERMAN[exports.MAILING], "info")
    assert first.json["preparing"] == {"type": "task", "format": "json",
                                       "url": "/project/birds/tasks/export?type=task&format=json"}
    assert first.json["template"] == "/projects/export.html" and first.json["project"]["short_name"] == "birds"
    # Others asking for the same file meanwhile queue nothing more, and get no mail.
    again = site.download("task", "json", 202, api_key=site.owner_key)
    assert again.json["flash"] == GERMAN[exports.PREPARING]
    assert site.jobs() == [("queued", "export", site.project_id)]
    # The page says it too, in HTML.
    page = site.web.get("/project/birds/tasks/export", {"type": "task", "format": "json", "api_key": site.owner_key},
                        status=202)
    assert GERMAN[exports.PREPARING] in page.html.select_one(".flash").text

    site.work()

    assert site.jobs() == [("done", "export", site.project_id)]
    served = site.web.get("/project/birds/tasks/export", {"type": "task", "format": "json", "api_key": site.owner_key})
    name, text = unzip(served)
    assert name == "birds_task.json" and '"question":"Bird?"' in text.replace(" ", "")
    # The owners' file: with the gold answers only they see.
    assert '"gold_answers":{"answer":"yes"}' in text.replace(" ", "")
    [mailed] = mails(site)
    assert (str(email.header.make_header(email.header.decode_header(mailed["Subject"]))), mailed["To"]) == (
        "Ihr Export von Birds ist fertig", "owner@example.com")
    body = mailed.get_payload(decode=True).decode(mailed.get_content_charset())
    assert "Hallo Owner One," in body and "der JSON-Export der Daten (Aufgaben) von Birds steht zum Herunterladen bereit" in body
    assert "http://localhost/project/birds/tasks/export?type=task&format=json" in body
    # Served from the file: nothing queued again.
    assert site.download("task", "json", 200, api_key=site.owner_key).content_type == "application/zip"
    assert site.jobs() == [("done", "export", site.project_id)]


def test_each_file_has_its_own_job_and_an_anonymous_one_hides_gold_answers(site):
    anonymous = site.download("task", "json", 202)
    assert anonymous.json["flash"] == exports.PREPARING  # nobody to mail
    site.download("task", "csv", 202)
    assert site.jobs() == [("queued", "export", site.project_id)] * 2

    site.work()

    text = unzip(site.download("task", "json", 200))[1].replace(" ", "")
    assert '"question":"Bird?"' in text and '"gold_answers":null' in text
    assert "info_question" in unzip(site.download("task", "csv", 200))[1]
    assert mails(site) == []
    # The owners' file is another one, built by a job of its own.
    site.download("task", "json", 202, api_key=site.owner_key)
    assert sorted(state for state, _, _ in site.jobs()) == ["done", "done", "queued"]


def test_a_write_after_the_build_queues_a_new_one(site):
    site.download("task_run", "json", 202)
    site.work()
    assert unzip(site.download("task_run", "json", 200))[1] == "[]"

    key = site.owner_key
    assert site.web.get(f"/api/{site.project_id}/newtask", {"api_key": key}).json["id"] == site.task_id
    site.web.post_json(f"/api/taskrun?api_key={key}", {"project_id": site.project_id, "task_id": site.task_id,
                                                      "info": "yes"})

    site.download("task_run", "json", 202)
    site.work()
    assert '"yes"' in unzip(site.download("task_run", "json", 200))[1]


def test_a_failing_job_is_listed_for_admins_and_the_next_request_queues_it_again(site):
    # A row the export cannot read (malformed JSON) makes every try of the job fail.
    with site.engine.begin() as connection:
        connection.execute(sa.update(Task.__table__).where(Task.id == site.task_id).values(
            fav_user_ids=sa.literal_column("'[not json'")))
    site.download("task", "json", 202)

    site.work()

    body = site.web.get("/admin/jobs", {"api_key": site.admin_key}, headers=JSON).json
    [failed] = body["failed"]
    assert (failed["kind"], failed["project_id"], failed["tries"]) == ("export", site.project_id, 3)
    assert failed["last_error"]
    # Nothing half-written is served: the next request queues the build again.
    assert not list((site.ini.parent / "exports").glob("*.zip"))
    with site.engine.begin() as connection:
        connection.execute(sa.update(Task.__table__).where(Task.id == site.task_id).values(
            fav_user_ids=[], info={"question": "Plane?"}))
    site.download("task", "json", 202)
    site.work()
    assert "Plane?" in unzip(site.download("task", "json", 200))[1]


def test_beyond_max_running_queued_builds_the_answer_is_429(site):
    for kind in ("task", "task_run"):
        site.download(kind, "json", 202)
    refused = site.download("result", "json", 429)
    assert refused.headers["Retry-After"] == "60"
    assert refused.json["exception_msg"] == exports.BUSY
    assert len(site.jobs()) == 2
    site.work()
    site.download("result", "json", 202)
