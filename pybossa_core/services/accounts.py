"""Accounts: creating and finding users, signed links, sign-in with a provider, and account summaries.

Nothing here sees a request: views hand in the session, the settings' values
and the user, and get users, dicts and errors back.
"""
from __future__ import annotations

import base64
import datetime
import functools
import hashlib
import hmac
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy.orm import Session

from pybossa_core.models import Announcement, Blogpost, Project, Task, TaskRun, User, UserIdentity
from pybossa_core.models.meta import utcnow
from pybossa_core.models.user import new_api_key
from pybossa_core.security import listed_publicly
from pybossa_core.services import figure_counts
from pybossa_core.services.cache import SITE, Cache
from pybossa_core.services.passwords import check_password, hash_password

PER_PAGE = 24
LEADERBOARD_SIZE = 20
EMAIL_TAKEN_BY_ANOTHER = "Sorry, there is already an account with the same e-mail."


# -- users ----------------------------------------------------------------------------------


def find_by_email(session: Session, email: str) -> User | None:
    """Return the user with e-mail ``email`` (any case), or None."""
    return session.scalar(sa.select(User).where(sa.func.lower(User.email_addr) == email.strip().lower()))


def find_by_name(session: Session, name: str) -> User | None:
    return session.scalar(sa.select(User).where(User.name == name))


#: The PostgreSQL advisory lock under which a new site's first account is decided.
FIRST_ADMIN_LOCK = 0x70B055A1


def _is_first_user(session: Session) -> bool:
    """Tell whether the site has no account yet, so the one being created is its admin.

    Racing registrations on a new site must not all see an empty table: on PostgreSQL
    the answer is decided under a transaction-wide advisory lock (each statement of a READ
    COMMITTED transaction then sees the account a previous holder committed); SQLite's
    writers already run one at a time (a writing request begins IMMEDIATE).
    """
    if session.scalar(sa.select(User.id).limit(1)) is not None:
        return False
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(FIRST_ADMIN_LOCK)))
        return session.scalar(sa.select(User.id).limit(1)) is None
    return True


def create_user(session: Session, **fields: Any) -> User:
    """Create a user; the first account of a new site, and only it, is its admin."""
    user = User(admin=_is_first_user(session), **fields)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """Return the user whose e-mail and password these are; None tells nothing of which was wrong."""
    user = find_by_email(session, email)
    matches = check_password(user.passwd_hash if user is not None else None, password)
    return user if matches else None


def set_password(user: User, password: str) -> None:
    user.passwd_hash = hash_password(password)


def reset_api_key(user: User) -> None:
    user.api_key = new_api_key()


def identities_of(session: Session, user: User) -> dict[str, str]:
    """Return ``{provider: external id}`` of the providers ``user`` signs in with."""
    rows = session.execute(
        sa.select(UserIdentity.provider, UserIdentity.external_id).where(UserIdentity.user_id == user.id)
    )
    return dict(rows.all())


def _unique_name(session: Session, wanted: str) -> str:
    base = re.sub(r"[$#&\\/| ]+", "", wanted)[:30] or "user"
    name, number = base, 1
    while session.scalar(sa.select(User.id).where(sa.func.lower(User.name) == name.lower())) is not None:
        number += 1
        name = f"{base}{number}"
    return name


def sign_in_with_profile(session: Session, profile: Mapping[str, Any]) -> tuple[User | None, str | None]:
    """Return the user a provider's profile signs in (creating the account the first time).

    The provider's tokens are kept in ``info["<provider>_token"]`` (PYBOSSA's
    place, served by ``/api/token``).  A new profile whose e-mail belongs to an
    existing account is refused rather than merged: the provider's word is not
    proof that the person owns that account.  Returns ``(user, None)`` or
    ``(None, message)``.
    """
    provider, external_id = profile["provider"], str(profile["external_id"])
    identity = session.scalar(
        sa.select(UserIdentity).where(UserIdentity.provider == provider, UserIdentity.external_id == external_id)
    )
    if identity is not None:
        user = session.get(User, identity.user_id)
    else:
        email = profile.get("email")
        if email and find_by_email(session, email) is not None:
            return None, EMAIL_TAKEN_BY_ANOTHER
        name = _unique_name(session, profile["name"])
        user = create_user(
            session,
            name=name,
            fullname=profile.get("fullname") or name,
            # PYBOSSA's placeholder when the provider gives no address (Twitter): the user name.
            email_addr=email or _unique_placeholder(session, name),
            valid_email=bool(email),
        )
        session.add(UserIdentity(user_id=user.id, provider=provider, external_id=external_id))
    info = dict(user.info or {})
    info[f"{provider}_token"] = dict(profile.get("tokens") or {})
    user.info = info
    session.flush()
    return user, None


