"""Browser sessions: a signed, HttpOnly, SameSite=Lax cookie naming a session kept in the database.

The cookie holds two random values: the session key (only while signed in) and
the visitor's CSRF token.  The key is looked up by its SHA-256 in the
``web_session`` table, so signing out, a password change or an expired row ends
the session for good: replaying an old cookie signs nobody in.  Signing in
always starts a new key (no session fixation) but keeps the CSRF token, so a
JavaScript client may go on using the token it read before signing in.

The cookie also carries a redirect's flash message to the next page a browser
renders (:func:`keep_flash`, :func:`pop_flash`), for anonymous visitors too.
"""
from __future__ import annotations

import datetime
import functools
import hashlib
import secrets
import time
from typing import TYPE_CHECKING

import sqlalchemy as sa
from webob.cookies import SignedSerializer

from pybossa_core.interfaces import ISessionCookies
from pybossa_core.models import User, WebSession
from pybossa_core.models.meta import utcnow

if TYPE_CHECKING:
    from pyramid.request import Request

COOKIE_NAME = "pybossa_session"
#: Anonymous visitors keep their CSRF token this long; a signed-in session lasts ``session.max_age``.
VISITOR_COOKIE_AGE = 30 * 24 * 3600
#: A kept flash message is shown by the next page within this many seconds, or never.
FLASH_AGE = 300
#: Longer messages are cut, so the cookie stays far below browsers' 4 kB.
FLASH_MAX_LENGTH = 500
#: Session cookies whose checked values a process keeps.
COOKIES_KEPT = 4096


def _key_id(key: str) -> str:
    return hashlib.sha256(key.encode("ascii")).hexdigest()


