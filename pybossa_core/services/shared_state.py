"""What every server process of one site shares: counters in Redis, or in a small SQLite file.

Rate limits, the sign-in throttle and the cache's generations are all counters that
expire; :class:`SharedCounters` is their one interface.  :class:`RedisCounters` keeps them
in the site's Redis (``redis.url``), every key under ``redis.prefix``; without Redis,
:class:`FileCounters` keeps them in the SQLite file ``shared_state.path``, which every
process of ``pybossa serve --workers N`` on the machine opens.  Each operation is one round
trip: one Lua script in Redis, one statement (or one short write transaction) in SQLite.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

import redis

from pybossa_core.interfaces import IRedisClient, ISharedCounters


class SharedCounters(Protocol):
    def add(self, keys: Sequence[str], amount: int, ttl: int | None) -> list[int]:
        """Add ``amount`` to each counter of ``keys`` and return their new values.

        A counter that does not exist (or has expired) starts from 0 and, with ``ttl``,
        expires ``ttl`` seconds later; ``ttl`` None keeps it until it is deleted.
        """

    def get(self, keys: Sequence[str]) -> list[int]:
        """Return the value of each counter of ``keys`` (0 for one that does not exist)."""

    def delete(self, keys: Sequence[str]) -> None:
        """Forget the counters of ``keys``."""

    def clear(self, start: str) -> None:
        """Forget every counter whose key starts with ``start`` (tests start from a clean slate)."""


# INCRBY each key; give a key without a time to live (a new one) its ttl (ARGV[2], 0: none).
_ADD_SCRIPT = """
local values = {}
for i, key in ipairs(KEYS) do
  values[i] = redis.call('INCRBY', key, ARGV[1])
  if ARGV[2] ~= '0' and redis.call('TTL', key) == -1 then redis.call('EXPIRE', key, ARGV[2]) end
end
return values
"""


class RedisCounters:
    """Counters in the site's Redis, each key under ``prefix`` so that sites may share one database."""

    def __init__(self, client: redis.Redis, prefix: str):
        self.client, self.prefix = client, prefix
        self._add = client.register_script(_ADD_SCRIPT)

    def names(self, keys: Sequence[str]) -> list[str]:
        """The Redis keys of the counters ``keys``."""
        return [f"{self.prefix}:{key}" for key in keys]

    def add(self, keys: Sequence[str], amount: int, ttl: int | None) -> list[int]:
        return [int(value) for value in self._add(keys=self.names(keys), args=[amount, ttl or 0])]

    def get(self, keys: Sequence[str]) -> list[int]:
        return [int(value or 0) for value in self.client.mget(self.names(keys))]

    def delete(self, keys: Sequence[str]) -> None:
        self.client.delete(*self.names(keys))

    def clear(self, start: str) -> None:
        for name in self.client.scan_iter(match=f"{self.prefix}:{start}*", count=1000):
            self.client.delete(name)


_SCHEMA = "CREATE TABLE IF NOT EXISTS counter (key TEXT PRIMARY KEY, value INTEGER NOT NULL, expires REAL) WITHOUT ROWID"
# A counter past its expiry starts again from the amount, with the new expiry. One statement
# for every key: its own transaction, so one write (and one lock) per addition.
_UPSERT = """
INSERT INTO counter (key, value, expires) VALUES {rows}
ON CONFLICT (key) DO UPDATE SET
  value = CASE WHEN counter.expires <= ? THEN excluded.value ELSE counter.value + excluded.value END,
  expires = CASE WHEN counter.expires <= ? THEN excluded.expires ELSE counter.expires END
RETURNING key, value
"""
#: Seconds between two sweeps of expired counters by one process.
SWEEP_INTERVAL = 60


class FileCounters:
    """Counters in a SQLite file that every server process of the site on this machine opens.

    A write is one statement (its own transaction).  Writers take an exclusive ``flock`` on a
    lock file beside it (and a thread lock within a process) for the few microseconds it takes: the kernel wakes the next writer
    at once, where SQLite's own busy handler would sleep a millisecond or more.  Readers never
    wait (WAL).  Durability is not needed (counters that expire), so nothing is synced to disk.
    """

    def __init__(self, path: str, clock: Callable[[], float] = time.time):
        self.path, self.clock = os.path.abspath(path), clock
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._lock_file: tuple[int, int] | None = None  # (pid, fd): a forked child opens its own
        self._swept = 0.0
        with self._writing() as connection:
            connection.execute(_SCHEMA)

    def _connection(self) -> sqlite3.Connection:
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            connection = sqlite3.connect(self.path, isolation_level=None, timeout=10)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=OFF")
            local.connection, local.pid = connection, os.getpid()
        return local.connection

    def _lock_fd(self) -> int:
        if self._lock_file is None or self._lock_file[0] != os.getpid():
            self._lock_file = (os.getpid(), os.open(self.path + ".lock", os.O_RDWR | os.O_CREAT, 0o600))
        return self._lock_file[1]

    @contextlib.contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """Yield this thread's connection while it alone may write; each statement is a transaction."""
        with self._write_lock:
            fd = self._lock_fd()
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield self._connection()
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def add(self, keys: Sequence[str], amount: int, ttl: int | None) -> list[int]:
        now = self.clock()
        expires = None if ttl is None else now + ttl
        statement = _UPSERT.format(rows=", ".join(["(?, ?, ?)"] * len(keys)))
        parameters = [value for key in keys for value in (key, amount, expires)] + [now, now]
        with self._writing() as connection:
            values = dict(connection.execute(statement, parameters).fetchall())
            if now - self._swept > SWEEP_INTERVAL:
                self._swept = now
                connection.execute("DELETE FROM counter WHERE expires <= ?", (now,))
        return [values[key] for key in keys]

    def get(self, keys: Sequence[str]) -> list[int]:
        if len(keys) == 1:
            row = self._connection().execute(
                "SELECT value FROM counter WHERE key = ? AND (expires IS NULL OR expires > ?)", (keys[0], self.clock())
            ).fetchone()
            return [row[0] if row else 0]
        marks = ", ".join("?" * len(keys))
        found = dict(self._connection().execute(
            f"SELECT key, value FROM counter WHERE key IN ({marks}) AND (expires IS NULL OR expires > ?)",
            (*keys, self.clock()),
        ).fetchall())
        return [found.get(key, 0) for key in keys]

    def delete(self, keys: Sequence[str]) -> None:
        with self._writing() as connection:
            connection.execute(f"DELETE FROM counter WHERE key IN ({', '.join('?' * len(keys))})", list(keys))

    def clear(self, start: str) -> None:
        with self._writing() as connection:
            connection.execute("DELETE FROM counter WHERE substr(key, 1, ?) = ?", (len(start), start))


def redis_client(url: str) -> redis.Redis | None:
    """Return a Redis client for ``url``, or None for the embedded back ends."""
    return redis.Redis.from_url(url, socket_timeout=5, health_check_interval=30) if url else None


def shared_counters(settings, client: redis.Redis | None) -> SharedCounters:
    """Return the site's counters: in Redis when it has a client, else in the ``shared_state.path`` file."""
    if client is not None:
        return RedisCounters(client, settings["redis.prefix"])
    return FileCounters(settings["shared_state.path"])


def includeme(config) -> None:
    settings = config.get_settings()
    client = redis_client(settings["redis.url"])
    config.register_service(client, IRedisClient)
    config.register_service(shared_counters(settings, client), ISharedCounters)
