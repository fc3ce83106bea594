"""Cached expensive reads (site totals, the leaderboard), in dogpile.cache regions.

A region lives in process memory by default, or in Redis when the site has
one.  Each cached value belongs to a *namespace* (``site``) whose *generation*
is part of its key: invalidating a namespace is one increment of its generation
in the site's shared counters (Redis, or the shared-state file), never a
recount, so the contribution hot path can afford it, and every server process
sees it before its next read.  Values of an old
generation are never read again and age out (Redis expiry, a bounded memory
dict).

What invalidates what is decided in one place, :func:`watch_writes`: a flush
that adds, changes or deletes a user, project, category, task or task run bumps the
``site`` generation at once and again when its transaction ends, so a value
computed by a concurrent request before the commit (or from rows that were
rolled back) is never served.  A flush that writes a project, or a task, task run,
result or volunteer score of it, bumps that project's ``export:<id>`` generation the
same way (its built exports, ``services/exports.py``); writes made with Core statements
and no ORM object of the project in the same transaction call :func:`project_data_changed`.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

import redis
import sqlalchemy as sa
from dogpile.cache import make_region, register_backend
from dogpile.cache.api import NO_VALUE, BytesBackend
from dogpile.cache.region import CacheRegion
from pyramid.threadlocal import get_current_request
from sqlalchemy.orm import Session, sessionmaker

from pybossa_core.interfaces import ICache, IRedisClient, ISessionFactory, ISharedCounters, find_service
from pybossa_core.models import Announcement, Blogpost, Category, Project, Result, Task, TaskRun, User, VolunteerReliability
from pybossa_core.security import ACCOUNTS
from pybossa_core.services.shared_state import RedisCounters, SharedCounters

T = TypeVar("T")

#: The namespace of site-wide aggregates: global stats, the home page, the leaderboard, users' ranks.
SITE = "site"
#: The models whose writes change the ``site`` namespace's values (blog posts and announcements:
#: the update feed).
SITE_MODELS = (User, Project, Category, Task, TaskRun, Blogpost, Announcement)
#: The namespace of the projects' rows that newtask reads (``api.newtask``): any write of a
#: project makes them stale.
PROJECTS = "projects"
#: The models whose writes change a project's exports (``export_namespace``).
EXPORT_MODELS = (Project, Task, TaskRun, Result, VolunteerReliability)
#: How many values a memory region keeps (old generations are dropped first).
MEMORY_ENTRIES = 10_000
_DIRTY = "pybossa.cache_dirty"


def generation_key(namespace: str) -> str:
    """The shared counter holding ``namespace``'s generation."""
    return f"generation:{namespace}"


class Generations:
    """The current generation of each namespace, in the site's shared counters (every process sees a bump)."""

    def __init__(self, counters: SharedCounters):
        self.counters = counters

    def current(self, namespace: str) -> int:
        """Return ``namespace``'s generation."""
        return self.counters.get([generation_key(namespace)])[0]

    def bump(self, *namespaces: str) -> None:
        """Make every value cached in ``namespaces`` stale (one write to the counters for all)."""
        self.counters.add([generation_key(namespace) for namespace in namespaces], 1, None)


class BoundedDict(OrderedDict):
    """The memory region's store: forgets its oldest entries beyond ``size``."""

    def __init__(self, size: int):
        super().__init__()
        self.size = size
        self._lock = threading.Lock()

    def __setitem__(self, key, value) -> None:
        with self._lock:
            super().__setitem__(key, value)
            while len(self) > self.size:
                self.popitem(last=False)


