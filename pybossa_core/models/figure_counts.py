"""The counters behind the statistics pages (``pybossa_core.models.figures``): reading them, and
rebuilding them from the tables.

The database's triggers keep the counters with every write; :func:`rebuild` recomputes them from
scratch (``pybossa rebuild-figures``, and the migration that introduced them), for a database
whose counters were written around the triggers or are doubted.
"""
from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from pybossa_core.db import may_have_written, writing
from pybossa_core.models import Project, Task, TaskRun, User
from pybossa_core.models.figures import (
    SHARDS, anon_address, day_window, project_counts, project_day, project_hour, project_total, project_volunteer,
    site_counts, user_day, user_hour,
)
from pybossa_core.models.meta import utcnow

COUNTS = project_counts.c


@dataclass(frozen=True)
class Counts:
    """A project's counters, added up over its shards."""

    n_tasks: int = 0
    n_completed_tasks: int = 0
    n_task_runs: int = 0
    n_anon_task_runs: int = 0
    n_volunteers: int = 0
    n_anon_volunteers: int = 0
    contrib_seconds: float = 0.0
    last_activity: datetime.datetime | None = None


_SUMS = (
    sa.func.sum(COUNTS.n_tasks), sa.func.sum(COUNTS.n_completed_tasks), sa.func.sum(COUNTS.n_task_runs),
    sa.func.sum(COUNTS.n_anon_task_runs), sa.func.sum(COUNTS.n_volunteers), sa.func.sum(COUNTS.n_anon_volunteers),
    sa.func.sum(COUNTS.contrib_seconds), sa.func.max(COUNTS.last_activity),
)
BY_PROJECT = sa.select(COUNTS.project_id, *_SUMS).where(COUNTS.project_id.in_(sa.bindparam("ids", expanding=True))).group_by(
    COUNTS.project_id)


def _counts(row) -> Counts:
    return Counts(*(int(value or 0) for value in row[:6]), float(row[6] or 0), row[7])


def counts_by_project(session: Session, project_ids: Iterable[int]) -> dict[int, Counts]:
    """Return the counters of each project of ``project_ids`` (those without any are left out)."""
    ids = list(project_ids)
    if not ids:
        return {}
    return {row[0]: _counts(row[1:]) for row in session.execute(BY_PROJECT, {"ids": ids})}


def counts_of(session: Session, project_id: int) -> Counts:
    return counts_by_project(session, [project_id]).get(project_id, Counts())


def totals_subquery() -> sa.Subquery:
    """Each project's summed counters (``project_id``, ``n_tasks``, ``n_completed_tasks``,
    ``n_task_runs``, ``n_volunteers``, ``last_activity``), for listings to join."""
    return sa.select(
        COUNTS.project_id,
        sa.func.sum(COUNTS.n_tasks).label("n_tasks"),
        sa.func.sum(COUNTS.n_completed_tasks).label("n_completed_tasks"),
        sa.func.sum(COUNTS.n_task_runs).label("n_task_runs"),
        sa.func.sum(COUNTS.n_volunteers).label("n_volunteers"),
        sa.func.max(COUNTS.last_activity).label("last_activity"),
    ).group_by(COUNTS.project_id).subquery("counts")


def site_totals(session: Session) -> tuple[int, int, int]:
    """Return the site's tasks, task runs and distinct anonymous addresses."""
    n_tasks, n_task_runs = session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(COUNTS.n_tasks), 0), sa.func.coalesce(sa.func.sum(COUNTS.n_task_runs), 0))
    ).one()
    n_anon = session.scalar(sa.select(site_counts.c.n_anon).where(site_counts.c.id == 1)) or 0
    return int(n_tasks), int(n_task_runs), int(n_anon)


@dataclass(frozen=True)
class SiteCounts:
    """The site's totals: users, published and draft projects, distinct anonymous addresses, tasks and answers."""

    n_users: int
    n_published_projects: int
    n_draft_projects: int
    n_anon: int
    n_tasks: int
    n_task_runs: int


def n_users(session: Session) -> int:
    """Return the site's users, as ``site_counts`` holds them."""
    return int(session.scalar(sa.select(site_counts.c.n_users).where(site_counts.c.id == 1)) or 0)


def site_counts_of(session: Session) -> SiteCounts:
    """Return the site's totals from the counters: one row, and the projects' counters added up."""
    site = site_counts.c
    people = session.execute(
        sa.select(site.n_users, site.n_published_projects, site.n_draft_projects, site.n_anon).where(site.id == 1)
    ).one_or_none() or (0, 0, 0, 0)
    n_tasks, n_task_runs = session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(COUNTS.n_tasks), 0), sa.func.coalesce(sa.func.sum(COUNTS.n_task_runs), 0))
    ).one()
    return SiteCounts(*(int(value) for value in people), int(n_tasks), int(n_task_runs))


