"""The contribution loop under real concurrency, on a live server (SQLite and PostgreSQL)."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pbclient
import pytest
import requests
import sqlalchemy as sa
from pyramid.interfaces import IRendererFactory

from pybossa_core.interfaces import IDBEngine, find_service
from tests.conftest import writers_file_is_free


def newtask(url, project_id, api_key):
    return requests.get(f"{url}/api/{project_id}/newtask", params={"api_key": api_key}, timeout=30).json()


def post_answer(url, task, api_key, answer="yes"):
    return requests.post(
        f"{url}/api/taskrun", params={"api_key": api_key}, timeout=30,
        json={"project_id": task["project_id"], "task_id": task["id"], "info": {"answer": answer}},
    )


def at_once(calls):
    """Run ``calls`` in threads released together by a barrier; return their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def runs_of(url, api_key, project_id):
    runs, last_id = [], 0
    while True:
        page = requests.get(f"{url}/api/taskrun", timeout=30, params={
            "api_key": api_key, "project_id": project_id, "limit": 100, "last_id": last_id, "all": 1}).json()
        if not page:
            return runs
        runs += page
        last_id = page[-1]["id"]


def _nothing_locked(engine, task_id: int) -> bool:
    """Whether another writer could go ahead now: on SQLite the writers' queue is free, on
    PostgreSQL the task's row is not locked."""
    if engine.dialect.name == "sqlite":
        return writers_file_is_free(f"{engine.url.database}-writers")
    with engine.connect() as connection:
        try:
            connection.execute(sa.text("SELECT id FROM task WHERE id = :id FOR UPDATE NOWAIT"), {"id": task_id})
        except sa.exc.OperationalError:
            return False
        finally:
            connection.rollback()
    return True


def test_newtask_and_an_answer_are_committed_before_their_answer_is_rendered(live_server, live_factories, monkeypatch):
    engine = find_service(live_server.app.registry, IDBEngine)
    renderer = live_server.app.registry.getUtility(IRendererFactory, name="json")
    rendered = []
    encode = renderer.serializer

    def encoding(value, **options):
        if isinstance(value, dict) and "id" in value:
            rendered.append((value.get("task_id", value["id"]), _nothing_locked(engine, value.get("task_id", value["id"]))))
        return encode(value, **options)

    monkeypatch.setattr(renderer, "serializer", encoding)
    with live_factories as make:
        volunteer = make.user()
        task = make.task(make.project(make.user()), n_answers=2)
    handed = newtask(live_server.url, task.project_id, volunteer.api_key)
    assert post_answer(live_server.url, handed, volunteer.api_key).status_code == 200
    # Encoding the answer (and what follows it) holds none of the locks the writes took.
    assert rendered == [(task.id, True), (task.id, True)]


def test_two_volunteers_racing_for_the_last_answer(live_server, live_factories):
    rounds = []
    with live_factories as make:
        owner = make.user()
        racers = [make.user(), make.user()]
        for _ in range(8):
            # One open task per project: both racers are handed it, its last answer in flight twice.
            project = make.project(owner)
            task = make.task(project, n_answers=2)
            make.task_run(task, make.user())
            rounds.append((project, task))
    url = live_server.url
    for project, task in rounds:
        handed = [newtask(url, project.id, racer.api_key) for racer in racers]
        assert [item["id"] for item in handed] == [task.id, task.id]
        responses = at_once([lambda racer=racer, item=item: post_answer(url, item, racer.api_key)
                             for racer, item in zip(racers, handed)])
        statuses = sorted(response.status_code for response in responses)
        assert statuses == [200, 403], [response.text for response in responses]
        refused = next(response.json() for response in responses if response.status_code == 403)
        assert refused["exception_msg"] == "This task already has all the answers it needs"
        served = requests.get(f"{url}/api/task/{task.id}", timeout=30).json()
        assert (served["state"], served["n_task_runs"]) == ("completed", 2)
        results = requests.get(f"{url}/api/result", params={"task_id": task.id}, timeout=30).json()
        assert len(results) == 1 and len(results[0]["task_run_ids"]) == 2


def test_one_volunteer_sending_the_same_answer_twice_at_once(live_server, live_factories):
    with live_factories as make:
        project = make.project(make.user())
        task = make.task(project, n_answers=5)
        volunteer = make.user()
    url = live_server.url
    item = newtask(url, project.id, volunteer.api_key)
    responses = at_once([lambda: post_answer(url, item, volunteer.api_key)] * 4)
    assert sorted(response.status_code for response in responses) == [200, 403, 403, 403]
    assert len(runs_of(url, volunteer.api_key, project.id)) == 1
    assert requests.get(f"{url}/api/task/{task.id}", timeout=30).json()["n_task_runs"] == 1


