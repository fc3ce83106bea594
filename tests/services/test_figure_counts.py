"""The statistics counters: kept by the database with every write, equal to a rebuild from the tables,
and what the statistics pages show."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from pybossa_core.models import Project, Task, TaskRun, User
from pybossa_core.models.figures import (
    anon_address, day_window, project_counts, project_day, project_hour, project_total, project_volunteer, site_counts,
    user_day, user_hour,
)
from pybossa_core.models.meta import utcnow
from pybossa_core.models import figure_counts
from tests.conftest import fresh_engine

JSON = {"Accept": "application/json"}
C = project_counts.c


def counters(session, now, *, last_activity: bool = True) -> dict:
    """Every counter, shards added up (a rebuild may spread a project over its shards differently),
    the day's as a reader at ``now`` finds them."""
    figure_counts.count_own_answers(session)
    figure_counts.advance_day(session, now)
    totals = session.execute(
        sa.select(C.project_id, sa.func.sum(C.n_tasks), sa.func.sum(C.n_completed_tasks), sa.func.sum(C.n_task_runs),
                  sa.func.sum(C.n_anon_task_runs), sa.func.sum(C.n_volunteers), sa.func.sum(C.n_anon_volunteers),
                  sa.func.round(sa.cast(sa.func.sum(C.contrib_seconds), sa.Numeric), 3),
                  sa.func.max(C.last_activity) if last_activity else sa.null())
        .group_by(C.project_id).having(sa.func.sum(C.n_tasks) + sa.func.sum(C.n_task_runs) != 0)
    ).all()
    hours = session.execute(
        sa.select(project_hour.c.project_id, project_hour.c.hour, sa.func.sum(project_hour.c.n), sa.func.sum(project_hour.c.n_anon))
        .group_by(project_hour.c.project_id, project_hour.c.hour).having(sa.func.sum(project_hour.c.n) != 0)
    ).all()
    return {
        "projects": sorted(map(tuple, totals)),
        "hours": sorted(map(tuple, hours)),
        "volunteers": sorted(map(tuple, session.execute(sa.select(project_volunteer)).all())),
        "anonymous": sorted(map(tuple, session.execute(sa.select(anon_address)).all())),
        "site": session.execute(sa.select(site_counts)).all(),
        "user hours": sorted(map(tuple, session.execute(sa.select(user_hour)).all())),
        "day": session.execute(sa.select(day_window)).all(),
        "user day": sorted(map(tuple, session.execute(sa.select(user_day)).all())),
        "project day": sorted(map(tuple, session.execute(sa.select(project_day)).all())),
        "project total": sorted(map(tuple, session.execute(sa.select(project_total)).all())),
    }


def hand_and_answer(testapp, project, api_key=None):
    key = {"api_key": api_key} if api_key else {}
    task = testapp.get(f"/api/{project.id}/newtask", key).json
    url = "/api/taskrun" + (f"?api_key={api_key}" if api_key else "")
    return testapp.post_json(url, {"project_id": project.id, "task_id": task["id"], "info": {"answer": "yes"}}).json


