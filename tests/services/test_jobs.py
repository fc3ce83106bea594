"""Background jobs: inline after the commit by default; on RQ, run by a real ``pybossa worker``, retried, listed when failed."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
import transaction

from pybossa_core.cli import main
from pybossa_core.models import User
from pybossa_core.services.jobs import InlineRunner, JobContext, RQRunner
from pybossa_core.services.mail import send_mail
from pybossa_core.services.shared_state import redis_client
from tests.conftest import SECRET, fresh_engine

REDIS_URL = os.environ.get("PYBOSSA_TEST_REDIS_URL")
NEEDS_REDIS = pytest.mark.skipif(not REDIS_URL, reason="needs PYBOSSA_TEST_REDIS_URL (make test sets it when Redis answers)")
ROOT = Path(__file__).resolve().parents[2]
JSON = {"Accept": "application/json"}


# -- jobs: plain functions taking the context and plain values ------------------------------


def note(context: JobContext, path: str, text: str) -> None:
    with open(path, "a") as out:
        out.write(f"{text} {context.settings['jobs.queue']}\n")


def fail(context: JobContext, path: str) -> None:
    with open(path, "a") as out:
        out.write("attempt\n")
    raise RuntimeError("the mail server is down")


def count_users(context: JobContext, path: str) -> None:
    with context.dbsession() as session:
        Path(path).write_text(str(session.scalar(sa.select(sa.func.count(User.id)))))


# -- inline ---------------------------------------------------------------------------------


def inline_runner(retries: int = 2) -> InlineRunner:
    return InlineRunner(JobContext({"jobs.queue": "inline"}), retries)


def test_inline_job_runs_only_once_the_transaction_commits(tmp_path):
    runner, path = inline_runner(), tmp_path / "notes"
    manager = transaction.TransactionManager(explicit=True)
    with manager:
        runner.enqueue_after_commit(manager, note, str(path), "committed")
        assert not path.exists()
    manager.begin()
    runner.enqueue_after_commit(manager, note, str(path), "aborted")
    manager.abort()
    assert path.read_text() == "committed inline\n"


def test_inline_job_that_keeps_failing_is_retried_then_logged_and_listed(tmp_path, caplog):
    runner, path = inline_runner(retries=2), tmp_path / "attempts"
    manager = transaction.TransactionManager(explicit=True)
    with manager:
        runner.enqueue_after_commit(manager, fail, str(path))
    assert path.read_text() == "attempt\n" * 3
    assert "failed after 3 attempts" in caplog.text
    [failed] = runner.failed()
    assert (failed.function, failed.args, failed.error) == (
        "tests.services.test_jobs:fail", [str(path)], "RuntimeError: the mail server is down"
    )


def test_failed_jobs_are_shown_to_admins_only(site_with, make, tmp_path):
    site = site_with()
    site.get("/admin/jobs", headers=JSON, status=403)
    site.get("/admin/jobs", headers={"Authorization": make.user().api_key, **JSON}, status=403)
    runner = site.app.app.registry["jobs"]
    runner.run(fail, str(tmp_path / "attempts"))
    admin = make.admin()
    body = site.get("/admin/jobs", {"api_key": admin.api_key}, headers=JSON).json
    assert (body["runner"], body["queue"]) == ("inline", "pybossa")
    assert {key: value for key, value in body["failed"][0].items() if key != "failed_at"} == {
        "id": "1", "function": "tests.services.test_jobs:fail", "error": "RuntimeError: the mail server is down"
    }


# -- RQ and a real worker -------------------------------------------------------------------


@pytest.fixture
def rq_site(tmp_path, tmp_path_factory):
    """An ini file for a site on a migrated SQLite database with jobs on a queue of this test's own."""
    queue = f"test-{uuid.uuid4().hex}"
    with fresh_engine("sqlite", tmp_path_factory, "jobs") as engine:
        ini = tmp_path / "site.ini"
        ini.write_text(textwrap.dedent(f"""\
            [app:main]
            use = egg:pybossa-core
            database.url = {engine.url.render_as_string(False)}
            redis.url = {REDIS_URL}
            secret = {SECRET}
            mail.dir = {tmp_path / "mail"}
            jobs.queue = {queue}
            jobs.retries = 2
            jobs.retry_interval = 0
            """))
        client = redis_client(REDIS_URL)
        runner = RQRunner(client, queue, retries=2, retry_interval=0)
        yield ini, runner, engine
        for registry in (runner.queue.failed_job_registry, runner.queue.finished_job_registry):
            for job_id in registry.get_job_ids():
                registry.remove(job_id, delete_job=True)
        runner.queue.delete(delete_jobs=True)


