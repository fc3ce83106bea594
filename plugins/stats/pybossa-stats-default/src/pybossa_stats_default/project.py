"""A project's statistics page (``/project/<short_name>/stats``), from the counters the database
keeps with every answer (``plugin_api.counters``): no page reads the project's task runs.

The day and hour charts cover the whole hours of the last two weeks.
"""
from __future__ import annotations

import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pybossa_core.plugin_api import counters, models

Project, User = models.Project, models.User

#: The days the day and hour charts cover, as PYBOSSA's "2 week" period.
PERIOD = datetime.timedelta(days=14)
TOP = 5
#: The series of the day and hour charts: every answer, anonymous ones, authenticated ones.
LABELS = ("Anon + Auth", "Anonymous", "Authenticated")


def _day_stats(hours) -> list[dict[str, Any]]:
    """New answers per day (milliseconds since the epoch, count) for all, anonymous and authenticated callers."""
    days: dict[datetime.date, list[int]] = {}
    for hour, n, n_anon in hours:
        counts = days.setdefault(hour.date(), [0, 0, 0])
        counts[0] += n
        counts[1] += n_anon
        counts[2] += n - n_anon
    series = [{"label": label, "values": []} for label in LABELS]
    for day in sorted(days):
        stamp = int(datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.UTC).timestamp()) * 1000
        for index, entry in enumerate(series):
            entry["values"].append([stamp, days[day][index]])
    return series


def _hour_stats(hours) -> list[dict[str, Any]]:
    """Answers per hour of the day (hour, count, bubble size 0..5), for all, anonymous and authenticated callers."""
    per_hour = [[0, 0, 0] for _ in range(24)]
    for hour, n, n_anon in hours:
        counts = per_hour[hour.hour]
        counts[0] += n
        counts[1] += n_anon
        counts[2] += n - n_anon
    series = []
    for index, label in enumerate(LABELS):
        values = [counts[index] for counts in per_hour]
        top = max(values)
        series.append({"label": label, "max": top,
                       "values": [[hour, n, n * 5 / top if n else 0] for hour, n in enumerate(values)]})
    # PYBOSSA's chart starts with the combined series hidden.
    series[0]["disabled"] = "True"
    return series


def _user_stats(session: Session, project: Project, figures) -> dict[str, Any]:
    """Volunteers and their answers, anonymous and authenticated, with the top five of each."""
    n_anon, anon_runs = figures.n_anon_volunteers, figures.n_anon_task_runs
    n_auth, auth_runs = figures.n_volunteers - n_anon, figures.n_task_runs - anon_runs
    top_anon = [(name, n) for name, _, n in counters.top_volunteers(session, project.id, anonymous=True, size=TOP)]
    top = counters.top_volunteers(session, project.id, anonymous=False, size=TOP)
    names = {user_id: (name, fullname) for user_id, name, fullname in session.execute(
        sa.select(User.id, User.name, User.fullname).where(User.id.in_([user_id for _, user_id, _ in top]))
    )} if top else {}
    top_auth = [(*names[user_id], n) for _, user_id, n in top if user_id in names]
    return {
        "n_anon": n_anon, "anon_taskruns": anon_runs, "n_auth": n_auth, "auth_taskruns": auth_runs,
        "users": {"label": "User Statistics", "values": [
            {"label": "Anonymous", "value": [0, n_anon]}, {"label": "Authenticated", "value": [0, n_auth]},
        ]},
        "anon": {"label": "Anonymous Users", "values": [{"label": ip, "value": [n]} for ip, n in top_anon],
                 "top5": [{"ip": ip, "loc": None, "tasks": n} for ip, n in top_anon], "locs": []},
        "auth": {"label": "Authenticated Users", "values": [{"label": name, "value": [n]} for name, _, n in top_auth],
                 "top5": [{"name": name, "fullname": fullname, "tasks": n} for name, fullname, n in top_auth]},
    }


def compute_stats(session: Session, now: datetime.datetime, project: Project) -> dict[str, Any] | None:
    """Return ``project``'s statistics as PYBOSSA's stats page shows them, or None before its first answer.

    Every figure comes from the counters the database keeps (``plugin_api.counters``): the
    project's totals, its volunteers' answers and its answers per hour; no task run is read.
    """
    figures = counters.counts_of(session, project.id)
    if figures.n_task_runs <= 0:
        return None
    hours = counters.answers_per_hour(session, project.id, (now - PERIOD).replace(minute=0, second=0, microsecond=0))
    users = _user_stats(session, project, figures)
    runs = figures.n_task_runs
    anon_pct = users["anon_taskruns"] * 100 // runs
    return {
        "avg_contrib_time": round(figures.contrib_seconds / runs, 2),
        "projectStats": {
            "userStats": users["users"],
            "userAnonStats": users["anon"],
            "userAuthStats": users["auth"],
            "dayStats": _day_stats(hours),
            "hourStats": _hour_stats(hours),
        },
        "userStats": {
            "geo": False,
            "anonymous": {"users": users["n_anon"], "taskruns": users["anon_taskruns"], "pct_taskruns": anon_pct,
                          "top5": users["anon"]["top5"]},
            "authenticated": {"users": users["n_auth"], "taskruns": users["auth_taskruns"],
                              "pct_taskruns": 100 - anon_pct, "top5": users["auth"]["top5"]},
        },
    }