def _unique_placeholder(session: Session, name: str) -> str:
    placeholder, number = name, 1
    while find_by_email(session, placeholder) is not None:
        number += 1
        placeholder = f"{name}{number}"
    return placeholder


# -- signed links ---------------------------------------------------------------------------


class BadKey(ValueError):
    """A link's key is expired, tampered with or used up; the message says which, for the visitor."""


EXPIRED = "This link has expired. Please ask for a new one."
INVALID = "This link is not valid. Please check you copied all of it, or ask for a new one."


class LinkKeys:
    """Encrypted, expiring keys for the links sent by e-mail (Fernet: AES and HMAC-SHA256).

    Each purpose ("account-validation", "password-reset") has its own key
    derived from the site's secret, so a key made for one is refused by the
    others.  The payload is encrypted as well as signed: a registration's key
    carries the password hash, which a mail server should not read.
    """

    def __init__(self, secret: str):
        self.secret = secret.encode("utf-8")

    def _fernet(self, purpose: str) -> Fernet:
        digest = hmac.new(self.secret, f"pybossa link key: {purpose}".encode(), hashlib.sha256).digest()
        return Fernet(base64.urlsafe_b64encode(digest))

    def make(self, purpose: str, payload: Mapping[str, Any], *, at: int | None = None) -> str:
        data = json.dumps(dict(payload), separators=(",", ":")).encode("utf-8")
        fernet = self._fernet(purpose)
        token = fernet.encrypt(data) if at is None else fernet.encrypt_at_time(data, at)
        return token.decode("ascii")

    def load(self, purpose: str, key: str, *, max_age: int) -> dict[str, Any]:
        fernet = self._fernet(purpose)
        try:
            token = key.encode("ascii")
            data = fernet.decrypt(token, ttl=max_age)
        except (InvalidToken, UnicodeEncodeError):
            try:
                fernet.extract_timestamp(key.encode("ascii"))
            except (InvalidToken, UnicodeEncodeError):
                raise BadKey(INVALID) from None
            raise BadKey(EXPIRED) from None
        return json.loads(data)


def account_fingerprint(user: User) -> str:
    """Return a digest of what a mailed key may change: ``user``'s password hash, e-mail and its validation.

    A key holding it works once: using it (a new password, a new or validated address) changes
    the fingerprint, and so does any other change of those in between.
    """
    state = "\0".join((user.passwd_hash or "", user.email_addr.lower(), str(bool(user.valid_email))))
    return hashlib.sha256(state.encode("utf-8")).hexdigest()[:32]


# -- summaries ------------------------------------------------------------------------------