def top_volunteers(session: Session, project_id: int, *, anonymous: bool, size: int) -> list[tuple[str, int | None, int]]:
    """Return the ``size`` volunteers of the project with the most answers: (name without its kind
    prefix, user id or None, answers), most answers first, by name on a tie."""
    volunteers = project_volunteer.c
    kind = volunteers.user_id.is_(None) if anonymous else volunteers.user_id.is_not(None)
    rows = session.execute(
        sa.select(sa.func.substr(volunteers.who, 2), volunteers.user_id, volunteers.n_answers)
        .where(volunteers.project_id == project_id, kind)
        .order_by(volunteers.n_answers.desc(), volunteers.who)
        .limit(size)
    ).all()
    return [(name, user_id, n) for name, user_id, n in rows]


def answers_per_hour(session: Session, project_id: int, since: datetime.datetime) -> list[tuple[datetime.datetime, int, int]]:
    """Return the project's (hour, answers, anonymous answers) since ``since``, hour by hour."""
    hours = project_hour.c
    return [(hour, int(n), int(n_anon)) for hour, n, n_anon in session.execute(
        sa.select(hours.hour, sa.func.sum(hours.n), sa.func.sum(hours.n_anon))
        .where(hours.project_id == project_id, hours.hour >= since)
        .group_by(hours.hour)
        .order_by(hours.hour)
    )]


def hour_of(moment: datetime.datetime) -> datetime.datetime:
    """The hour ``moment`` falls in, as the counters name it: answers are counted by the hour."""
    return moment.replace(minute=0, second=0, microsecond=0)


# -- the last 24 hours -----------------------------------------------------------------------

#: The PostgreSQL advisory lock of ``day_window``: every answer's deferred trigger holds it shared
#: while it reads ``start`` and counts the answer, the one moving ``start`` holds it alone.
DAY_LOCK = 7_205_000_015
#: The deferred constraint triggers that keep the day's counters (migration 0015) and the projects'
#: answers of all time (``project_total``, migration 0016) on PostgreSQL.
DEFERRED_TRIGGERS = ("figures_day_task_run", "figures_total_task_run")
DAY = 24


def day_start(now: datetime.datetime) -> datetime.datetime:
    """The first hour of the last 24 hours at ``now``, as ``/stats/`` counts them: the hour 24
    hours before ``now``'s, whole (answers are counted by the hour)."""
    return hour_of(now) - datetime.timedelta(hours=DAY)


def advance_day(session: Session, now: datetime.datetime) -> None:
    """Make ``user_day`` and ``project_day`` count the hours from :func:`day_start` of ``now`` on.

    The hours that fell out of the window since the last move are subtracted from their hour
    counters once: on SQLite under the database's write lock, on PostgreSQL under ``DAY_LOCK``
    held alone, which waits for the answers committing and holds new ones until this transaction
    ends; the window's start is re-read under the lock, so a second reader finds it moved.
    Nothing is written when the window is already there: a read in the same hour reads one row.
    """
    start = day_start(now)
    if session.scalar(sa.select(day_window.c.start).where(day_window.c.id == 1)) >= start:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(DAY_LOCK)))
    else:
        writing(session)
    old = session.scalar(sa.select(day_window.c.start).where(day_window.c.id == 1))
    if old >= start:
        return
    for day, hours, key in ((user_day, user_hour, "user_id"), (project_day, project_hour, "project_id")):
        # The passed hours added up once per user or project, then subtracted (UPDATE ... FROM): a
        # sum per row of the day's counter made SQLite skip-scan every hour of the hour counter's key
        # for each one (9 s for one hour at 2 000 000 answers).
        passed = (
            sa.select(hours.c[key].label("id"), sa.func.sum(hours.c.n).label("n"))
            .where(hours.c.hour >= old, hours.c.hour < start).group_by(hours.c[key]).subquery("passed")
        )
        session.execute(day.update().where(day.c[key] == passed.c.id).values(n=day.c.n - passed.c.n))
        session.execute(day.delete().where(day.c.n <= 0))
    session.execute(day_window.update().where(day_window.c.id == 1, day_window.c.start == old).values(start=start))


def count_own_answers(session: Session) -> None:
    """Count the answers ``session``'s transaction wrote in the day's counters and ``project_total``
    now: PostgreSQL counts them at commit (deferred triggers), and a transaction reading the counters
    after its own answers (a test's, say) must see them. A transaction that only read has none:
    nothing is sent."""
    if session.get_bind().dialect.name == "postgresql" and may_have_written(session):
        session.execute(sa.text(f"SET CONSTRAINTS {', '.join(DEFERRED_TRIGGERS)} IMMEDIATE"))