def test_locked_scheduler_under_a_rush_hands_each_task_to_n_answers_volunteers(live_server, live_factories):
    with live_factories as make:
        project = make.project(make.user(), info={"sched": "locked"})
        tasks = [make.task(project, n_answers=3) for _ in range(2)]
        volunteers = [make.user() for _ in range(12)]
    url = live_server.url
    handed = at_once([lambda v=v: newtask(url, project.id, v.api_key) for v in volunteers])
    per_task = {task.id: sum(1 for item in handed if item.get("id") == task.id) for task in tasks}
    assert per_task == {tasks[0].id: 3, tasks[1].id: 3}
    assert sum(1 for item in handed if item == {}) == 6


@pytest.fixture
def pbclient_as(live_server):
    def sign_in(api_key):
        pbclient._opts.clear()
        pbclient.set("endpoint", live_server.url)
        pbclient.set("api_key", api_key)
    yield sign_in
    pbclient._opts.clear()


def test_a_whole_project_runs_to_completion(live_server, live_factories, pbclient_as):
    """The owner sets up with pbclient; volunteers contribute over plain HTTP, as the browser library does."""
    with live_factories as make:
        owner = make.user()
        volunteers = [make.user() for _ in range(4)]
    pbclient_as(owner.api_key)
    project = pbclient.create_project("Birds", "birds-live", "Count birds")
    tasks = [pbclient.create_task(project.id, {"image": f"bird{i}.png"}, n_answers=3) for i in range(10)]
    url = live_server.url

    def volunteer_loop(volunteer):
        done = 0
        while True:
            item = newtask(url, project.id, volunteer.api_key)
            if item == {}:
                return done
            response = post_answer(url, item, volunteer.api_key)
            assert response.status_code in (200, 403), response.text
            done += response.status_code == 200

    with ThreadPoolExecutor(len(volunteers)) as pool:
        answered = sum(pool.map(volunteer_loop, volunteers))
    assert answered == 30
    for task in tasks:
        runs = pbclient.find_taskruns(project.id, task_id=task.id, all=1)
        assert len(runs) == 3 and len({run.user_id for run in runs}) == 3
        assert pbclient.find_tasks(project.id, id=task.id, all=1)[0].state == "completed"
        results = pbclient.find_results(project.id, task_id=task.id, all=1)
        assert len(results) == 1 and sorted(results[0].task_run_ids) == sorted(run.id for run in runs)
    progress = requests.get(f"{url}/api/project/birds-live/userprogress",
                            params={"api_key": volunteers[0].api_key}, timeout=30).json()
    assert progress["total"] == 10 and 0 < progress["done"] <= 10


def test_plugins_hear_of_new_projects_answers_and_completions_after_commit(tmp_path_factory, backend):
    """Event hooks fire once the request's transaction has committed, with plain ids."""
    from pybossa_core.config import configure
    from pybossa_core.plugins import hookimpl
    from tests.conftest import LiveServer, app_settings, fresh_engine
    from tests.factories import Committing

    heard = []

    class Listener:
        @hookimpl
        def on_project_created(self, project_id, owner_id):
            heard.append(("project", project_id, owner_id))

        @hookimpl
        def on_task_run_created(self, project_id, task_id, task_run_id, user_id):
            heard.append(("task_run", task_id, user_id))

        @hookimpl
        def on_task_completed(self, project_id, task_id, result_id):
            heard.append(("completed", task_id, result_id is not None))

    with fresh_engine(backend, tmp_path_factory, "events") as engine:
        app = configure(app_settings(engine, tmp_path_factory.mktemp("events_uploads")), plugins=[Listener()],
                        environ={}).make_wsgi_app()
        server = LiveServer(app)
        try:
            with Committing(server) as make:
                owner, volunteer = make.user(), make.user()
            project = requests.post(f"{server.url}/api/project", params={"api_key": owner.api_key}, timeout=30,
                                    json={"name": "Events", "short_name": "events"}).json()
            task = requests.post(f"{server.url}/api/task", params={"api_key": owner.api_key}, timeout=30,
                                 json={"project_id": project["id"], "n_answers": 1}).json()
            handed = newtask(server.url, project["id"], volunteer.api_key)
            assert post_answer(server.url, handed, volunteer.api_key).status_code == 200
            # A refused request sends nothing.
            assert post_answer(server.url, handed, volunteer.api_key).status_code == 403
        finally:
            server.server.shutdown()
    assert heard == [("project", project["id"], owner.id), ("task_run", task["id"], volunteer.id),
                     ("completed", task["id"], True)]
