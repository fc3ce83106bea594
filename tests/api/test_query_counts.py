"""The hot paths send a fixed, small number of statements, whatever the size of the project."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session


def test_newtask_and_answer_statement_counts_do_not_grow_with_the_project(testapp, make, queries, dbsession, backend):
    project = make.project(make.user())
    tasks = [make.task(project, n_answers=3) for _ in range(50)]
    for task in tasks[:20]:
        make.task_run(task, make.user())
    volunteer = make.user()

    dbsession.expunge_all()  # as in production, where each request starts with an empty session
    queries.statements.clear()
    handed = testapp.get(f"/api/{project.id}/newtask", {"api_key": volunteer.api_key}).json
    # identity, project, the scheduler's query, the handout upsert; on PostgreSQL the
    # scheduler counts the room again once the task's row is locked.
    assert len(queries.statements) == (5 if backend == "postgresql" else 4), queries.statements

    dbsession.expunge_all()
    queries.statements.clear()
    testapp.post_json(f"/api/taskrun?api_key={volunteer.api_key}",
                      {"project_id": project.id, "task_id": handed["id"], "info": {"a": 1}})
    # the task's row with its project's, answered already and handed out when, insert, count
    # update, handout delete (the caller's row was kept by key: tests/api/test_api_key_identity.py)
    assert len(queries.statements) == 5, queries.statements


def test_the_answer_completing_a_task_sends_a_fixed_number_of_statements(testapp, make, queries, dbsession):
    project = make.project(make.user())
    task = make.task(project, n_answers=2)
    make.task_run(task, make.user())
    volunteer = make.user()
    handed = testapp.get(f"/api/{project.id}/newtask", {"api_key": volunteer.api_key}).json
    assert handed["id"] == task.id

    dbsession.expunge_all()
    queries.statements.clear()
    testapp.post_json(f"/api/taskrun?api_key={volunteer.api_key}",
                      {"project_id": project.id, "task_id": task.id, "info": {"a": 1}})
    # the answer's five, then the result: the task's runs (its run ids and the aggregator's votes),
    # earlier results retired, the result inserted with its aggregate (the task's info and the
    # project's webhook come with the answer's rows)
    assert len(queries.statements) == 8, queries.statements
    result = testapp.get("/api/result", {"task_id": task.id}).json[0]
    assert result["info"]["aggregator"] == "majority"
    assert len(result["task_run_ids"]) == 2


def test_task_reads_send_a_fixed_number_of_statements(testapp, make, queries, dbsession):
    project = make.project(make.user())
    task = make.task(project)
    volunteer = make.user()

    dbsession.expunge_all()
    queries.statements.clear()
    testapp.get(f"/api/task/{task.id}", {"api_key": volunteer.api_key})
    # identity, the task's row with its project's (its privacy and password asked of the project's ACL)
    assert len(queries.statements) == 2, queries.statements


def test_the_contribution_loop_loads_no_orm_object(testapp, make, dbsession):
    """Its statements are Core ones, whose rows skip the ORM's loading: a statement naming one ORM
    attribute (``User.api_key``) goes through it, which cost as much as loading objects."""
    project = make.project(make.user())
    task = make.task(project, n_answers=1)
    volunteer = make.user()
    orm_statements = []

    def record(state) -> None:
        if state.is_orm_statement:
            orm_statements.append(str(state.statement))

    sa.event.listen(Session, "do_orm_execute", record)
    try:
        handed = testapp.get(f"/api/{project.id}/newtask", {"api_key": volunteer.api_key}).json
        testapp.post_json(f"/api/taskrun?api_key={volunteer.api_key}",
                          {"project_id": project.id, "task_id": handed["id"], "info": {"a": 1}})
    finally:
        sa.event.remove(Session, "do_orm_execute", record)
    assert handed["id"] == task.id
    assert dbsession.scalar(sa.text("SELECT state FROM task WHERE id = :id"), {"id": task.id}) == "completed"
    assert orm_statements == []
