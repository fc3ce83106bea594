"""The community: volunteers ranked by the answers they gave (the leaderboard), the list of users,
and the feed of the site's latest events."""
from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pybossa_core.formatting import Pagination, format_time, pretty_date
from pybossa_core.models import Announcement, Blogpost, Project, TaskRun, User
from pybossa_core.security import listed_publicly
from pybossa_core.services.cache import SITE, Cache
from pybossa_core.services.users import public_info

PER_PAGE = 24
LEADERBOARD_SIZE = 20


def rank_and_score(session: Session, user: User, cache: Cache | None = None) -> dict[str, int]:
    """Return ``user``'s score (answers given) and rank among the users who answered (1 is best).

    With ``cache``, the answer is kept until a write changes the site's totals.
    """
    if cache is not None:
        return cache.get_or_create(SITE, f"rank:{user.id}", lambda: rank_and_score(session, user))
    # The stored count, not user.n_answers: a trigger may have changed it since the user was loaded.
    score = session.scalar(sa.select(User.n_answers).where(User.id == user.id)) or 0
    answered = sa.select(sa.func.count(User.id)).where(User.n_answers > 0)
    # Two index ranges of ix_user_n_answers rather than one OR, which no index serves.
    ahead = session.scalar(answered.where(User.n_answers > score)) or 0
    if score:
        ahead += session.scalar(answered.where(User.n_answers == score, User.id < user.id)) or 0
    return {"rank": ahead + 1, "score": score}


def _community_entry(user: User, task_runs: int | None, rank: int | None, score: int | None) -> dict[str, Any]:
    return {
        "name": user.name,
        "fullname": user.fullname,
        "info": public_info(user.info),
        "created": format_time(user.created),
        "registered_ago": pretty_date(user.created) if task_runs is not None else None,
        "locale": None,
        "task_runs": task_runs,
        "rank": rank,
        "score": score,
    }


