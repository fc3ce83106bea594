"""Project webhooks: a completed task is POSTed to a real receiver on loopback, retried, recorded and sent again.

The site here commits for real (its background jobs run after the commit, inline), on a
database of its own; the receiver is an ``http.server`` in a thread whose answer each
test chooses: 200, 500, too slow for ``webhooks.timeout``, or no server at all.
"""
from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa
import transaction
import webtest

from pybossa_core.config import configure
from pybossa_core.db import get_tm_session
from pybossa_core.interfaces import IJobRunner, ISessionFactory, ISigninThrottle, find_service
from pybossa_core.models import Project, TaskRun, Webhook
from pybossa_core.services import webhooks
from tests.conftest import SECRET, app_settings, fresh_engine
from tests.factories import Factories
from tests.views.conftest import JSON, PASSWORD_HASH, csrf_of, free_port, sign_in
from tests.views.project_fixtures import post

REDIS_URL = os.environ.get("PYBOSSA_TEST_REDIS_URL")
TIMEOUT = 0.5
RETRIES = 2
#: A site that refuses webhooks into private networks.
OPEN = {"webhooks.block_private_networks": "false"}
PAYLOAD_KEYS = {"fired_at", "project_short_name", "project_id", "task_id", "result_id", "event"}


class Receiver(ThreadingHTTPServer):
    """A webhook receiver on loopback that notes what it is sent and answers as told (``mode``)."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), ReceiverHandler)
        self.mode = "ok"
        self.received: list[tuple[str, dict]] = []
        self.delivery_ids: list[str | None] = []
        self.lock = threading.Lock()

    def handle_error(self, request, client_address):
        """Stay quiet when a client gave up waiting (the slow mode's point)."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class ReceiverHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.server.lock:
            self.server.received.append((self.path, body))
            self.server.delivery_ids.append(self.headers.get("X-Pybossa-Delivery"))
        if self.server.mode == "slow":
            time.sleep(TIMEOUT * 3)
        status, text = (500, "receiver is down") if self.server.mode == "fail" else (200, "received")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(text.encode())

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def receiver():
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def fresh_receiver(receiver):
    receiver.mode = "ok"
    receiver.received.clear()
    receiver.delivery_ids.clear()


@pytest.fixture(scope="module")
def hook_site(backend, tmp_path_factory):
    """A site committing for real to its own database, allowed to call webhooks on 127.0.0.1."""
    with fresh_engine(backend, tmp_path_factory, "webhooks") as engine:
        settings = app_settings(
            engine, tmp_path_factory.mktemp("webhook_uploads"),
            **{"webhooks.allowed_hosts": "127.0.0.1", "webhooks.timeout": str(TIMEOUT),
               "webhooks.retries": str(RETRIES), "webhooks.retry_backoff": "0"},
        )
        yield configure(settings, environ={}).make_wsgi_app()


@pytest.fixture
def site(hook_site):
    find_service(hook_site.registry, ISigninThrottle, "signin").clear()
    return webtest.TestApp(hook_site, extra_environ={"HTTP_HOST": "localhost:5000", "REMOTE_ADDR": "127.0.0.1"})


@contextlib.contextmanager
def committed(site):
    """Factories whose rows are committed to the site's database when the block ends."""
    manager = transaction.TransactionManager(explicit=True)
    with manager:
        yield Factories(get_tm_session(find_service(site.app.registry, ISessionFactory), manager))


def read(site, query):
    manager = transaction.TransactionManager(explicit=True)
    with manager:
        return get_tm_session(find_service(site.app.registry, ISessionFactory), manager).scalars(query).all()


def stored(site, project_id) -> list[Webhook]:
    return read(site, sa.select(Webhook).where(Webhook.project_id == project_id).order_by(Webhook.id))


@pytest.fixture
def scene(site, receiver):
    """An owner's project whose webhook is the receiver, with two one-answer tasks, and a volunteer."""
    with committed(site) as make:
        owner = make.user(passwd_hash=PASSWORD_HASH)
        volunteer = make.user()
        project = make.project(owner, webhook=receiver.url)
        tasks = [make.task(project, n_answers=1) for _ in range(2)]
    return owner, volunteer, project, tasks


def complete_a_task(site, project, volunteer) -> dict:
    """Hand a task of ``project`` to ``volunteer`` and answer it; return the stored answer."""
    task = site.get(f"/api/{project.id}/newtask", {"api_key": volunteer.api_key}).json
    return site.post_json(
        f"/api/taskrun?api_key={volunteer.api_key}",
        {"project_id": project.id, "task_id": task["id"], "info": {"answer": "yes"}},
    ).json


def as_owner(site, owner):
    sign_in(site, owner)
    return site


def test_completing_a_task_posts_the_event_to_the_projects_webhook(site, receiver, scene):
    owner, volunteer, project, tasks = scene
    answer = complete_a_task(site, project, volunteer)
    [(path, payload)] = receiver.received
    assert path == "/hook" and set(payload) == PAYLOAD_KEYS
    assert payload["event"] == "task_completed" and payload["task_id"] == answer["task_id"]
    assert (payload["project_id"], payload["project_short_name"]) == (project.id, project.short_name)
    assert payload["result_id"] is not None and payload["fired_at"].startswith("20")
    [delivery] = stored(site, project.id)
    assert (delivery.payload, delivery.response, delivery.response_status_code) == (payload, "received", 200)
    assert receiver.delivery_ids == [str(delivery.id)]


def test_a_project_without_webhook_sends_nothing(site, receiver, scene):
    owner, volunteer, _, _ = scene
    with committed(site) as make:
        quiet = make.project(owner)
        make.task(quiet, n_answers=1)
    complete_a_task(site, quiet, volunteer)
    assert receiver.received == [] and stored(site, quiet.id) == []


def test_only_the_answer_that_completes_a_task_sends_it(site, receiver, scene):
    owner, volunteer, _, _ = scene
    with committed(site) as make:
        project = make.project(owner, webhook=receiver.url)
        task = make.task(project, n_answers=2)
        second = make.user()
    complete_a_task(site, project, volunteer)
    assert receiver.received == []
    complete_a_task(site, project, second)
    assert [payload["task_id"] for _, payload in receiver.received] == [task.id]


def test_an_owner_lowering_n_answers_completes_the_task_and_sends_it(site, receiver, scene):
    owner, volunteer, _, _ = scene
    with committed(site) as make:
        project = make.project(owner, webhook=receiver.url)
        task = make.task(project, n_answers=3)
    complete_a_task(site, project, volunteer)
    assert receiver.received == []
    site.put_json(f"/api/task/{task.id}?api_key={owner.api_key}", {"n_answers": 1})
    [(_, payload)] = receiver.received
    assert (payload["task_id"], payload["event"]) == (task.id, "task_completed") and payload["result_id"]


def test_an_owner_lowering_the_redundancy_of_every_task_sends_each_completion(site, receiver, scene):
    owner, volunteer, _, _ = scene
    with committed(site) as make:
        project = make.project(owner, webhook=receiver.url)
        tasks = [make.task(project, n_answers=3) for _ in range(2)]
    complete_a_task(site, project, volunteer)
    complete_a_task(site, project, volunteer)
    as_owner(site, owner)
    post(site, f"/project/{project.short_name}/tasks/redundancy", {"n_answers": "1"})
    assert sorted(payload["task_id"] for _, payload in receiver.received) == [task.id for task in tasks]
    assert all(payload["result_id"] for _, payload in receiver.received)


def test_a_failing_receiver_is_retried_then_recorded_and_the_answer_is_kept(site, receiver, scene):
    owner, volunteer, project, _ = scene
    receiver.mode = "fail"
    answer = complete_a_task(site, project, volunteer)
    assert len(receiver.received) == RETRIES + 1
    assert read(site, sa.select(TaskRun.id).where(TaskRun.id == answer["id"])) == [answer["id"]]
    [delivery] = stored(site, project.id)
    assert (delivery.response, delivery.response_status_code) == ("receiver is down", 500)
    assert receiver.delivery_ids == [str(delivery.id)] * (RETRIES + 1)  # one delivery, tried three times
    # The receiver recovers and its owner sends the failed deliveries again.
    receiver.mode = "ok"
    receiver.received.clear()
    receiver.delivery_ids.clear()
    browser = as_owner(site, owner)
    body = browser.get(f"/project/{project.short_name}/webhook?failed=true", headers={**JSON, "X-CSRFToken": csrf_of(browser)}).json
    assert body["flash"] == "All webhooks enqueued"
    [(path, payload)] = receiver.received
    assert path == "/hook?rerun=True" and payload == delivery.payload
    [again] = stored(site, project.id)
    assert (again.id, again.response, again.response_status_code) == (delivery.id, "received", 200)
    assert receiver.delivery_ids == [str(delivery.id)]


def test_a_closed_port_and_a_slow_receiver_are_connection_errors(site, receiver, scene):
    owner, volunteer, project, _ = scene
    with committed(site) as make:
        make.session.get(Project, project.id).webhook = f"http://127.0.0.1:{free_port()}/hook"
    started = time.monotonic()
    complete_a_task(site, project, volunteer)
    [closed] = stored(site, project.id)
    assert closed.response_status_code is None and closed.response.startswith(webhooks.CONNECTION_ERROR)
    with committed(site) as make:
        make.session.get(Project, project.id).webhook = receiver.url
    receiver.mode = "slow"
    complete_a_task(site, project, volunteer)
    assert len(receiver.received) == RETRIES + 1
    slow = stored(site, project.id)[1]
    assert slow.response_status_code is None and "timed out" in slow.response
    # Each attempt waits no longer than the timeout.
    assert time.monotonic() - started < (RETRIES + 1) * TIMEOUT * 2 + 5


def test_a_crashing_job_never_fails_the_answer(site, receiver, scene, monkeypatch):
    owner, volunteer, project, _ = scene

    def crash(*args, **kwargs):
        raise RuntimeError("the job crashed")

    monkeypatch.setattr(webhooks, "post", crash)
    answer = complete_a_task(site, project, volunteer)
    assert read(site, sa.select(TaskRun.id).where(TaskRun.id == answer["id"])) == [answer["id"]]
    assert any("the job crashed" in job.last_error for job in find_service(site.app.registry, IJobRunner).jobs())


def test_owners_see_the_deliveries_and_send_one_or_all_again(site, receiver, scene):
    owner, volunteer, project, _ = scene
    complete_a_task(site, project, volunteer)
    receiver.mode = "fail"
    complete_a_task(site, project, volunteer)
    first, second = stored(site, project.id)
    receiver.mode = "ok"
    receiver.received.clear()
    receiver.delivery_ids.clear()
    as_owner(site, owner)
    body = site.get(f"/project/{project.short_name}/webhook", headers=JSON).json
    assert body["template"] == "/projects/webhook.html" and body["pro_features"]["webhooks_enabled"] is True
    assert {"owner", "project", "n_tasks", "n_task_runs", "n_completed_tasks", "n_volunteers"} <= set(body)
    assert [(item["id"], item["response_status_code"]) for item in body["responses"]] == [(second.id, 500), (first.id, 200)]
    assert receiver.received == []
    # One delivery, by a POST with the CSRF token.
    token = csrf_of(site)
    one = site.post_json(f"/project/{project.short_name}/webhook/{first.id}", {}, headers={"X-CSRFToken": token}).json
    assert (one["id"], one["payload"]) == (first.id, first.payload)
    assert receiver.received == [("/hook?rerun=True", first.payload)]
    site.post_json(f"/project/{project.short_name}/webhook/{first.id}", {}, headers={"X-CSRFToken": "bad"}, status=400)
    # All of them.
    receiver.received.clear()
    receiver.delivery_ids.clear()
    site.post_json(f"/project/{project.short_name}/webhook?all=1", {}, headers={"X-CSRFToken": token})
    assert sorted(payload["task_id"] for _, payload in receiver.received) == sorted(
        delivery.payload["task_id"] for delivery in (first, second))
    assert [delivery.response_status_code for delivery in stored(site, project.id)] == [200, 200]


def test_webhook_page_is_for_owners_and_admins(site, scene):
    owner, volunteer, project, _ = scene
    url = f"/project/{project.short_name}/webhook"
    body = site.get(url, headers=JSON, status=302).json
    assert body["status"] == "not_signed_in" and body["next"].startswith("/account/signin")
    with committed(site) as make:
        other, boss = make.user(passwd_hash=PASSWORD_HASH), make.user(passwd_hash=PASSWORD_HASH, admin=True)
        someone_elses = make.project(other)
        foreign = Webhook(project_id=someone_elses.id, payload={})
        make.session.add(foreign)
        make.session.flush()
    sign_in(site, other)
    site.get(url, headers=JSON, status=403)
    site.post_json(f"{url}/1", {}, headers={"X-CSRFToken": csrf_of(site)}, status=403)
    sign_in(site, boss)
    assert site.get(url, headers=JSON).json["responses"] == []
    site.post_json(f"{url}/{foreign.id}", {}, headers={"X-CSRFToken": csrf_of(site)}, status=404)
    site.get("/project/unknown/webhook", headers=JSON, status=404)


@pytest.mark.skipif(not REDIS_URL, reason="needs PYBOSSA_TEST_REDIS_URL (make test sets it when Redis answers)")
def test_on_rq_a_pybossa_worker_delivers_the_webhook(tmp_path, tmp_path_factory, receiver):
    settings = {
        "redis.url": REDIS_URL, "secret": SECRET, "jobs.queue": f"test-{uuid.uuid4().hex}",
        "webhooks.allowed_hosts": "127.0.0.1", "webhooks.retry_backoff": "0", "ratelimit.enabled": "false",
    }
    with fresh_engine("sqlite", tmp_path_factory, "rq_webhooks") as engine:
        settings["database.url"] = engine.url.render_as_string(False)
        ini = tmp_path / "site.ini"
        ini.write_text("[app:main]\nuse = egg:pybossa-core\n" + "".join(f"{key} = {value}\n" for key, value in settings.items()))
        app = configure({**settings, "uploads.dir": str(tmp_path / "uploads")}, environ={}).make_wsgi_app()
        site = webtest.TestApp(app, extra_environ={"HTTP_HOST": "localhost:5000", "REMOTE_ADDR": "127.0.0.1"})
        with committed(site) as make:
            volunteer, owner = make.user(), make.user()
            project = make.project(owner, webhook=receiver.url)
            make.task(project, n_answers=1)
        try:
            complete_a_task(site, project, volunteer)
            assert receiver.received == []  # queued for a worker, and pending on the owner's page
            [pending] = stored(site, project.id)
            assert (pending.response, pending.response_status_code) == (None, None)
            page = site.get(f"/project/{project.short_name}/webhook", {"api_key": owner.api_key})
            row = page.html.select_one("table.data-table tbody tr")
            assert row.select_one("td").text == str(pending.id) and "pending" in row.text
            worker = subprocess.run(
                [sys.executable, "-m", "pybossa_core.cli", "-c", str(ini), "worker", "--burst"],
                env={key: value for key, value in os.environ.items() if not key.startswith("PYBOSSA_")},
                capture_output=True, text=True, timeout=60, check=False,
            )
            assert worker.returncode == 0, worker.stderr
            [(_, payload)] = receiver.received
            assert payload["project_id"] == project.id
            [delivery] = stored(site, project.id)
            assert (delivery.response, delivery.response_status_code) == ("received", 200)
            assert receiver.delivery_ids == [str(delivery.id)]
        finally:
            find_service(app.registry, IJobRunner).queue.delete(delete_jobs=True)


# -- where a webhook may point --------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/hook", "http://localhost:8080/hook", "http://10.1.2.3/hook", "http://192.168.0.1/",
    "http://169.254.169.254/latest/meta-data", "http://[::1]/hook", "http://2130706433/hook", "http://0.0.0.0/",
])
def test_private_and_loopback_addresses_are_refused_by_default(testapp, make, url):
    owner = make.user()
    project = make.project(owner)
    body = testapp.put_json(f"/api/project/{project.id}?api_key={owner.api_key}", {"webhook": url}, status=415).json
    assert body["exception_msg"].endswith("is a private or loopback address")
    assert project.webhook is None