def test_counters_follow_answers_deletes_and_moves_and_agree_with_a_rebuild(testapp, make, dbsession):
    owner = make.user()
    project, other = make.project(owner, published=True), make.project(owner, published=True)
    tasks = [make.task(project, n_answers=2) for _ in range(4)]
    volunteers = [make.user() for _ in range(3)]
    answers = [hand_and_answer(testapp, project, volunteer.api_key) for volunteer in volunteers for _ in range(2)]
    anonymous = hand_and_answer(testapp, project)
    make.task_run(make.task(other), make.user())

    dbsession.expire_all()
    now = utcnow()
    grown = counters(dbsession, now)
    # Each signed-in answer in its volunteer's hour: six of the project's, one of the other's.
    assert sum(row[2] for row in grown["user hours"]) == 7
    # And in the day's counters: the same seven, and the eight answers of the two projects.
    assert sum(row[1] for row in grown["user day"]) == 7 and sum(row[1] for row in grown["project day"]) == 8
    # And in the projects' answers of all time: seven of the project's, one of the other's.
    assert grown["project total"] == sorted([(project.id, 7), (other.id, 1)])
    figure_counts.rebuild(dbsession.connection(), now)
    assert counters(dbsession, now) == grown
    figures = testapp.get(f"/project/{project.short_name}/", headers=JSON).json
    assert (figures["n_tasks"], figures["n_task_runs"], figures["n_volunteers"]) == (4, 7, 4)
    assert figures["n_completed_tasks"] == dbsession.scalar(
        sa.select(sa.func.count(Task.id)).where(Task.project_id == project.id, Task.state == "completed"))
    stats = testapp.get(f"/project/{project.short_name}/stats", headers=JSON).json["userStats"]
    assert (stats["anonymous"]["users"], stats["anonymous"]["taskruns"]) == (1, 1)
    assert (stats["authenticated"]["users"], stats["authenticated"]["taskruns"]) == (3, 6)
    assert [top["tasks"] for top in stats["authenticated"]["top5"]] == [2, 2, 2]
    site = testapp.get("/stats/", headers=JSON).json["stats"]
    assert (site["n_task_runs"], site["n_anon"]) == (8, 1)

    # Deletes (an answer, then a task with its answers) and a task moved to another project.
    testapp.delete(f"/api/taskrun/{answers[0]['id']}?api_key={owner.api_key}", status=204)
    testapp.delete(f"/api/taskrun/{anonymous['id']}?api_key={owner.api_key}", status=204)
    answered = dbsession.scalar(sa.select(TaskRun.task_id).where(TaskRun.project_id == project.id).limit(1))
    testapp.delete(f"/api/task/{answered}?api_key={owner.api_key}", status=204)
    moved = next(task for task in tasks if task.id != answered)
    testapp.put_json(f"/api/task/{moved.id}?api_key={owner.api_key}", {"project_id": other.id})

    # The site's users and projects: one unpublished, a draft made, a user and a project deleted.
    other.published = False
    make.project(owner, published=False)
    dbsession.delete(make.user())
    dbsession.delete(make.project(owner))
    dbsession.flush()

    dbsession.expire_all()
    # The last activity is not moved back when the newest answer goes (finding the one before
    # would scan the project's answers on every delete); the rest agrees with a rebuild.
    kept = counters(dbsession, now, last_activity=False)
    figure_counts.rebuild(dbsession.connection(), now)
    assert counters(dbsession, now, last_activity=False) == kept
    left = dbsession.scalar(sa.select(sa.func.count(TaskRun.id)).where(TaskRun.project_id == project.id))
    assert figure_counts.counts_of(dbsession, project.id).n_task_runs == left
    assert figure_counts.counts_of(dbsession, project.id).n_tasks == 2
    assert figure_counts.counts_of(dbsession, other.id).n_tasks == 2
    assert figure_counts.site_totals(dbsession)[2] == 0
    site = figure_counts.site_counts_of(dbsession)
    assert (site.n_users, site.n_published_projects, site.n_draft_projects) == (
        dbsession.scalar(sa.select(sa.func.count(User.id))),
        dbsession.scalar(sa.select(sa.func.count(Project.id)).where(Project.published.is_(True))),
        dbsession.scalar(sa.select(sa.func.count(Project.id)).where(Project.published.is_(False))))


def test_only_a_transaction_that_wrote_asks_for_its_own_answers_to_be_counted(backend, dbengine, queries):
    """``count_own_answers`` sends PostgreSQL's ``SET CONSTRAINTS`` (a round trip) only after a
    statement that may have written: a read has no answers of its own to count."""
    with Session(dbengine) as session:
        for _ in range(2):  # the second transaction starts clean again
            session.scalar(sa.select(sa.func.count()).select_from(project_total))
            queries.statements.clear()
            figure_counts.count_own_answers(session)
            assert queries.statements == []
            session.execute(site_counts.update().where(site_counts.c.id == -1).values(n_anon=0))
            queries.statements.clear()
            figure_counts.count_own_answers(session)
            assert len(queries.statements) == (1 if backend == "postgresql" else 0), queries.statements
            session.rollback()


def test_answers_to_one_project_commit_while_another_answer_to_it_is_open(backend, tmp_path_factory):
    """On PostgreSQL the project's single-row counters (``project_day``, ``project_total``) are
    counted at commit (deferred triggers): an answer does not wait for another answer's open
    transaction to the same project."""
    if backend != "postgresql":
        pytest.skip("SQLite has one writer at a time anyway")
    with fresh_engine(backend, tmp_path_factory, "answers_apart") as engine:
        user = {"fullname": "V", "locale": "en", "admin": False, "pro": False, "privacy_mode": True, "restrict": False,
                "info": {}, "user_pref": {}}
        with engine.begin() as connection:
            ids = connection.execute(sa.insert(User.__table__).returning(User.id), [
                {**user, "name": f"v{number}", "email_addr": f"v{number}@example.com", "api_key": f"key{number}"}
                for number in range(2)]).scalars().all()
            project_id = connection.execute(sa.insert(Project.__table__).returning(Project.id).values(
                name="P", short_name="p", description="", long_description="", owner_id=ids[0], owners_ids=[ids[0]],
                published=True, secret_key="s", info={})).scalar_one()
            # Two tasks of two shards (``project_counts``' rows, locked until the answer commits).
            task_ids = connection.execute(sa.insert(Task.__table__).returning(Task.id), [
                {"project_id": project_id, "state": "ongoing", "n_answers": 1, "info": {}} for _ in range(2)
            ]).scalars().all()
        first = engine.connect()
        first.execute(sa.insert(TaskRun.__table__).values(project_id=project_id, task_id=task_ids[0], user_id=ids[0], info={}))
        with engine.connect() as second:
            second.exec_driver_sql("SET lock_timeout = '3s'")
            second.execute(sa.insert(TaskRun.__table__).values(project_id=project_id, task_id=task_ids[1], user_id=ids[1], info={}))
            second.commit()
        first.commit()
        first.close()
        with engine.connect() as connection:
            assert connection.scalar(sa.select(project_total.c.n).where(project_total.c.project_id == project_id)) == 2
            assert connection.scalar(sa.select(project_day.c.n).where(project_day.c.project_id == project_id)) == 2