def format_time(value: datetime.datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f") if value is not None else None


def pretty_date(value: datetime.datetime | None, now: datetime.datetime | None = None) -> str:
    """Return how long ago ``value`` was, as PYBOSSA writes it ("2 years ago")."""
    if value is None:
        return ""
    seconds = int(((now or utcnow()) - value).total_seconds())
    days = seconds // 86400
    if seconds < 0:
        return ""
    for limit, unit_seconds, one, many in (
        (10, 1, "just now", "just now"),
        (60, 1, "{} seconds ago", "{} seconds ago"),
        (3600, 60, "a minute ago", "{} minutes ago"),
        (86400, 3600, "an hour ago", "{} hours ago"),
    ):
        if seconds < limit:
            count = seconds // unit_seconds
            return (one if count <= 1 else many).format(count)
    if days < 7:
        return "Yesterday" if days == 1 else f"{days} days ago"
    if days < 31:
        return f"{days // 7} weeks ago" if days >= 14 else "1 week ago"
    if days < 365:
        return f"{days // 30} months ago" if days >= 60 else "1 month ago"
    return f"{days // 365} years ago" if days >= 730 else "1 year ago"


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


def public_user(user: User, summary: Mapping[str, int]) -> dict[str, Any]:
    """Return what anybody may see of ``user`` (more when privacy mode is off)."""
    data: dict[str, Any] = {
        "name": user.name,
        "fullname": user.fullname,
        "info": _public_info(user.info),
        "rank": summary["rank"],
        "score": summary["score"],
        "n_answers": summary["score"],
    }
    if not user.privacy_mode:
        data.update(created=format_time(user.created), registered_ago=pretty_date(user.created), locale=user.locale)
    return data


def own_user(session: Session, user: User, summary: Mapping[str, int]) -> dict[str, Any]:
    """Return everything ``user`` may see of their own account (the spec's signed-in profile)."""
    identities = identities_of(session, user)
    return {
        "id": user.id,
        "name": user.name,
        "fullname": user.fullname,
        "email_addr": user.email_addr,
        "admin": user.admin,
        "api_key": user.api_key,
        "created": format_time(user.created),
        "registered_ago": pretty_date(user.created),
        "locale": user.locale,
        "privacy_mode": user.privacy_mode,
        "subscribed": user.subscribed,
        "valid_email": user.valid_email,
        "confirmation_email_sent": user.confirmation_email_sent,
        "twitter_user_id": identities.get("twitter"),
        "facebook_user_id": identities.get("facebook"),
        "google_user_id": identities.get("google"),
        "info": _public_info(user.info),
        "rank": summary["rank"],
        "score": summary["score"],
        "n_answers": summary["score"],
        "total": session.scalar(sa.select(sa.func.count(User.id))),
    }


def _public_info(info: Any) -> dict[str, Any]:
    """Return the parts of a user's ``info`` others may see (never the providers' tokens)."""
    info = info if isinstance(info, dict) else {}
    return {key: info[key] for key in ("avatar", "container", "avatar_url", "extra") if key in info}


def project_summaries(session: Session, query: sa.Select) -> list[dict[str, Any]]:
    """Return the project cards (tasks, volunteers, progress) of the projects ``query`` selects."""
    projects = session.scalars(query.order_by(Project.id)).all()
    if not projects:
        return []
    counts = figure_counts.counts_by_project(session, [project.id for project in projects])
    cards = []
    for project in projects:
        figures = counts.get(project.id, figure_counts.Counts())
        n_tasks = figures.n_tasks
        cards.append(
            {
                "id": project.id,
                "name": project.name,
                "short_name": project.short_name,
                "description": project.description,
                "info": project.info or {},
                "owner_id": project.owner_id,
                "n_tasks": n_tasks,
                "n_volunteers": figures.n_volunteers,
                "overall_progress": math.floor(figures.n_completed_tasks * 100 / n_tasks) if n_tasks else 0,
            }
        )
    return cards


def owned_projects_query(user: User, *, published: bool) -> sa.Select:
    return sa.select(Project).where(Project.owner_id == user.id, Project.published.is_(published))


def contributed_projects_query(user: User) -> sa.Select:
    return sa.select(Project).where(
        Project.published.is_(True),
        Project.id.in_(sa.select(TaskRun.project_id).where(TaskRun.user_id == user.id)),
    )


@dataclass(frozen=True)
class Pagination:
    page: int
    per_page: int
    total: int

    def to_json(self) -> dict[str, Any]:
        pages = math.ceil(self.total / self.per_page)
        return {
            "page": self.page,
            "per_page": self.per_page,
            "total": self.total,
            "next": self.page < pages,
            "prev": 1 < self.page <= pages,
        }


def _community_entry(user: User, task_runs: int | None, rank: int | None, score: int | None) -> dict[str, Any]:
    return {
        "name": user.name,
        "fullname": user.fullname,
        "info": _public_info(user.info),
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
    announcements. Each kind is one indexed query for its newest ``limit`` rows."""
    users = session.scalars(sa.select(User).order_by(User.created.desc(), User.id.desc()).limit(limit)).all()
    projects = session.scalars(
        sa.select(Project).where(listed_publicly()).order_by(Project.created.desc(), Project.id.desc()).limit(limit)
    ).all()
    contributions = session.execute(
        sa.select(TaskRun.created, User, Project)
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

    def project_face(project: Project) -> dict[str, Any]:
        return {key: value for key, value in (project.info or {}).items() if key in ("thumbnail", "container")}

    events = [
        {"action_updated": "User", "id": user.id, "name": user.name,
         "fullname": user.fullname, "info": _public_info(user.info), "updated": format_time(user.created)}
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
    for created, user, project in contributions:
        # One event per volunteer and project: their latest answer there.
        if (user.id, project.id) not in seen:
            seen.add((user.id, project.id))
            events.append({"action_updated": "UserContribution", "id": project.id, "name": project.name,
                           "short_name": project.short_name, "info": project_face(project),
                           "user_name": user.name, "user_fullname": user.fullname, "updated": format_time(created)})
    events.sort(key=lambda event: event["updated"], reverse=True)
    return events[:limit]