def users_page(session: Session, page: int) -> tuple[list[dict[str, Any]], Pagination]:
    """Return one page of the community (newest first) with each user's answer count."""
    total = session.scalar(sa.select(sa.func.count(User.id))) or 0
    rows = session.execute(
        sa.select(User, User.n_answers)
        .order_by(User.created.desc(), User.id.desc())
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    return [_community_entry(user, task_runs, None, None) for user, task_runs in rows], Pagination(page, PER_PAGE, total)


def leaderboard(
    session: Session, viewer: User | None, size: int = LEADERBOARD_SIZE, cache: Cache | None = None, window: int = 0
) -> list[dict[str, Any]]:
    """Return the top users by answers given, and the viewer with their rank if they are not among them.

    With ``window``, the ``window`` users ranked just above and below an outside viewer come
    with them.  With ``cache``, the top users and the viewer's rank are kept until a write
    changes them.
    """
    if cache is not None:
        top = cache.get_or_create(SITE, f"leaderboard:{size}", lambda: top_users(session, size))
    else:
        top = top_users(session, size)
    if viewer is not None and all(entry["name"] != viewer.name for entry in top):
        summary = rank_and_score(session, viewer, cache)
        if window:
            key = f"leaderboard-window:{size}:{viewer.id}:{window}"
            around = functools.partial(_around, session, viewer, summary, size, window)
            top = [*top, *(cache.get_or_create(SITE, key, around) if cache is not None else around())]
        else:
            top = [*top, _community_entry(viewer, None, summary["rank"], summary["score"])]
    return top


def _around(session: Session, viewer: User, summary: Mapping[str, int], size: int, window: int) -> list[dict[str, Any]]:
    """Return the users ranked from ``window`` above ``viewer`` to ``window`` below, below the top ``size``."""
    rank, first = summary["rank"], max(summary["rank"] - window, size + 1)
    if summary["score"]:
        return top_users(session, rank + window - first + 1, offset=first - 1)
    # A viewer without answers is ranked after those who answered; nobody is ranked below them.
    # With fewer answering users than the top holds, nobody stands between the top and them.
    return [*top_users(session, max(rank - first, 0), offset=first - 1), _community_entry(viewer, None, rank, 0)]


def top_users(session: Session, size: int = LEADERBOARD_SIZE, offset: int = 0) -> list[dict[str, Any]]:
    """Return the ``size`` users who gave the most answers after the first ``offset``, best first, ranked.

    An index walk of ``user.n_answers`` (kept by triggers on ``task_run``): no task run is counted.
    """
    # The count as a column of its own: a loaded User may hold a value the triggers changed since.
    rows = session.execute(
        sa.select(User, User.n_answers).where(User.n_answers > 0)
        .order_by(User.n_answers.desc(), User.id).limit(size).offset(offset)
    ).all()
    return [_community_entry(user, None, rank, score) for rank, (user, score) in enumerate(rows, start=offset + 1)]


def update_feed(session: Session, limit: int = 20) -> list[dict[str, Any]]:
    """Return the latest events of the site, newest first: new volunteers, newly published projects,
    contributions (a user's latest answer to a published project), published blog posts and
    announcements. Each kind is one indexed query for its newest ``limit`` rows; users and projects
    are read as the columns the events show, not loaded whole (the home page recomputes the feed
    after every answer)."""
    users = session.execute(
        sa.select(User.id, User.name, User.fullname, User.info, User.created)
        .order_by(User.created.desc(), User.id.desc()).limit(limit)
    ).all()
    projects = session.execute(
        sa.select(Project.id, Project.name, Project.short_name, Project.info, Project.created)
        .where(listed_publicly()).order_by(Project.created.desc(), Project.id.desc()).limit(limit)
    ).all()
    contributions = session.execute(
        sa.select(TaskRun.created, User.id.label("user_id"), User.name.label("user_name"), User.fullname,
                  Project.id, Project.name, Project.short_name, Project.info)
        .join(User, User.id == TaskRun.user_id)
        .join(Project, Project.id == TaskRun.project_id)
        .where(listed_publicly())
        .order_by(TaskRun.created.desc(), TaskRun.id.desc())
        .limit(limit * 5)
    ).all()
    posts = session.execute(
        sa.select(Blogpost, Project).join(Project, Project.id == Blogpost.project_id)
        .where(Blogpost.published.is_(True), listed_publicly())
        .order_by(Blogpost.created.desc(), Blogpost.id.desc()).limit(limit)
    ).all()
    announcements = session.scalars(
        sa.select(Announcement).where(Announcement.published.is_(True))
        .order_by(Announcement.created.desc(), Announcement.id.desc()).limit(limit)
    ).all()

    def project_face(project) -> dict[str, Any]:
        return {key: value for key, value in (project.info or {}).items() if key in ("thumbnail", "container")}

    events = [
        {"action_updated": "User", "id": user.id, "name": user.name,
         "fullname": user.fullname, "info": public_info(user.info), "updated": format_time(user.created)}
        for user in users
    ] + [
        {"action_updated": "Project", "id": project.id, "name": project.name, "short_name": project.short_name,
         "info": project_face(project), "updated": format_time(project.created)}
        for project in projects
    ] + [
        {"action_updated": "Blog", "id": post.id, "name": post.title, "short_name": project.short_name,
         "project_name": project.name, "info": project_face(project), "updated": format_time(post.created)}
        for post, project in posts
    ] + [
        {"action_updated": "Announcement", "id": announcement.id, "name": announcement.title,
         "updated": format_time(announcement.created)}
        for announcement in announcements
    ]
    seen: set[tuple[int, int]] = set()
    for contribution in contributions:
        # One event per volunteer and project: their latest answer there.
        if (contribution.user_id, contribution.id) not in seen:
            seen.add((contribution.user_id, contribution.id))
            events.append({"action_updated": "UserContribution", "id": contribution.id, "name": contribution.name,
                           "short_name": contribution.short_name, "info": project_face(contribution),
                           "user_name": contribution.user_name, "user_fullname": contribution.fullname,
                           "updated": format_time(contribution.created)})
    events.sort(key=lambda event: event["updated"], reverse=True)
    return events[:limit]
