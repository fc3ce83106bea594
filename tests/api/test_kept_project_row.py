"""The project newtask and userprogress read: kept in the cache until any project is written, so
that every volunteer's request does not read it again, and an owner's change counts at once."""
from __future__ import annotations


def statements_of(testapp, queries, dbsession, path, **params) -> int:
    dbsession.expunge_all()
    queries.statements.clear()
    testapp.get(path, params)
    return len(queries.statements)


def test_the_project_is_read_once_until_a_project_is_written(testapp, make, queries, dbsession):
    owner = make.user()
    project = make.project(owner)
    make.task(project)
    volunteer = make.user()
    path = f"/api/{project.id}/newtask"
    first = statements_of(testapp, queries, dbsession, path, api_key=volunteer.api_key)
    # Then the caller's row is kept too (tests/api/test_api_key_identity.py).
    assert statements_of(testapp, queries, dbsession, path, api_key=volunteer.api_key) == first - 2
    make.project(owner, "another")
    assert statements_of(testapp, queries, dbsession, path, api_key=volunteer.api_key) == first - 1


def test_a_project_made_private_is_refused_at_the_next_request(testapp, make, dbsession):
    project = make.project(make.user(), "birds")
    task = make.task(project)
    stranger = make.user()
    assert testapp.get(f"/api/{project.id}/newtask", {"api_key": stranger.api_key}).json["id"] == task.id
    assert testapp.get("/api/project/birds/userprogress").json["total"] == 1
    project.private = True
    dbsession.flush()
    testapp.get(f"/api/{project.id}/newtask", {"api_key": stranger.api_key}, status=404)


def test_a_renamed_project_is_found_by_its_new_name_only(testapp, make, dbsession):
    project = make.project(make.user(), "birds")
    make.task(project)
    assert testapp.get("/api/project/birds/userprogress").json["total"] == 1
    project.short_name = "herons"
    dbsession.flush()
    testapp.get("/api/project/birds/userprogress", status=404)
    assert testapp.get("/api/project/herons/userprogress").json["total"] == 1
