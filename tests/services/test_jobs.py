"""Background jobs: inline after the commit by default; on RQ, run by a real ``pybossa worker``, retried, listed when failed."""
from __future__ import annotations

import os
import subprocess
import sys
import signal
import textwrap
import threading
import time
import uuid
from pathlib import Path

import pytest
import rq
import sqlalchemy as sa
import transaction

from pybossa_core.cli import main
from pybossa_core.interfaces import IJobRunner, find_service
from pybossa_core.models import User
from pybossa_core.services import webhooks
from pybossa_core.services.jobs import InlineRunner, JobContext, RQRunner, timeout_for
from pybossa_core.services.mail import send_mail
from pybossa_core.services.shared_state import redis_client
from pybossa_core.settings import SettingsError, load_settings
from tests.conftest import SECRET, fresh_engine

REDIS_URL = os.environ.get("PYBOSSA_TEST_REDIS_URL")
NEEDS_REDIS = pytest.mark.skipif(not REDIS_URL, reason="needs PYBOSSA_TEST_REDIS_URL (make test sets it when Redis answers)")
ROOT = Path(__file__).resolve().parents[2]
JSON = {"Accept": "application/json"}
#: Seconds without a heartbeat after which the test workers take a job's worker for dead.
ABANDONED_AFTER = 3
#: The longest a test waits for a worker to reach a state: the abandonment, with room for a loaded machine.
PATIENCE = 60


# -- jobs: plain functions taking the context and plain values ------------------------------


def note(context: JobContext, path: str, text: str) -> None:
    with open(path, "a") as out:
        out.write(f"{text} {context.settings['jobs.queue']}\n")


def fail(context: JobContext, path: str) -> None:
    with open(path, "a") as out:
        out.write("attempt\n")
    raise RuntimeError("the mail server is down")


def hang(context: JobContext, path: str) -> None:
    """Note the attempt with the work horse's pid, then never end (the test kills its worker)."""
    with open(path, "a") as out:
        out.write(f"{os.getpid()}\n")
    threading.Event().wait()


def hang_first(context: JobContext, path: str) -> None:
    """Hang on the first attempt only."""
    if not Path(path).exists():
        hang(context, path)
    with open(path, "a") as out:
        out.write(f"{os.getpid()}\n")


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
    [failed] = runner.jobs()
    assert (failed.state, failed.kind, failed.tries, failed.last_error) == (
        "failed", "tests.services.test_jobs:fail", 3, "RuntimeError: the mail server is down"
    )


