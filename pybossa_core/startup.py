"""What a site needs before it serves, and the probes orchestrators ask: ``/health`` and ``/ready``.

``pybossa serve`` and ``pybossa worker`` check, before they start, that the database
answers and is at the migrations' head and that Redis (with ``redis.url``) answers; a
failed check stops them with one line and exit status 2.  ``/health`` answers 200 while the
process serves (liveness, nothing else looked at); ``/ready`` answers 200 when the database
and Redis answer, else 503 naming what does not (readiness).
"""
from __future__ import annotations

import functools

import redis
import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from pyramid.view import view_config

from pybossa_core.interfaces import IDBEngine, IRedisClient


class NotReady(Exception):
    """Something the site needs does not answer or is not set up; the message says what to do."""


@functools.cache
def migration_heads() -> frozenset[str]:
    """Return the revisions the code's migrations end at."""
    from pybossa_core.migrations import alembic_config

    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def _reason(error: Exception) -> str:
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()
    return reason[0] if reason else type(error).__name__


def check_database(engine: sa.Engine) -> None:
    """Raise :class:`NotReady` unless ``engine``'s database answers and is at the migrations' head."""
    where = engine.url.render_as_string(hide_password=True)
    try:
        with engine.connect() as connection:
            current = frozenset(MigrationContext.configure(connection).get_current_heads())
    except sa.exc.SQLAlchemyError as error:
        raise NotReady(f"cannot reach the database at {where}: {_reason(error)}") from None
    if current != migration_heads():
        at = ", ".join(sorted(current)) or "no tables"
        raise NotReady(f"the database at {where} is not up to date ({at}): run `pybossa db upgrade`")


def check_redis(client: redis.Redis | None, url: str) -> None:
    """Raise :class:`NotReady` unless Redis answers (nothing to check without ``redis.url``)."""
    if client is None:
        return
    try:
        client.ping()
    except redis.RedisError as error:
        where = redis.connection.parse_url(url).get("host", url)
        raise NotReady(f"cannot reach Redis at {where}: {error}") from None


def check_site(settings) -> None:
    """Check the database and Redis of a site before a command serves it or runs its jobs."""
    from pybossa_core.db import get_engine
    from pybossa_core.services.shared_state import redis_client

    engine = get_engine(settings)
    try:
        check_database(engine)
    finally:
        engine.dispose()
    client = redis_client(settings["redis.url"])
    try:
        check_redis(client, settings["redis.url"])
    finally:
        if client is not None:
            client.close()


@view_config(route_name="site.health", renderer="json")
def health(request):
    """Liveness: the process answers."""
    return {"status": "ok"}


@view_config(route_name="site.ready", renderer="json")
def ready(request):
    """Readiness: the database (at the migrations' head) and Redis answer; 503 otherwise."""
    registry, redis_client = request.registry, request.find_service(IRedisClient)
    checks = {
        "database": lambda: check_database(request.find_service(IDBEngine)),
        "redis": lambda: check_redis(redis_client, registry.settings["redis.url"]),
    }
    answers = {}
    for name, check in checks.items():
        try:
            check()
            answers[name] = "ok" if name == "database" or redis_client is not None else "not configured"
        except NotReady as problem:
            answers[name] = str(problem)
    ok = all(answer in ("ok", "not configured") for answer in answers.values())
    request.response.status_code = 200 if ok else 503
    return {"status": "ok" if ok else "failed", **answers}


def includeme(config) -> None:
    config.add_route("site.health", "/health")
    config.add_route("site.ready", "/ready")
    config.scan(__name__)
