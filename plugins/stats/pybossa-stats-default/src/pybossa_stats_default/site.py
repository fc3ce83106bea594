"""The site's figures of ``/stats/``: totals, three charts and the top 5 of the last 24 hours.

The core keeps the answer in its cache until a user, project, task or task run is written.
"""
from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from pyramid.i18n import TranslationStringFactory
from sqlalchemy.orm import Session

from pybossa_core.plugin_api import counters, models

Project, User = models.Project, models.User
#: The charts' labels stay English in the figures (and the API); the page shows them translated.
_ = TranslationStringFactory("pybossa_stats_default")

#: How many projects and users the 24-hour lists show.
TOP_24_HOURS = 5
#: The keys of a project's ``info`` the list shows (never its presenter or secrets).
PROJECT_FACE = ("thumbnail", "thumbnail_url", "container")


def _chart(label: str, values: Mapping[str, tuple[int, int]]) -> dict[str, Any]:
    """Return one of the stats page's charts as PYBOSSA draws it: ``{label, values: [{label, value}]}``."""
    return {"label": label, "values": [{"label": name, "value": list(value)} for name, value in values.items()]}


def global_stats(session: Session, now: datetime.datetime) -> dict[str, Any]:
    """Return the figures of ``/stats/``: totals, the three charts and the top 5 of the last 24 hours.

    Users, projects, tasks, task runs and anonymous contributors (the distinct addresses of
    anonymous task runs) come from the counters the database keeps (``plugin_api.counters``), and so do the top 5 (answers
    per project and per volunteer in the last 24 hours, kept with each answer): nothing is counted.
    """
    site = counters.site_counts_of(session)
    n_published, n_draft, n_anon, n_auth = site.n_published_projects, site.n_draft_projects, site.n_anon, site.n_users
    n_tasks, n_task_runs = site.n_tasks, site.n_task_runs
    stats = {
        "n_anon": n_anon,
        "n_auth": n_auth,
        "n_draft_projects": n_draft,
        "n_published_projects": n_published,
        "n_task_runs": int(n_task_runs),
        "n_tasks": n_tasks,
        "n_total_projects": n_published + n_draft,
        "n_total_users": n_anon + n_auth,
    }
    return {
        "stats": stats,
        "users": _chart(_("User Statistics"), {_("Anonymous"): (0, n_anon), _("Authenticated"): (0, n_auth)}),
        "projects": _chart(_("Projects Statistics"), {_("Published"): (0, n_published), _("Draft"): (0, n_draft)}),
        "tasks": _chart(_("Task and Task Run Statistics"), {_("Tasks"): (0, n_tasks), _("Answers"): (1, int(n_task_runs))}),
        "top5_projects_24_hours": top_projects_of_day(session, now),
        "top5_users_24_hours": top_users_of_day(session, now),
    }


def top_projects_of_day(session: Session, now: datetime.datetime, size: int = TOP_24_HOURS) -> list[dict[str, Any]]:
    """Return the published, public projects that got the most answers in the last 24 hours at
    ``now``, counted by the hour (the day's counters of answers per project, not the task runs)."""
    rows = counters.top_of_day(
        session, now, Project, (Project.id, Project.name, Project.short_name, Project.info), size=size,
        # A private project is never named in the site's shared figures.
        where=(Project.published.is_(True), Project.private.is_(False)))
    return [
        {"id": id_, "name": name, "short_name": short_name,
         "info": {key: value for key, value in (info or {}).items() if key in PROJECT_FACE}, "n_answers": int(n_answers)}
        for id_, name, short_name, info, n_answers in rows
    ]


def top_users_of_day(session: Session, now: datetime.datetime, size: int = TOP_24_HOURS) -> list[dict[str, Any]]:
    """Return the users who gave the most answers in the last 24 hours at ``now``, counted by the hour."""
    rows = counters.top_of_day(session, now, User, (User.id, User.name, User.fullname), size=size)
    return [{"id": id_, "name": name, "fullname": fullname, "n_answers": int(n)} for id_, name, fullname, n in rows]
