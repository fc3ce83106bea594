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


def _community_entry(user: Any, task_runs: int | None, rank: int | None, score: int | None) -> dict[str, Any]:
    """``user``: a user, or a row of its ``name``, ``fullname``, ``info`` and ``created``."""
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
    Only the columns an entry shows are read, not whole users (the home page recomputes its top
    users after every answer).
    """
    rows = session.execute(
        sa.select(User.name, User.fullname, User.info, User.created, User.n_answers).where(User.n_answers > 0)
        .order_by(User.n_answers.desc(), User.id).limit(size).offset(offset)
    ).all()
    return [_community_entry(user, None, rank, user.n_answers) for rank, user in enumerate(rows, start=offset + 1)]


#: The update feed's kinds, in the order their events come on a tie of their times.
FEED_KINDS = ("User", "Project", "Blog", "Announcement", "UserContribution")


def _newest(kind: str, created, tie, size: str, *, id, name, short_name=None, info=None, user_id=None, user_name=None,
            fullname=None, project_name=None) -> sa.Select:
    """The feed's newest rows of ``kind`` (``size`` names their limit's parameter), as the columns every kind shares."""

    def typed(column, type_):
        # A NULL of the column's type: PostgreSQL matches the UNION's column types.
        return sa.cast(sa.null(), type_) if column is None else column

    return sa.select(
        sa.literal_column(str(FEED_KINDS.index(kind)), sa.Integer).label("kind"), created.label("created"),
        tie.label("tie"), id.label("id"), name.label("name"), typed(short_name, sa.String).label("short_name"),
        typed(info, User.info.type).label("info"), typed(user_id, sa.Integer).label("user_id"),
        typed(user_name, sa.String).label("user_name"), typed(fullname, sa.String).label("fullname"),
        typed(project_name, sa.String).label("project_name"),
    ).order_by(created.desc(), tie.desc()).limit(sa.bindparam(size))


@functools.cache
def _feed_query() -> sa.Select:
    """The update feed's query, built once (building it cost more than running it): each kind's
    newest rows, ``size`` of them (``n_answers`` answers), in the order of ``FEED_KINDS``."""
    members = [
        _newest("User", User.created, User.id, "size", id=User.id, name=User.name, info=User.info, fullname=User.fullname),
        _newest("Project", Project.created, Project.id, "size", id=Project.id, name=Project.name,
                short_name=Project.short_name, info=Project.info).where(listed_publicly()),
        _newest("Blog", Blogpost.created, Blogpost.id, "size", id=Blogpost.id, name=Blogpost.title,
                short_name=Project.short_name, info=Project.info, project_name=Project.name)
        .join(Project, Project.id == Blogpost.project_id).where(Blogpost.published.is_(True), listed_publicly()),
        _newest("Announcement", Announcement.created, Announcement.id, "size", id=Announcement.id, name=Announcement.title)
        .where(Announcement.published.is_(True)),
        _newest("UserContribution", TaskRun.created, TaskRun.id, "n_answers", id=Project.id, name=Project.name,
                short_name=Project.short_name, info=Project.info, user_id=User.id, user_name=User.name,
                fullname=User.fullname)
        .join(User, User.id == TaskRun.user_id).join(Project, Project.id == TaskRun.project_id).where(listed_publicly()),
    ]
    # Each member a subquery, for its own ORDER BY and LIMIT (SQLite allows neither in a compound select's member).
    feed = sa.union_all(*(sa.select(*member.subquery().c) for member in members)).subquery("feed")
    return sa.select(feed).order_by(feed.c.kind, feed.c.created.desc(), feed.c.tie.desc())


def update_feed(session: Session, limit: int = 20) -> list[dict[str, Any]]:
    """Return the latest events of the site, newest first: new volunteers, newly published projects,
    contributions (a user's latest answer to a published project), published blog posts and
    announcements. Each kind is its newest ``limit`` rows from its index, all five kinds in one
    query (UNION ALL: one round trip, not five; the home page recomputes the feed after every
    answer), as the columns the events show."""
    # More answers than events: one event per volunteer and project (their latest answer there).
    rows = session.execute(_feed_query(), {"size": limit, "n_answers": limit * 5}).all()

    def project_face(info) -> dict[str, Any]:
        return {key: value for key, value in (info or {}).items() if key in ("thumbnail", "container")}

    events: list[dict[str, Any]] = []
    seen: set[tuple[int, int]] = set()
    for row in rows:
        kind, updated = FEED_KINDS[row.kind], format_time(row.created)
        if kind == "User":
            events.append({"action_updated": kind, "id": row.id, "name": row.name, "fullname": row.fullname,
                           "info": public_info(row.info), "updated": updated})
        elif kind == "Project":
            events.append({"action_updated": kind, "id": row.id, "name": row.name, "short_name": row.short_name,
                           "info": project_face(row.info), "updated": updated})
        elif kind == "Blog":
            events.append({"action_updated": kind, "id": row.id, "name": row.name, "short_name": row.short_name,
                           "project_name": row.project_name, "info": project_face(row.info), "updated": updated})
        elif kind == "Announcement":
            events.append({"action_updated": kind, "id": row.id, "name": row.name, "updated": updated})
        elif (row.user_id, row.id) not in seen:
            # One event per volunteer and project: their latest answer there.
            seen.add((row.user_id, row.id))
            events.append({"action_updated": kind, "id": row.id, "name": row.name, "short_name": row.short_name,
                           "info": project_face(row.info), "user_name": row.user_name, "user_fullname": row.fullname,
                           "updated": updated})
    events.sort(key=lambda event: event["updated"], reverse=True)
    return events[:limit]
