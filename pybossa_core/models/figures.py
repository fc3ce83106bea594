"""The figures the statistics pages show, kept by database triggers with every write of a task or
task run (migration 0012), so no page counts tasks or task runs.

The triggers run in the writing statement's own transaction, for every way of writing (the API,
cascaded deletes, bulk inserts, raw SQL), at the cost of a few index updates inside the database:
no Python and no extra round trip per answer.  ``pybossa rebuild-figures`` recomputes them all
from the tables (:mod:`pybossa_core.models.figure_counts`).

A project's counters are spread over ``SHARDS`` rows (the task's id modulo ``SHARDS``): on
PostgreSQL a single row per project would be locked by every answer to the project until its
transaction commits, queueing the project's volunteers behind each other.  Readers add the rows up.
"""
from __future__ import annotations

import sqlalchemy as sa

from pybossa_core.models.meta import Base

#: Rows each project's counters are spread over.
SHARDS = 8

#: Per project (and shard): tasks, completed tasks, answers (and anonymous ones), volunteers (and
#: anonymous ones), the seconds volunteers took (handout to answer) and the newest answer's time.
project_counts = sa.Table(
    "project_counts",
    Base.metadata,
    sa.Column("project_id", sa.ForeignKey("project.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("shard", sa.Integer, primary_key=True),
    sa.Column("n_tasks", sa.Integer, nullable=False, server_default="0"),
    sa.Column("n_completed_tasks", sa.Integer, nullable=False, server_default="0"),
    sa.Column("n_task_runs", sa.Integer, nullable=False, server_default="0"),
    sa.Column("n_anon_task_runs", sa.Integer, nullable=False, server_default="0"),
    sa.Column("n_volunteers", sa.Integer, nullable=False, server_default="0"),
    sa.Column("n_anon_volunteers", sa.Integer, nullable=False, server_default="0"),
    sa.Column("contrib_seconds", sa.Float, nullable=False, server_default="0"),
    sa.Column("last_activity", sa.DateTime, nullable=True),
)

#: Each volunteer of a project and its answers there: ``who`` is ``u<user id>``, ``x<external uid>``
#: or ``a<anonymous address>``; ``user_id`` is set for signed-in volunteers.
project_volunteer = sa.Table(
    "project_volunteer",
    Base.metadata,
    sa.Column("project_id", sa.ForeignKey("project.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("who", sa.String(300), primary_key=True),
    sa.Column("user_id", sa.Integer, nullable=True),
    sa.Column("n_answers", sa.Integer, nullable=False),
    # A project's top signed-in and anonymous volunteers, in the order the stats page lists them: the
    # first rows of one of these (migration 0016; one index over both kinds read past every
    # signed-in volunteer, and sorted the ties, to find the anonymous ones).
    sa.Index("ix_project_volunteer_top_auth", "project_id", sa.text("n_answers DESC"), "who",
             sqlite_where=sa.text("user_id IS NOT NULL"), postgresql_where=sa.text("user_id IS NOT NULL")),
    sa.Index("ix_project_volunteer_top_anon", "project_id", sa.text("n_answers DESC"), "who",
             sqlite_where=sa.text("user_id IS NULL"), postgresql_where=sa.text("user_id IS NULL")),
)

#: A project's answers per hour (and shard), all and anonymous: the stats page's day and hour charts.
project_hour = sa.Table(
    "project_hour",
    Base.metadata,
    sa.Column("project_id", sa.ForeignKey("project.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("hour", sa.DateTime, primary_key=True),
    sa.Column("shard", sa.Integer, primary_key=True),
    sa.Column("n", sa.Integer, nullable=False),
    sa.Column("n_anon", sa.Integer, nullable=False),
    # /stats/'s most answered projects of the last 24 hours: a range of hours over every project.
    sa.Index("ix_project_hour_hour", "hour"),
)

#: The site's anonymous addresses and their answers: ``/stats/``'s anonymous users.
anon_address = sa.Table(
    "anon_address",
    Base.metadata,
    sa.Column("ip", sa.String(64), primary_key=True),
    sa.Column("n", sa.Integer, nullable=False),
)

#: One row (id 1): how many anonymous addresses ``anon_address`` holds, and (migration 0015) how
#: many users, published and draft projects the site has: ``/stats/``'s totals, counted by triggers
#: on ``user`` and ``project`` (rare writes: one row is enough).
site_counts = sa.Table(
    "site_counts",
    Base.metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("n_anon", sa.Integer, nullable=False),
    sa.Column("n_users", sa.Integer, nullable=False, server_default="0"),
    sa.Column("n_published_projects", sa.Integer, nullable=False, server_default="0"),
    sa.Column("n_draft_projects", sa.Integer, nullable=False, server_default="0"),
)

#: A signed-in volunteer's answers per hour: ``/stats/``'s top volunteers of the last 24 hours (the
#: projects' come from ``project_hour``).  One row per volunteer and hour, not sharded: a volunteer's
#: answers come one after another.
user_hour = sa.Table(
    "user_hour",
    Base.metadata,
    sa.Column("hour", sa.DateTime, primary_key=True),
    sa.Column("user_id", sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("n", sa.Integer, nullable=False),
)

#: One row (id 1): the first hour the day's counters (``user_day``, ``project_day``) count, so that
#: they hold the answers of every hour from ``start`` on.  ``/stats/``'s last 24 hours begin at
#: ``hour_of(now) - 24 hours``: the first reader in a new hour moves ``start`` there and subtracts,
#: once, the hours it passed (``figure_counts.advance_day``).
day_window = sa.Table(
    "day_window",
    Base.metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("start", sa.DateTime, nullable=False),
)


def _count_of_each(name: str, key: str, parent: str) -> sa.Table:
    """A table of one count ``n`` per row of ``parent`` (its id in ``key``), whose index
    ``ix_<name>_top`` gives the rows with the most first."""
    return sa.Table(
        name,
        Base.metadata,
        sa.Column(key, sa.ForeignKey(f"{parent}.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Index(f"ix_{name}_top", sa.text("n DESC"), key),
    )


#: A signed-in volunteer's answers in the hours from ``day_window.start`` on: ``/stats/``'s top 5
#: volunteers are the first rows of ``ix_user_day_top``.
user_day = _count_of_each("user_day", "user_id", "user")

#: A project's answers in the hours from ``day_window.start`` on: ``/stats/``'s top 5 projects.
#: One row per project, not sharded: on PostgreSQL its trigger runs deferred, at commit, so the
#: row is locked only while the answer's transaction commits.
project_day = _count_of_each("project_day", "project_id", "project")

#: A project's answers, all time (migration 0016): the home page's most active projects are the
#: first rows of ``ix_project_total_top``, instead of every project's ``project_counts`` added up
#: and sorted.  One row per project with answers, not sharded: on PostgreSQL its trigger runs
#: deferred, at commit, as ``project_day``'s, so the row is locked only while an answer commits.
project_total = _count_of_each("project_total", "project_id", "project")
