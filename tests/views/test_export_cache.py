"""Built exports (issue 21): an unchanged project's export is built once and served from its file;
any write that changes what it holds builds it again; at most a few are built at once."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from pybossa_core.interfaces import IBuiltExports, find_service
from pybossa_core.models import Project, Task
from pybossa_core.services import exports
from pybossa_core.services.cache import export_namespace, generation_key
from tests.views.conftest import sign_in
from tests.views.project_fixtures import JSON, post
from tests.views.test_export import download, unzip


@pytest.fixture
def builds(monkeypatch):
    """The exports built during the test, by type."""
    built: list[str] = []
    write = exports.write_export

    def counting(session, project, model, kind, file_format, present):
        built.append(kind)
        return write(session, project, model, kind, file_format, present)

    monkeypatch.setattr(exports, "write_export", counting)
    return built


def test_an_unchanged_project_is_built_once(testapp, make, member, project, builds):
    task = make.task(project, info={"question": "Bird?"})
    first = download(testapp, "task", "json")
    assert download(testapp, "task", "json").body == first.body
    assert unzip(download(testapp, "task", "json"))[1] == unzip(first)[1]
    assert builds == ["task"]
    # Another type, format or audience is another file.
    download(testapp, "task", "csv")
    sign_in(testapp, member)
    download(testapp, "task", "json")
    assert builds == ["task", "task", "task"]
    assert task.id


def test_a_database_made_again_never_gets_the_old_ones_files(testapp, make, project, builds, dbsession):
    # The counters outlive the database (a shared-state file, Redis): its project 1 is another
    # project, written straight into the database, without a write the counters would see.
    make.task(project, info={"question": "Bird?"})
    download(testapp, "task", "json")
    dbsession.execute(sa.update(Task).where(Task.project_id == project.id).values(info={"question": "Fish?"}))
    dbsession.execute(sa.update(Project).where(Project.id == project.id).values(created=project.created.replace(year=2001)))
    dbsession.expire_all()
    assert "Fish?" in unzip(download(testapp, "task", "json"))[1]
    assert builds == ["task", "task"]


def test_every_kind_of_write_builds_it_again(testapp, make, member, project, builds, dbsession):
    task = make.task(project, n_answers=2, info={"question": "Bird?"})
    download(testapp, "task_run", "json")
    assert builds == ["task_run"]

    # An answer through the API (the ORM flush).
    handed = testapp.get(f"/api/{project.id}/newtask", {"api_key": member.api_key}).json
    testapp.post_json(f"/api/taskrun?api_key={member.api_key}", {"project_id": project.id, "task_id": handed["id"], "info": "yes"})
    assert '"yes"' in unzip(download(testapp, "task_run", "json"))[1]
    assert builds == ["task_run"] * 2

    # The redundancy page's Core UPDATE of every task.
    sign_in(testapp, member)
    download(testapp, "task", "json")
    post(testapp, f"/project/{project.short_name}/tasks/redundancy", {"n_answers": 1})
    assert '"n_answers":1' in unzip(download(testapp, "task", "json"))[1].replace(" ", "")
    assert builds == ["task_run", "task_run", "task", "task"]

    # A result filled by the aggregator (Core), then an owner's PUT of a task (ORM).
    result = unzip(download(testapp, "result", "json"))[1]
    assert '"answer":"yes"' in result.replace(" ", "")
    testapp.put_json(f"/api/task/{task.id}?api_key={member.api_key}", {"info": {"question": "Plane?"}})
    assert "Plane?" in unzip(download(testapp, "task", "json"))[1]
    assert builds.count("task") == 3


def test_at_most_a_few_are_built_at_once(testapp, app, make, project, builds):
    make.task(project)
    built = find_service(app.registry, IBuiltExports)
    counters = built.counters
    counters.add([exports.RUNNING_KEY], built.max_running, exports.BUILD_TTL)
    try:
        refused = download(testapp, "task", "json", headers=JSON, status=429)
        assert refused.headers["Retry-After"] == "60"
        assert refused.json["exception_msg"] == exports.BUSY and refused.json["exception_cls"] == "TooManyRequests"
        assert builds == []
    finally:
        counters.add([exports.RUNNING_KEY], -built.max_running, exports.BUILD_TTL)
    download(testapp, "task", "json")
    assert builds == ["task"]
    assert counters.get([exports.RUNNING_KEY]) == [0]


def test_counters_that_start_again_never_serve_an_old_file(testapp, app, make, project, builds, dbsession):
    """A new shared-state file or a flushed Redis counts generations from nothing again: a new epoch."""
    task = make.task(project, info={"question": "Bird?"})
    download(testapp, "task", "json")
    counters = find_service(app.registry, IBuiltExports).counters
    key = generation_key(export_namespace(project.id))
    [generation] = counters.get([key])
    task.info = {"question": "Plane?"}
    dbsession.flush()
    # The counters start again, and reach the generation the file was built under, with other data.
    counters.delete([key, exports.EPOCH_KEY])
    counters.add([key], generation, None)
    assert "Plane?" in unzip(download(testapp, "task", "json"))[1]
    assert builds == ["task", "task"]


def test_another_request_while_a_file_is_built_is_told_to_come_back(testapp, app, make, project, builds):
    make.task(project)
    built = find_service(app.registry, IBuiltExports)
    path = built.path(project, "task", "json", "public", "http://localhost:5000")
    assert built.claim(path)  # another request builds it
    try:
        refused = download(testapp, "task", "json", headers=JSON, status=429)
        assert refused.headers["Retry-After"] == str(exports.RETRY_AFTER)
        assert refused.json["exception_msg"] == exports.PREPARING and builds == []
    finally:
        built.release(path)
    download(testapp, "task", "json")
    assert builds == ["task"]


def test_a_claim_that_lapsed_before_its_release_leaves_no_count_below_zero(testapp, app, make, project, builds):
    make.task(project)
    built = find_service(app.registry, IBuiltExports)
    path = built.path(project, "task", "json", "public", "http://localhost:5000")
    claims = [f"exports:building:{path.rsplit('/', 1)[1]}", exports.RUNNING_KEY]
    assert built.claim(path)
    built.counters.delete(claims)  # the claim's time ran out (a job that waited in its queue)
    built.release(path)
    assert built.counters.get(claims) == [0, 0]
    download(testapp, "task", "json")
    assert builds == ["task"]