def top_of_day(session: Session, now: datetime.datetime, entity, columns, *, where=(), size: int) -> list:
    """Return ``columns`` and the answers of the ``size`` users or projects (``entity``) with the most
    answers in the last 24 hours at ``now`` (:func:`day_start`), most first, oldest first on a tie.

    They are the first rows of the day counter's index, joined to their user or project (:func:`_first_rows`).
    """
    count_own_answers(session)
    advance_day(session, now)
    day, key = (project_day, project_day.c.project_id) if entity.__tablename__ == "project" else (user_day, user_day.c.user_id)
    return _first_rows(session, day, key, entity, columns, where, size)


def most_answered(session: Session, columns, *, where=(), size: int) -> list:
    """Return ``columns`` and the answers of the ``size`` projects with the most answers of all time,
    most first, oldest first on a tie: the first rows of ``ix_project_total_top`` joined to their
    projects (:func:`_first_rows`)."""
    count_own_answers(session)
    return _first_rows(session, project_total, project_total.c.project_id, Project, columns, where, size)


def _first_rows(session: Session, counter: sa.Table, key, entity, columns, where, size: int) -> list:
    """The ``size`` first rows of ``counter``'s index on its count (``n DESC``, then ``key``), joined
    to ``entity``: ``where`` filters them (a private project), and the rows it leaves out are read
    past, a few more at a time: one query reads a batch of the index's rows, with whether each
    passes ``where``."""
    shown = sa.and_(*where) if where else sa.true()
    batch = 4 * size
    while True:
        # The first rows of the index, apart: a planner given the join may scan the users instead.
        first = sa.select(key.label("id"), counter.c.n).order_by(counter.c.n.desc(), key).limit(batch).subquery("first")
        read = session.execute(
            sa.select(*columns, first.c.n, shown).join(entity, entity.id == first.c.id)
            .order_by(first.c.n.desc(), first.c.id)
        ).all()
        rows = [row[:-1] for row in read if row[-1]][:size]
        if len(rows) == size or len(read) < batch:
            return rows
        batch *= 4


# -- rebuilding ------------------------------------------------------------------------------


def _who(connection: Connection) -> sa.ColumnElement:
    # The triggers' name of a volunteer: 'u<user id>', 'x<external uid>' or 'a<address>'.
    return sa.case(
        (TaskRun.user_id.is_not(None), sa.literal("u") + sa.cast(TaskRun.user_id, sa.String)),
        (TaskRun.external_uid.is_not(None), sa.literal("x") + TaskRun.external_uid),
        else_=sa.literal("a") + sa.func.coalesce(TaskRun.user_ip, ""),
    )


def _hour(connection: Connection) -> sa.ColumnElement:
    if connection.dialect.name == "postgresql":
        return sa.func.date_trunc("hour", TaskRun.created)
    # The triggers' text, so that their later upserts meet these rows.
    return sa.func.strftime("%Y-%m-%d %H:00:00.000000", TaskRun.created)


def _seconds(connection: Connection) -> sa.ColumnElement:
    if connection.dialect.name == "postgresql":
        seconds = sa.extract("epoch", TaskRun.finish_time - TaskRun.created)
    else:
        seconds = (sa.func.julianday(TaskRun.finish_time) - sa.func.julianday(TaskRun.created)) * 86400.0
    return sa.func.coalesce(sa.func.sum(sa.func.coalesce(seconds, 0)), 0)


def rebuild(connection: Connection, now: datetime.datetime | None = None) -> None:
    """Recompute every counter from the users, projects, tasks and task runs, replacing what the
    tables held; the day's counters count the last 24 hours at ``now`` (the current time when None)."""
    rebuild_projects(connection)
    rebuild_user_hours(connection)
    rebuild_day(connection, now)
    rebuild_site(connection)
    rebuild_totals(connection)


def rebuild_totals(connection: Connection) -> None:
    """Recount each project's answers of all time (migration 0016's table)."""
    connection.execute(project_total.delete())
    connection.execute(project_total.insert().from_select(
        ["project_id", "n"], sa.select(TaskRun.project_id, sa.func.count()).group_by(TaskRun.project_id)))


def rebuild_site(connection: Connection) -> None:
    """Recount the site's users and published and draft projects (migration 0015's columns)."""
    connection.execute(site_counts.update().where(site_counts.c.id == 1).values(
        n_users=sa.select(sa.func.count(User.id)).scalar_subquery(),
        n_published_projects=sa.select(sa.func.count(Project.id)).where(Project.published.is_(True)).scalar_subquery(),
        n_draft_projects=sa.select(sa.func.count(Project.id)).where(Project.published.is_(False)).scalar_subquery(),
    ))