def test_jobs_are_shown_to_admins_only(site_with, make, tmp_path):
    site = site_with()
    assert site.get("/admin/jobs", headers=JSON, status=302).json["next"] == "/account/signin?next=%2Fadmin%2Fjobs"
    site.get("/admin/jobs", headers={"Authorization": make.user().api_key, **JSON}, status=403)
    runner = find_service(site.app.app.registry, IJobRunner)
    runner.run(fail, str(tmp_path / "attempts"), kind="mail", project_id=7)
    admin = make.admin()
    body = site.get("/admin/jobs", {"api_key": admin.api_key}, headers=JSON).json
    assert (body["runner"], body["queue"]) == ("inline", "pybossa")
    [job] = body["jobs"]
    assert {key: value for key, value in job.items() if key != "at"} == {
        "id": "1", "state": "failed", "kind": "mail", "project_id": 7, "tries": 4, "worker": None,
        "last_error": "RuntimeError: the mail server is down",
    }
    assert body["failed"] == [job]
    page = site.get("/admin/jobs", {"api_key": admin.api_key})
    row = page.html.select_one(f"#job-{job['id']}")
    assert row is not None and "RuntimeError: the mail server is down" in row.text and "mail" in row.text


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
            jobs.abandoned_after = {ABANDONED_AFTER}
            """))
        client = redis_client(REDIS_URL)
        runner = RQRunner(client, load_settings({"secret": SECRET, "jobs.queue": queue, "jobs.retries": "2",
                                                 "jobs.retry_interval": "0"}, environ={}))
        yield ini, runner, engine
        queue = runner.queue
        for registry in (queue.failed_job_registry, queue.finished_job_registry, queue.scheduled_job_registry):
            for job_id in registry.get_job_ids(cleanup=False):
                client.delete(rq.job.Job.key_for(job_id))
            client.delete(registry.key)
        client.delete(queue.started_job_registry.key)
        queue.delete(delete_jobs=True)


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
    assert sorted((job.state, job.kind, job.tries) for job in runner.jobs()) == [
        ("done", "pybossa_core.services.mail:send_mail", 1), ("done", "tests.services.test_jobs:count_users", 1),
        ("done", "tests.services.test_jobs:note", 1),
    ]


@NEEDS_REDIS
def test_a_failing_job_is_retried_then_listed_as_failed(rq_site, tmp_path):
    ini, runner, _ = rq_site
    job = runner.enqueue(fail, str(tmp_path / "attempts"))

    worker = pybossa(ini, "worker", "--burst")

    assert worker.returncode == 0, worker.stderr
    assert (tmp_path / "attempts").read_text() == "attempt\n" * 3
    [failed] = runner.jobs()
    assert (failed.id, failed.state, failed.kind, failed.tries) == (job.id, "failed", "tests.services.test_jobs:fail", 3)
    assert failed.last_error == "RuntimeError: the mail server is down"
    listing = pybossa(ini, "jobs")
    assert listing.returncode == 0, listing.stderr
    assert f"{job.id} tests.services.test_jobs:fail tries 3: RuntimeError: the mail server is down" in listing.stdout
    assert f"1 failed, 0 done job(s) on queue {runner.queue.name!r}" in listing.stdout


@NEEDS_REDIS
def test_failed_rq_jobs_are_shown_to_admins(rq_site, site_with, make, tmp_path):
    ini, runner, _ = rq_site
    job = runner.enqueue(fail, str(tmp_path / "attempts"))
    pybossa(ini, "worker", "--burst")
    site = site_with(**{"redis.url": REDIS_URL, "jobs.queue": runner.queue.name})

    body = site.get("/admin/jobs", {"api_key": make.admin().api_key}, headers=JSON).json

    assert (body["runner"], body["queue"]) == ("rq", runner.queue.name)
    assert [(failed["id"], failed["last_error"]) for failed in body["failed"]] == [(job.id, "RuntimeError: the mail server is down")]


def test_worker_and_jobs_need_redis(tmp_path, capsys):
    ini = tmp_path / "site.ini"
    ini.write_text(f"[app:main]\nuse = egg:pybossa-core\nsecret = {SECRET}\ndatabase.url = sqlite:///{tmp_path}/db.sqlite\n")
    for command in ("worker", "jobs"):
        assert main(["-c", str(ini), command]) == 2
        assert "no redis.url" in capsys.readouterr().err


# -- a worker that dies: its job is not lost ------------------------------------------------


def start_worker(ini: Path) -> subprocess.Popen:
    environ = {key: value for key, value in os.environ.items() if not key.startswith("PYBOSSA_")}
    return subprocess.Popen([sys.executable, "-m", "pybossa_core.cli", "-c", str(ini), "worker"], cwd=ROOT, env=environ,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_for(state, what: str):
    """Poll ``state()`` until it is truthy and return it; fail after :data:`PATIENCE` seconds."""
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        found = state()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"waited {PATIENCE} s for {what}")


def attempts(path: Path) -> list[int]:
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def alive(pid: int) -> bool:
    """Tell whether process ``pid`` runs (a zombie nobody reaped yet counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False


def children(pid: int) -> set[int]:
    return {int(child) for task in Path(f"/proc/{pid}/task").iterdir() for child in (task / "children").read_text().split()}


def kill_worker_and_horse(worker: subprocess.Popen, horse: int) -> None:
    """SIGKILL a worker and its work horse (which RQ puts in a process group of its own), as an OOM kill does."""
    os.kill(horse, signal.SIGKILL)
    worker.kill()
    worker.wait()
    wait_for(lambda: not alive(horse), "the work horse to die")


def job_state(runner: RQRunner, job_id: str):
    return next((job for job in runner.jobs() if job.id == job_id), None)


@NEEDS_REDIS
def test_a_job_whose_worker_was_killed_runs_again_on_another_worker(rq_site, tmp_path):
    ini, runner, _ = rq_site
    path = tmp_path / "attempts"
    job = runner.enqueue(hang_first, str(path), kind="test", project_id=3)
    first = start_worker(ini)
    [horse] = wait_for(lambda: attempts(path), "the first attempt")
    running = job_state(runner, job.id)
    assert (running.state, running.kind, running.project_id, running.tries) == ("running", "test", 3, 1)
    assert running.worker is not None
    kill_worker_and_horse(first, horse)

    second = start_worker(ini)
    try:
        wait_for(lambda: len(attempts(path)) == 2, "the job to run again")
        done = wait_for(lambda: (found := job_state(runner, job.id)) and found.state == "done" and found, "the job to be done")
        assert (done.tries, done.last_error) == (2, "worker died")
        listing = pybossa(ini, "jobs")
        assert f"{job.id} test project 3 tries 2: worker died" in listing.stdout and listing.stdout.startswith("done")
    finally:
        second.terminate()
        assert second.wait(PATIENCE) == 0


@NEEDS_REDIS
def test_a_job_whose_every_try_dies_is_listed_as_failed_because_its_worker_died(rq_site, tmp_path):
    ini, runner, _ = rq_site
    path = tmp_path / "attempts"
    job = runner.enqueue(hang, str(path), kind="test")
    for attempt in range(1, runner.retries + 2):
        worker = start_worker(ini)
        horse = wait_for(lambda: len(attempts(path)) == attempt and attempts(path)[-1], f"attempt {attempt}")
        if attempt > 1:
            assert job_state(runner, job.id).tries == attempt
        kill_worker_and_horse(worker, horse)
    last = start_worker(ini)
    try:
        failed = wait_for(lambda: (found := job_state(runner, job.id)) and found.state == "failed" and found, "the failure")
        assert (failed.tries, failed.last_error) == (runner.retries + 1, "worker died")
        assert len(attempts(path)) == runner.retries + 1
        assert f"{job.id} test tries 3: worker died" in pybossa(ini, "jobs").stdout
    finally:
        last.terminate()
        assert last.wait(PATIENCE) == 0


@NEEDS_REDIS
def test_a_killed_worker_leaves_no_work_horse_or_scheduler_behind(rq_site, tmp_path):
    ini, runner, _ = rq_site
    path = tmp_path / "attempts"
    runner.enqueue(hang, str(path))
    worker = start_worker(ini)
    [horse] = wait_for(lambda: attempts(path), "the job to start")
    forked = children(worker.pid)
    assert horse in forked and len(forked) == 2  # the work horse and the scheduler
    worker.kill()  # kill -9 of the worker's pid alone
    worker.wait()
    for pid in forked:
        wait_for(lambda: not alive(pid), f"process {pid} to die with its worker")


@NEEDS_REDIS
def test_sigterm_stops_an_idle_worker_and_its_scheduler(rq_site):
    ini, runner, _ = rq_site
    worker = start_worker(ini)
    [scheduler] = wait_for(lambda: children(worker.pid), "the scheduler to start")
    worker.terminate()
    assert worker.wait(PATIENCE) == 0
    wait_for(lambda: not alive(scheduler), "the scheduler to stop")


@NEEDS_REDIS
def test_a_mail_job_run_again_does_not_send_its_mail_twice(rq_site, tmp_path):
    ini, runner, _ = rq_site
    job = runner.enqueue(send_mail, "Welcome", "one@example.com", "Hi!", "<one@example.com>", kind="mail")
    assert pybossa(ini, "worker", "--burst").returncode == 0
    runner.queue.finished_job_registry.requeue(job.id)  # as the abandoned-job recovery would
    assert pybossa(ini, "worker", "--burst").returncode == 0
    [mailed] = list((tmp_path / "mail").iterdir())
    assert "Message-Id: <one@example.com>" in mailed.read_text()
    [done] = runner.jobs()
    assert (done.state, done.kind, done.tries) == ("done", "mail", 2)


def test_a_job_runs_under_its_kinds_timeout_and_a_webhook_job_under_what_its_attempts_need():
    settings = load_settings({"secret": SECRET, "jobs.timeout": "120", "jobs.timeouts": "mail=30, webhook=40",
                              "webhooks.timeout": "10", "webhooks.retries": "2", "webhooks.retry_backoff": "1"},
                             environ={})
    assert (settings["jobs.timeouts"], timeout_for(settings, "dashboard")) == ({"mail": 30, "webhook": 40}, 120)
    assert timeout_for(settings, "mail") == 30
    # Three attempts of 10 s, 1 + 2 s between them, and the margin: more than the kind's 40 s.
    assert timeout_for(settings, webhooks.KIND, webhooks.time_needed(settings)) == 3 * 10 + 3 + webhooks.DELIVERY_MARGIN


def test_a_timeouts_setting_that_does_not_parse_is_refused():
    with pytest.raises(SettingsError, match="'mail:30' is not name=seconds"):
        load_settings({"secret": SECRET, "jobs.timeouts": "mail:30"}, environ={})


@NEEDS_REDIS
def test_a_job_that_outlives_its_kinds_timeout_is_stopped_and_listed_as_failed(rq_site, tmp_path):
    ini, runner, _ = rq_site
    ini.write_text(ini.read_text().replace("jobs.retries = 2", "jobs.retries = 0") + "jobs.timeouts = slow=1\n")
    runner = RQRunner(runner.queue.connection, load_settings(
        {"secret": SECRET, "jobs.queue": runner.queue.name, "jobs.retries": "0", "jobs.timeouts": "slow=1"}, environ={}))
    job = runner.enqueue(hang, str(tmp_path / "attempts"), kind="slow")
    assert job.timeout == 1
    assert pybossa(ini, "worker", "--burst").returncode == 0
    [failed] = runner.jobs()
    assert (failed.id, failed.state, failed.tries) == (job.id, "failed", 1)
    assert failed.last_error.startswith("JobTimeoutException: Task exceeded maximum timeout value (1 seconds)")