class SessionCookies:
    """Reads and writes the session cookie of a site (one per application, in the registry)."""

    def __init__(self, secret: str, *, max_age: int, secure: bool):
        self.serializer = SignedSerializer(secret, "pybossa.session-cookie", hashalg="sha512")
        self.max_age = max_age
        self.secure = secure
        # A browser sends the same cookie with every request: its signature is checked and its JSON
        # parsed once (about 70 000 instructions a request), kept per cookie text. Readers copy the
        # dict they get (``_state``) and replace its values, never change them in place.
        self._values = functools.lru_cache(maxsize=COOKIES_KEPT)(self._verified)

    def read(self, request: Request) -> dict:
        raw = request.cookies.get(COOKIE_NAME)
        return self._values(raw) if raw else {}

    def _verified(self, raw: str) -> dict:
        try:
            value = self.serializer.loads(raw.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            return {}
        return value if isinstance(value, dict) else {}

    def write(self, request: Request, response) -> None:
        state = request.environ["pybossa.session"]
        value = {"c": state["c"]}
        for name in ("k", "f"):
            if state.get(name):
                value[name] = state[name]
        response.set_cookie(
            COOKIE_NAME,
            self.serializer.dumps(value).decode("ascii"),
            max_age=self.max_age if state.get("k") else VISITOR_COOKIE_AGE,
            path="/",
            httponly=True,
            secure=self.secure,
            samesite="lax",
        )


def _state(request: Request) -> dict:
    """Return the cookie's values for this request, read once."""
    state = request.environ.get("pybossa.session")
    if state is None:
        state = dict(request.find_service(ISessionCookies).read(request))
        request.environ["pybossa.session"] = state
    return state


def _changed(request: Request) -> None:
    if not request.environ.get("pybossa.session_changed"):
        request.environ["pybossa.session_changed"] = True
        request.add_response_callback(lambda request, response: request.find_service(ISessionCookies).write(request, response))


def csrf_token(request: Request) -> str:
    """Return the visitor's CSRF token, giving them one (and its cookie) if they have none."""
    state = _state(request)
    if not state.get("c"):
        state["c"] = secrets.token_urlsafe(32)
        _changed(request)
    return state["c"]


def current_csrf_token(request: Request) -> str | None:
    """Return the CSRF token the visitor's cookie holds, without giving them one."""
    token = _state(request).get("c")
    return token if isinstance(token, str) else None


def keep_flash(request: Request, message: str, status: str | None) -> None:
    """Keep a redirect's flash message for the next page the browser renders."""
    csrf_token(request)  # the cookie is only written with a token
    _state(request)["f"] = {"m": message[:FLASH_MAX_LENGTH], "s": status, "t": int(time.time())}
    _changed(request)


def has_kept_flash(request: Request) -> bool:
    """Tell whether a redirect kept a flash message for the next page (:func:`pop_flash`)."""
    return "f" in _state(request)


def pop_flash(request: Request) -> dict | None:
    """Return the kept flash message (``message``, ``status``) once, or None; a stale one is dropped."""
    state = _state(request)
    kept = state.pop("f", None)
    if kept is None:
        return None
    _changed(request)
    if not isinstance(kept, dict) or not isinstance(kept.get("m"), str) or time.time() - kept.get("t", 0) > FLASH_AGE:
        return None
    return {"message": kept["m"], "status": kept.get("s")}


def has_session_cookie(request: Request) -> bool:
    """Tell whether the request carries a valid session cookie naming a session key."""
    return bool(_state(request).get("k"))


_SESSIONS = WebSession.__table__
#: The row of the user a live session signs in, in one statement (of table columns: an ORM
#: attribute would send it through the ORM's loading).
USER_ROW_BY_SESSION = (
    sa.select(*User.__table__.columns)
    .join(_SESSIONS, _SESSIONS.c.user_id == User.__table__.c.id)
    .where(_SESSIONS.c.id == sa.bindparam("key"), _SESSIONS.c.expires > sa.bindparam("now"))
)


def session_key(request: Request) -> str | None:
    """The key of the session this browser is signed in with, if any (it changes as it signs in or out)."""
    key = _state(request).get("k")
    return key if key and isinstance(key, str) else None


def session_user(request: Request, *, row: bool = False) -> User | None:
    """Return the user the session cookie signs in, or None (no cookie, ended or expired session);
    with ``row``, a read-only row of the user's columns instead of the ORM object."""
    key = session_key(request)
    if key is None:
        return None
    if row:
        return request.dbsession.execute(USER_ROW_BY_SESSION, {"key": _key_id(key), "now": utcnow()}).one_or_none()
    session = request.dbsession.get(WebSession, _key_id(key))
    if session is None or session.expires <= utcnow():
        return None
    return request.dbsession.get(User, session.user_id)


def signed_in_at(request: Request) -> datetime.datetime | None:
    """Return when this browser's session began (its sign-in), or None when it has none."""
    key = _state(request).get("k")
    if not key or not isinstance(key, str):
        return None
    expires = request.dbsession.scalar(sa.select(WebSession.expires).where(WebSession.id == _key_id(key)))
    if expires is None:
        return None
    return expires - datetime.timedelta(seconds=request.registry.settings["session.max_age"])


def start_session(request: Request, user: User) -> None:
    """Sign ``user`` in on this browser with a new session key; any previous session of the browser ends."""
    end_session(request)
    request.dbsession.execute(sa.delete(WebSession).where(WebSession.expires <= utcnow()))
    key = secrets.token_urlsafe(32)
    max_age = request.registry.settings["session.max_age"]
    request.dbsession.add(
        WebSession(
            id=_key_id(key),
            user_id=user.id,
            expires=utcnow() + datetime.timedelta(seconds=max_age),
        )
    )
    request.dbsession.flush()
    csrf_token(request)
    _state(request)["k"] = key
    _changed(request)
    request.environ["pybossa.signed_in"] = user


def end_session(request: Request) -> None:
    """Sign this browser out: its session row goes, the cookie keeps only the CSRF token."""
    state = _state(request)
    key = state.pop("k", None)
    if key and isinstance(key, str):
        request.dbsession.execute(sa.delete(WebSession).where(WebSession.id == _key_id(key)))
        _changed(request)


def end_all_sessions(request: Request, user: User) -> None:
    """End every session of ``user`` (on every browser), as a password change must."""
    request.dbsession.execute(sa.delete(WebSession).where(WebSession.user_id == user.id))
    _state(request).pop("k", None)
    _changed(request)


def includeme(config) -> None:
    settings = config.get_settings()
    config.register_service(SessionCookies(
        settings["secret"], max_age=settings["session.max_age"], secure=settings["session.secure_cookie"]
    ), ISessionCookies)