def pybossa(ini: Path, *command: str) -> subprocess.CompletedProcess:
    environ = {key: value for key, value in os.environ.items() if not key.startswith("PYBOSSA_")}
    return subprocess.run(
        [sys.executable, "-m", "pybossa_core.cli", "-c", str(ini), *command],
        cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60, check=False,
    )


@NEEDS_REDIS
def test_a_worker_process_runs_jobs_with_the_sites_settings_and_database(rq_site, tmp_path):
    ini, runner, engine = rq_site
    with engine.begin() as connection:
        connection.execute(sa.insert(User).values(name="one", fullname="One", email_addr="one@example.com", api_key="k" * 36))
    runner.enqueue(note, str(tmp_path / "notes"), "hello")
    runner.enqueue(count_users, str(tmp_path / "users"))
    runner.enqueue(send_mail, "Welcome", "one@example.com", "Hi!")

    worker = pybossa(ini, "worker", "--burst")

    assert worker.returncode == 0, worker.stderr
    assert (tmp_path / "notes").read_text() == f"hello {runner.queue.name}\n"
    assert (tmp_path / "users").read_text() == "1"
    [mailed] = list((tmp_path / "mail").iterdir())
    assert "Subject: Welcome" in mailed.read_text() and "one@example.com" in mailed.read_text()
    assert runner.failed() == []


@NEEDS_REDIS
def test_a_failing_job_is_retried_then_listed_as_failed(rq_site, tmp_path):
    ini, runner, _ = rq_site
    job = runner.enqueue(fail, str(tmp_path / "attempts"))

    worker = pybossa(ini, "worker", "--burst")

    assert worker.returncode == 0, worker.stderr
    assert (tmp_path / "attempts").read_text() == "attempt\n" * 3
    [failed] = runner.failed()
    assert (failed.id, failed.function, failed.args) == (job.id, "tests.services.test_jobs:fail", [str(tmp_path / "attempts")])
    assert failed.error == "RuntimeError: the mail server is down"
    listing = pybossa(ini, "jobs")
    assert listing.returncode == 0, listing.stderr
    assert f"{job.id} tests.services.test_jobs:fail: RuntimeError" in listing.stdout
    assert "RuntimeError: the mail server is down" in listing.stdout
    assert f"1 failed job(s) on queue {runner.queue.name!r}" in listing.stdout


@NEEDS_REDIS
def test_failed_rq_jobs_are_shown_to_admins(rq_site, site_with, make, tmp_path):
    ini, runner, _ = rq_site
    job = runner.enqueue(fail, str(tmp_path / "attempts"))
    pybossa(ini, "worker", "--burst")
    site = site_with(**{"redis.url": REDIS_URL, "jobs.queue": runner.queue.name})

    body = site.get("/admin/jobs", {"api_key": make.admin().api_key}, headers=JSON).json

    assert (body["runner"], body["queue"]) == ("rq", runner.queue.name)
    assert [(failed["id"], failed["error"]) for failed in body["failed"]] == [(job.id, "RuntimeError: the mail server is down")]


def test_worker_and_jobs_need_redis(tmp_path, capsys):
    ini = tmp_path / "site.ini"
    ini.write_text(f"[app:main]\nuse = egg:pybossa-core\nsecret = {SECRET}\ndatabase.url = sqlite:///{tmp_path}/db.sqlite\n")
    for command in ("worker", "jobs"):
        assert main(["-c", str(ini), command]) == 2
        assert "no redis.url" in capsys.readouterr().err