def rebuild_day(connection: Connection, now: datetime.datetime | None = None) -> None:
    """Recompute the day's counters (migration 0015's tables) from the hour counters: the hours
    from :func:`day_start` of ``now`` on (the current time when None)."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(DAY_LOCK)))
    start = day_start(now or utcnow())
    for table in (user_day, project_day, day_window):
        connection.execute(table.delete())
    connection.execute(day_window.insert().values(id=1, start=start))
    for day, hours, key in ((user_day, user_hour, "user_id"), (project_day, project_hour, "project_id")):
        connection.execute(day.insert().from_select(
            [key, "n"],
            sa.select(hours.c[key], sa.func.sum(hours.c.n)).where(hours.c.hour >= start)
            .group_by(hours.c[key]).having(sa.func.sum(hours.c.n) > 0),
        ))


def rebuild_user_hours(connection: Connection) -> None:
    """Recompute the volunteers' answers per hour (migration 0014's table)."""
    connection.execute(user_hour.delete())
    hour = _hour(connection)
    connection.execute(user_hour.insert().from_select(
        ["hour", "user_id", "n"],
        sa.select(hour, TaskRun.user_id, sa.func.count()).where(TaskRun.user_id.is_not(None)).group_by(hour, TaskRun.user_id),
    ))


def rebuild_projects(connection: Connection) -> None:
    """Recompute the projects' counters, volunteers and hours and the anonymous addresses (migration 0012's tables)."""
    for table in (project_counts, project_volunteer, project_hour, anon_address, site_counts):
        connection.execute(table.delete())
    anonymous = TaskRun.user_id.is_(None)
    counted: dict[tuple[int, int], dict] = {}

    def row(project_id: int, shard: int) -> dict:
        return counted.setdefault((project_id, shard), {
            "project_id": project_id, "shard": shard, "n_tasks": 0, "n_completed_tasks": 0, "n_task_runs": 0,
            "n_anon_task_runs": 0, "n_volunteers": 0, "n_anon_volunteers": 0, "contrib_seconds": 0.0,
            "last_activity": None})

    shard = Task.id % SHARDS
    for project_id, part, n, completed in connection.execute(
        sa.select(Task.project_id, shard, sa.func.count(), sa.func.count().filter(Task.state == "completed"))
        .group_by(Task.project_id, shard)
    ):
        row(project_id, part).update(n_tasks=n, n_completed_tasks=completed)
    shard = TaskRun.task_id % SHARDS
    for project_id, part, n, n_anon, seconds, last in connection.execute(
        sa.select(TaskRun.project_id, shard, sa.func.count(), sa.func.count().filter(anonymous), _seconds(connection),
                  sa.func.max(TaskRun.created))
        .group_by(TaskRun.project_id, shard)
    ):
        row(project_id, part).update(n_task_runs=n, n_anon_task_runs=n_anon, contrib_seconds=float(seconds), last_activity=last)
    who = _who(connection)
    volunteers = sa.select(TaskRun.project_id, who.label("who"), TaskRun.user_id, sa.func.count().label("n")).group_by(
        TaskRun.project_id, who, TaskRun.user_id)
    connection.execute(sa.insert(project_volunteer).from_select(["project_id", "who", "user_id", "n_answers"], volunteers))
    # Volunteers are counted once per project: in its first shard.
    for project_id, n, n_anon in connection.execute(
        sa.select(project_volunteer.c.project_id, sa.func.count(), sa.func.count().filter(project_volunteer.c.user_id.is_(None)))
        .group_by(project_volunteer.c.project_id)
    ):
        row(project_id, 0).update(n_volunteers=n, n_anon_volunteers=n_anon)
    if counted:
        connection.execute(sa.insert(project_counts), list(counted.values()))
    hour = _hour(connection)
    connection.execute(sa.insert(project_hour).from_select(
        ["project_id", "hour", "shard", "n", "n_anon"],
        sa.select(TaskRun.project_id, hour, shard, sa.func.count(), sa.func.count().filter(anonymous))
        .group_by(TaskRun.project_id, hour, shard),
    ))
    connection.execute(sa.insert(anon_address).from_select(
        ["ip", "n"],
        sa.select(TaskRun.user_ip, sa.func.count()).where(anonymous, TaskRun.user_ip.is_not(None)).group_by(TaskRun.user_ip),
    ))
    connection.execute(sa.insert(site_counts).from_select(
        ["id", "n_anon"], sa.select(sa.literal(1), sa.func.count()).select_from(anon_address)))