class Cache:
    """A dogpile.cache region whose values are grouped in namespaces invalidated by generation."""

    def __init__(self, region: CacheRegion, generations: Generations, prefix: str, max_lag: float = 0):
        self.region, self.generations, self.prefix, self.max_lag = region, generations, prefix, max_lag

    def get_or_create(self, namespace: str, key: str, creator: Callable[[], T], *, may_lag: bool = False) -> T:
        """Return the cached value of ``key`` in ``namespace``, computing it with ``creator`` if stale.

        With ``may_lag`` (figures that cost seconds on a big site: ``/stats/``, the home page, a
        project's statistics), a value dropped by a write is still served until it is
        ``max_lag`` seconds old, so a site answering a steady stream of contributions
        recomputes it at most that often rather than on every view.
        """
        fresh = self._current(namespace, key)
        if not (may_lag and self.max_lag):
            return self.region.get_or_create(fresh, creator)
        value = self.region.get(fresh)
        if value is not NO_VALUE:
            return value
        latest_key = f"{self.prefix}:{namespace}:latest:{key}"
        latest = self.region.get(latest_key)
        if latest is not NO_VALUE:
            if time.time() - latest[0] < self.max_lag:
                return latest[1]
            # This request recomputes; the others go on serving the old value meanwhile.
            self.region.set(latest_key, (time.time(), latest[1]))
        value = self.region.get_or_create(fresh, creator)
        self.region.set(latest_key, (time.time(), value))
        return value

    def peek(self, namespace: str, key: str) -> tuple[str, Any]:
        """Return the place of ``key`` in ``namespace``'s current generation and its value there
        (None when there is none). A value computed after this call is kept there with
        :meth:`keep`: a write in between has already made it stale."""
        place = self._current(namespace, key)
        value = self.region.get(place)
        return place, (None if value is NO_VALUE else value)

    def keep(self, place: str, value: Any) -> None:
        """Keep ``value`` at ``place`` (from :meth:`peek`)."""
        self.region.set(place, value)

    def kept_row(self, namespace: str, key: str, load: Callable[[], Any]) -> Any:
        """Return the row kept as ``key`` in ``namespace``, else ``load()``'s, kept unless it is None
        (a miss is never kept: made-up keys cannot fill the cache). In a memory cache the requests
        share the row: nothing may change what it holds (its ``info`` dict)."""
        place, row = self.peek(namespace, key)
        if row is None:
            row = load()
            if row is not None:
                self.keep(place, row)
        return row

    def _current(self, namespace: str, key: str) -> str:
        return self._place(namespace, self.generations.current(namespace), key)

    def _place(self, namespace: str, generation: int | bytes, key: str) -> str:
        return f"{self.prefix}:{namespace}:{int(generation)}:{key}"

    def invalidate(self, *namespaces: str) -> None:
        """Make every value of ``namespaces`` stale, in every process sharing the cache: O(1)."""
        self.generations.bump(*namespaces)


def memory_cache(counters: SharedCounters, expiration: int, prefix: str = "pybossa", max_lag: float = 0) -> Cache:
    """Return a cache whose values live in this process, made stale by the generations in ``counters``."""
    region = make_region().configure(
        "dogpile.cache.memory", expiration_time=expiration, arguments={"cache_dict": BoundedDict(MEMORY_ENTRIES)}
    )
    return Cache(region, Generations(counters), prefix, max_lag)


class RedisBackend(BytesBackend):
    """A dogpile.cache back end over the site's Redis client (``IRedisClient``), values expiring there."""

    def __init__(self, arguments: dict[str, Any]):
        self.client: redis.Redis = arguments["client"]
        self.expiration: int = arguments["expiration"]
        self._prefetched = threading.local()

    def prefetched(self, key: str, value: bytes | None) -> None:
        """Take ``value`` as what Redis holds at ``key`` for this thread's next read (:class:`RedisCache`
        read it with its generation): that read, of this key or another, asks Redis nothing more."""
        self._prefetched.entry = (key, value)

    def get_serialized(self, key: str) -> bytes | Any:
        entry, self._prefetched.entry = getattr(self._prefetched, "entry", None), None
        value = entry[1] if entry is not None and entry[0] == key else self.client.get(key)
        return NO_VALUE if value is None else value

    def get_serialized_multi(self, keys) -> list[bytes | Any]:
        return [NO_VALUE if value is None else value for value in self.client.mget(keys)] if keys else []

    def set_serialized(self, key: str, value: bytes) -> None:
        self.client.set(key, value, ex=self.expiration)

    def set_serialized_multi(self, mapping) -> None:
        pipeline = self.client.pipeline()
        for key, value in mapping.items():
            pipeline.set(key, value, ex=self.expiration)
        pipeline.execute()

    def delete(self, key: str) -> None:
        self.client.delete(key)

    def delete_multi(self, keys) -> None:
        if keys:
            self.client.delete(*keys)


register_backend("pybossa.redis", __name__, "RedisBackend")


# A namespace's generation (KEYS[1]) and the value kept under it (ARGV[1] .. generation .. ARGV[2]).
_LOOKUP_SCRIPT = """
local generation = redis.call('GET', KEYS[1]) or '0'
return {generation, redis.call('GET', ARGV[1] .. generation .. ARGV[2])}
"""


class RedisCache(Cache):
    """A cache in Redis whose generations are Redis counters: a read asks for the generation and
    the value kept under it in one round trip (one script), not one for each."""

    def __init__(self, region: CacheRegion, counters: RedisCounters, prefix: str, max_lag: float = 0):
        super().__init__(region, Generations(counters), prefix, max_lag)
        self.counters = counters
        self._lookup = counters.client.register_script(_LOOKUP_SCRIPT)

    def _current(self, namespace: str, key: str) -> str:
        generation, value = self._lookup(
            keys=self.counters.names([generation_key(namespace)]), args=[f"{self.prefix}:{namespace}:", f":{key}"])
        place = self._place(namespace, generation, key)
        self.region.backend.prefetched(place, value)
        return place