def test_without_blocking_any_host_is_called_as_pybossa_does(site_with, make):
    owner = make.user()
    project = make.project(owner)
    url = f"/api/project/{project.id}?api_key={owner.api_key}"
    for webhook in ("http://127.0.0.1:9000/hook", "http://10.1.2.3/hook", "https://hooks.example.com/birds"):
        assert site_with(**OPEN).put_json(url, {"webhook": webhook}).json["webhook"] == webhook


def test_only_the_allowed_hosts_when_listed(site_with, make):
    site = site_with(**{"webhooks.allowed_hosts": "hooks.example.com 127.0.0.1"})
    owner = make.user()
    project = make.project(owner)
    url = f"/api/project/{project.id}?api_key={owner.api_key}"
    body = site.put_json(url, {"webhook": "https://other.example.org/hook"}, status=415).json
    assert body["exception_msg"] == (
        "webhook: The webhook's host other.example.org is not one of the hosts this site calls (webhooks.allowed_hosts)")
    for allowed in ("https://hooks.example.com/birds", "http://127.0.0.1:9000/hook"):
        assert site.put_json(url, {"webhook": allowed}).json["webhook"] == allowed


def test_a_webhook_refused_by_a_later_setting_does_not_block_other_changes(testapp, make):
    owner = make.user()
    project = make.project(owner, webhook="http://10.0.0.1/hook")
    body = testapp.put_json(f"/api/project/{project.id}?api_key={owner.api_key}", {"name": "Renamed"}).json
    assert (body["name"], body["webhook"]) == ("Renamed", "http://10.0.0.1/hook")


