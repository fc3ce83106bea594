"""The admin dashboard's weekly figures (``/admin/dashboard/``).

A daily job (and an admin's ``?refresh=1``) runs :func:`weekly_figures` and the core keeps
what it returns until the next run, so the dashboard itself reads one row.  Every figure
covers the seven days up to ``now``, day by day; a chart with no data shows today with 0,
as PYBOSSA's does.
"""
from __future__ import annotations

import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pybossa_core.plugin_api import models

Auditlog, Project, Task, TaskRun, User = models.Auditlog, models.Project, models.Task, models.TaskRun, models.User

WEEK = datetime.timedelta(days=7)
#: The labels of the returning users chart: users active on exactly 1, 2, ... 7 days of the week.
RETURNING_LABELS = ["1 day", *(f"{n} days" for n in range(2, 8))]


def _day(column) -> sa.ColumnElement:
    """The calendar day of a timestamp column, on either back end."""
    return sa.func.date(column)


def _label(day: Any) -> str:
    # SQLite answers 'YYYY-MM-DD', PostgreSQL a date.
    return str(day)[:10]


def _chart(rows, today: str) -> dict[str, Any]:
    """Return PYBOSSA's one-series chart ``{labels: [day...], series: [[n...]]}`` from (day, n) rows."""
    points = sorted((_label(day), int(n)) for day, n in rows)
    if not points:
        points = [(today, 0)]
    return {"labels": [day for day, _ in points], "series": [[n for _, n in points]]}


def _per_day(session: Session, column, counted, since: datetime.datetime, *conditions) -> list[tuple[Any, int]]:
    day = _day(column)
    return session.execute(
        sa.select(day, sa.func.count(counted)).where(column >= since, *conditions).group_by(day)
    ).all()


def _active_per_day(session: Session, who, since: datetime.datetime, *conditions) -> list[tuple[Any, int]]:
    """Distinct contributors (``who``) per day of their answers."""
    day = _day(TaskRun.finish_time)
    return session.execute(
        sa.select(day, sa.func.count(sa.distinct(who))).where(TaskRun.finish_time >= since, *conditions).group_by(day)
    ).all()


def _returning_users(session: Session, since: datetime.datetime) -> dict[str, Any]:
    """How many signed-in users answered on exactly N different days of the week, N = 1..7."""
    days_active = (
        sa.select(TaskRun.user_id, sa.func.count(sa.distinct(_day(TaskRun.finish_time))).label("n_days"))
        .where(TaskRun.finish_time >= since, TaskRun.user_id.is_not(None))
        .group_by(TaskRun.user_id)
        .subquery()
    )
    counts = dict(session.execute(
        sa.select(days_active.c.n_days, sa.func.count()).group_by(days_active.c.n_days)
    ).all())
    return {"labels": RETURNING_LABELS, "series": [[int(counts.get(n, 0)) for n in range(1, 8)]]}


def _projects(session: Session, day_column, since: datetime.datetime, *conditions, log: bool = False) -> list[dict[str, Any]]:
    """Projects of unrestricted owners by the day of ``day_column``, newest first, as PYBOSSA lists them.

    With ``log``, ``day_column`` is the audit log's: one entry per recorded change.
    """
    day = _day(day_column)
    query = (
        sa.select(day, Project.id, Project.short_name, Project.name, Project.owner_id, User.name, User.email_addr)
        .join(User, User.id == Project.owner_id)
        .where(day_column >= since, User.restrict.is_(False), *conditions)
        .order_by(day.desc(), Project.id.desc())
    )
    if log:
        query = query.join(Auditlog, Auditlog.project_id == Project.id)
    rows = session.execute(query).all()
    return [
        {"day": _label(row[0]), "id": row[1], "short_name": row[2], "p_name": row[3], "owner_id": row[4],
         "u_name": row[5], "email_addr": row[6]}
        for row in rows
    ]


def weekly_figures(session: Session, now: datetime.datetime) -> dict[str, Any]:
    """Return the dashboard's figures for the week up to ``now`` (the update feed is the core's)."""
    since, today = now - WEEK, now.strftime("%Y-%m-%d")
    return {
        "active_anon_last_week": _chart(_active_per_day(
            session, sa.func.coalesce(TaskRun.user_ip, TaskRun.external_uid), since, TaskRun.user_id.is_(None)), today),
        "active_users_last_week": _chart(_active_per_day(
            session, TaskRun.user_id, since, TaskRun.user_id.is_not(None)), today),
        "new_users_week": _chart(_per_day(session, User.created, User.id, since, User.restrict.is_(False)), today),
        "new_tasks_week": _chart(_per_day(session, Task.created, Task.id, since), today),
        "new_task_runs_week": _chart(_per_day(session, TaskRun.finish_time, TaskRun.id, since), today),
        "returning_users_week": _returning_users(session, since),
        "draft_projects_last_week": _projects(session, Project.created, since, Project.published.is_(False)),
        # Published this week: the audit log's record of the change, on projects still published.
        "published_projects_last_week": _projects(
            session, Auditlog.created, since, Auditlog.attribute == "published", Project.published.is_(True), log=True),
        "update_projects_last_week": _projects(session, Project.updated, since),
    }