def redis_cache(
    client: redis.Redis, counters: RedisCounters, expiration: int, prefix: str = "pybossa", max_lag: float = 0
) -> Cache:
    """Return a cache in Redis through ``client``, its generations in ``counters`` (the same Redis);
    values expire there a minute after they go stale."""
    region = make_region().configure(
        "pybossa.redis", expiration_time=expiration, arguments={"client": client, "expiration": expiration + 60}
    )
    return RedisCache(region, counters, prefix, max_lag)


def export_namespace(project_id: int) -> str:
    """The namespace whose generation changes with everything a project's exports hold."""
    return f"export:{project_id}"


def _namespaces_of(model: type, project_id: int | None) -> set[str]:
    """The namespaces a write of ``model``'s rows (of project ``project_id``) makes stale."""
    namespaces = set()
    if issubclass(model, SITE_MODELS):
        namespaces.add(SITE)
    if issubclass(model, User):
        namespaces.add(ACCOUNTS)
    if issubclass(model, Project):
        namespaces.add(PROJECTS)
    if issubclass(model, EXPORT_MODELS) and project_id is not None:
        namespaces.add(export_namespace(project_id))
    return namespaces


def _changed_namespaces(session: Session) -> set[str]:
    """The namespaces the pending flush of ``session`` makes stale."""
    namespaces = set()
    for objects in (session.new, session.deleted, session.dirty):
        for obj in objects:
            namespaces |= _namespaces_of(type(obj), obj.id if isinstance(obj, Project) else getattr(obj, "project_id", None))
    return namespaces


def _caches_of(session: Session) -> set[Cache]:
    """Return the caches a write in ``session`` concerns: its site's, and the current request's site's."""
    caches = set()
    for request in (session.info.get("request"), get_current_request()):
        cache = request.find_service(ICache) if request is not None else None
        if cache is not None:
            caches.add(cache)
    if session.info.get("cache") is not None:
        caches.add(session.info["cache"])
    return caches


def _invalidate(session: Session, namespaces: set[str]) -> None:
    """Bump ``namespaces`` now, and again once the session's transaction ends."""
    if not namespaces:
        return
    caches = _caches_of(session)
    for cache in caches:
        cache.invalidate(*sorted(namespaces))
    for cache in caches:
        session.info.setdefault(_DIRTY, {}).setdefault(cache, set()).update(namespaces)


def _after_flush(session: Session, flush_context) -> None:
    _invalidate(session, _changed_namespaces(session))


def project_data_changed(session: Session, project_id: int) -> None:
    """Say that a Core statement of ``session`` changed what project ``project_id``'s exports hold
    (bumped now and once the transaction ends, as a flush's changes are)."""
    _invalidate(session, {export_namespace(project_id)})


def rows_inserted(session: Session, model: type, project_id: int | None) -> None:
    """Say that a Core INSERT of ``session`` stored a row of ``model`` (of project ``project_id``):
    the namespaces an ORM flush of it would have made stale are bumped, now and at the transaction's end."""
    _invalidate(session, _namespaces_of(model, project_id))


def _after_transaction_end(session: Session, transaction) -> None:
    # Again once the transaction is over: a value computed meanwhile saw the rows before the
    # commit, or rows that were rolled back.
    if transaction.parent is None:
        for cache, namespaces in session.info.pop(_DIRTY, {}).items():
            cache.invalidate(*sorted(namespaces))


def watch_writes(session_factory: sessionmaker, cache: Cache) -> None:
    """Invalidate ``cache``'s ``site``, ``accounts``, ``projects`` and ``export:<id>`` namespaces when a session writes what they show.

    Sessions of ``session_factory`` (jobs, commands, tests) carry the cache in
    their ``info``; a request's session finds it among the request's services.
    The listeners are the ORM's, on every session: they catch every way of
    writing (the API, the account views, factories), not only the REST API's.
    """
    session_factory.configure(info={"cache": cache})
    for event, listener in (("after_flush", _after_flush), ("after_transaction_end", _after_transaction_end)):
        if not sa.event.contains(Session, event, listener):
            sa.event.listen(Session, event, listener)


def cache_for(settings: dict[str, Any], client: redis.Redis | None, counters: SharedCounters) -> Cache:
    """Return the site's cache: values in Redis when it has a Redis client, else in process memory."""
    expiration, prefix, max_lag = settings["cache.expiration"], settings["redis.prefix"], settings["cache.max_lag"]
    if client is not None:
        return redis_cache(client, counters, expiration, prefix, max_lag)
    return memory_cache(counters, expiration, prefix, max_lag)


def includeme(config) -> None:
    registry = config.registry
    cache = cache_for(config.get_settings(), find_service(registry, IRedisClient), find_service(registry, ISharedCounters))
    config.register_service(cache, ICache)
    watch_writes(find_service(registry, ISessionFactory), cache)