def test_the_update_form_explains_a_refused_webhook(testapp, member, project):
    browser = testapp
    sign_in(browser, member)
    form = {"name": "Birds", "short_name": "birds", "description": "d", "long_description": "l"}
    body = post(browser, "/project/birds/update", {**form, "webhook": "http://192.168.1.10/hook"}).json
    assert body["form"]["errors"] == {"webhook": ["The webhook's host 192.168.1.10 is a private or loopback address."]}
    assert project.webhook is None
    assert post(browser, "/project/birds/update", {**form, "webhook": "https://hooks.example.com/birds"}).json["status"] == "success"


def test_a_name_is_checked_with_its_addresses_when_sent(monkeypatch):
    settings = {"webhooks.allowed_hosts": [], "webhooks.block_private_networks": True, "webhooks.timeout": 1,
                "outbound.allowed_internal_hosts": []}
    response, status = webhooks.post("http://localhost.localdomain.invalid/hook", {}, settings)
    assert (response, status) == (f"{webhooks.CONNECTION_ERROR}: localhost.localdomain.invalid does not resolve", None)
    response, status = webhooks.post("http://127.0.0.1:1/hook", {}, settings)
    assert (response, status) == ("Not sent: The webhook's host 127.0.0.1 is a private or loopback address", None)
    # A name passes the check made when it is saved; what it resolves to when sent is refused.
    resolve = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *args, flags=0, **kwargs: resolve(
        "10.0.0.7" if host == "hooks.example.com" and not flags & socket.AI_NUMERICHOST else host,
        *args, flags=flags, **kwargs))
    webhooks.check_url("http://hooks.example.com/hook", settings)
    response, status = webhooks.post("http://hooks.example.com/hook", {}, settings)
    assert (response, status) == (
        "Not sent: the host hooks.example.com is in a private or local network, which this site does not call", None)
