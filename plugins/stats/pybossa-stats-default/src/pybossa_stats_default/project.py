"""A project's statistics page (``/project/<short_name>/stats``), with aggregate queries.

The core keeps the answer in its cache until the project's task runs change, so a warm page
reads no task run.
"""
from __future__ import annotations

import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pybossa_core.plugin_api import models

Project, TaskRun, User = models.Project, models.TaskRun, models.User

#: The days the day and hour charts cover, as PYBOSSA's "2 week" period.
PERIOD = datetime.timedelta(days=14)
TOP = 5
ANONYMOUS = TaskRun.user_id.is_(None)
#: The series of the day and hour charts: every answer, anonymous ones, authenticated ones.
LABELS = ("Anon + Auth", "Anonymous", "Authenticated")


def _seconds_between(session: Session, start, end):
    """The SQL expression of the seconds from ``start`` to ``end``, on either back end."""
    if session.get_bind().dialect.name == "postgresql":
        return sa.extract("epoch", end - start)
    return (sa.func.julianday(end) - sa.func.julianday(start)) * 86400.0


def _counts_by(session: Session, project: Project, key, since: datetime.datetime) -> dict[str, list[int]]:
    """Task runs of ``project`` since ``since`` grouped by ``key``: [all, anonymous, authenticated]."""
    rows = session.execute(
        sa.select(key.label("key"), sa.func.count(TaskRun.id), sa.func.count(TaskRun.id).filter(ANONYMOUS))
        .where(TaskRun.project_id == project.id, TaskRun.created >= since)
        .group_by(key)
    ).all()
    return {str(row[0]): [int(row[1]), int(row[2]), int(row[1]) - int(row[2])] for row in rows}


def _day_stats(session: Session, project: Project, now: datetime.datetime) -> list[dict[str, Any]]:
    """New answers per day (milliseconds since the epoch, count) for all, anonymous and authenticated callers."""
    counts = _counts_by(session, project, sa.func.date(TaskRun.created), now - PERIOD)
    series = [{"label": label, "values": []} for label in LABELS]
    for day in sorted(counts):
        stamp = int(datetime.datetime.strptime(day[:10], "%Y-%m-%d").replace(tzinfo=datetime.UTC).timestamp()) * 1000
        for index, entry in enumerate(series):
            entry["values"].append([stamp, counts[day][index]])
    return series


def _hour_stats(session: Session, project: Project, now: datetime.datetime) -> list[dict[str, Any]]:
    """Answers per hour of the day (hour, count, bubble size 0..5), for all, anonymous and authenticated callers."""
    counts = _counts_by(session, project, sa.cast(sa.extract("hour", TaskRun.created), sa.Integer), now - PERIOD)
    series = []
    for index, label in enumerate(LABELS):
        per_hour = [counts.get(str(hour), [0, 0, 0])[index] for hour in range(24)]
        top = max(per_hour)
        values = [[hour, n, n * 5 / top if n else 0] for hour, n in enumerate(per_hour)]
        series.append({"label": label, "max": top, "values": values})
    # PYBOSSA's chart starts with the combined series hidden.
    series[0]["disabled"] = "True"
    return series


def _user_stats(session: Session, project: Project) -> dict[str, Any]:
    """Volunteers and their answers, anonymous and authenticated, with the top five of each."""
    of_project = TaskRun.project_id == project.id
    n_anon, anon_runs, n_auth, auth_runs = session.execute(
        sa.select(
            sa.func.count(sa.distinct(TaskRun.user_ip)) + sa.func.count(sa.distinct(TaskRun.external_uid)),
            sa.func.count(TaskRun.id).filter(ANONYMOUS),
            sa.func.count(sa.distinct(TaskRun.user_id)),
            sa.func.count(TaskRun.user_id),
        ).where(of_project)
    ).one()
    anon_key = sa.func.coalesce(TaskRun.user_ip, TaskRun.external_uid)
    answers = sa.func.count(TaskRun.id)
    top_anon = session.execute(
        sa.select(anon_key, answers).where(of_project, ANONYMOUS).group_by(anon_key).order_by(answers.desc(), anon_key).limit(TOP)
    ).all()
    top_auth = session.execute(
        sa.select(User.name, User.fullname, answers)
        .join(User, User.id == TaskRun.user_id)
        .where(of_project)
        .group_by(User.id, User.name, User.fullname)
        .order_by(answers.desc(), User.id)
        .limit(TOP)
    ).all()
    return {
        "n_anon": int(n_anon), "anon_taskruns": int(anon_runs), "n_auth": int(n_auth), "auth_taskruns": int(auth_runs),
        "users": {"label": "User Statistics", "values": [
            {"label": "Anonymous", "value": [0, int(n_anon)]}, {"label": "Authenticated", "value": [0, int(n_auth)]},
        ]},
        "anon": {"label": "Anonymous Users", "values": [{"label": ip, "value": [n]} for ip, n in top_anon],
                 "top5": [{"ip": ip, "loc": None, "tasks": n} for ip, n in top_anon], "locs": []},
        "auth": {"label": "Authenticated Users", "values": [{"label": name, "value": [n]} for name, _, n in top_auth],
                 "top5": [{"name": name, "fullname": fullname, "tasks": n} for name, fullname, n in top_auth]},
    }


def compute_stats(session: Session, now: datetime.datetime, project: Project) -> dict[str, Any] | None:
    """Return ``project``'s statistics as PYBOSSA's stats page shows them, or None before its first answer."""
    has_runs = session.scalar(sa.select(TaskRun.id).where(TaskRun.project_id == project.id).limit(1))
    if has_runs is None:
        return None
    average = session.scalar(
        sa.select(sa.func.avg(_seconds_between(session, TaskRun.created, TaskRun.finish_time))).where(
            TaskRun.project_id == project.id
        )
    )
    users = _user_stats(session, project)
    runs = users["anon_taskruns"] + users["auth_taskruns"]
    anon_pct = users["anon_taskruns"] * 100 // runs if runs else 0
    return {
        "avg_contrib_time": round(float(average or 0), 2),
        "projectStats": {
            "userStats": users["users"],
            "userAnonStats": users["anon"],
            "userAuthStats": users["auth"],
            "dayStats": _day_stats(session, project, now),
            "hourStats": _hour_stats(session, project, now),
        },
        "userStats": {
            "geo": False,
            "anonymous": {"users": users["n_anon"], "taskruns": users["anon_taskruns"], "pct_taskruns": anon_pct,
                          "top5": users["anon"]["top5"]},
            "authenticated": {"users": users["n_auth"], "taskruns": users["auth_taskruns"],
                              "pct_taskruns": 100 - anon_pct if runs else 0, "top5": users["auth"]["top5"]},
        },
    }
