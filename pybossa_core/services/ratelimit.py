"""Rate limits: at most ``limit`` requests per ``per`` seconds for one key (an IP and an endpoint).

Fixed windows counted in process memory by default, or in Redis when the
site has one, so that every server process shares the same counters.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Protocol

import redis


@dataclass(frozen=True)
class Window:
    """The state of one key's current window after a hit."""

    limit: int
    count: int
    reset: int  # when the window ends, in UTC epoch seconds

    @property
    def remaining(self) -> int:
        return max(self.limit - self.count, 0)

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit


class RateLimiter(Protocol):
    def hit(self, key: str, limit: int, per: int) -> Window:
        """Count one request for ``key`` and return its window."""


def _window_start(per: int, now: float) -> int:
    return int(now // per * per)


class MemoryRateLimiter:
    """Counters in this process: right for one server process (the embedded site, tests)."""

    def __init__(self, clock=time.time):
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def hit(self, key: str, limit: int, per: int) -> Window:
        start = _window_start(per, self._clock())
        with self._lock:
            count = self._counts.get((key, start), 0) + 1
            self._counts[(key, start)] = count
            if len(self._counts) > 100_000:
                # Forget windows that are over so memory stays bounded.
                self._counts = {k: v for k, v in self._counts.items() if k[1] >= start}
        return Window(limit, count, start + per)


class RedisRateLimiter:
    """Counters in Redis, shared by every process of the site."""

    def __init__(self, client: redis.Redis, clock=time.time):
        self._client = client
        self._clock = clock

    def hit(self, key: str, limit: int, per: int) -> Window:
        start = _window_start(per, self._clock())
        name = f"pybossa:ratelimit:{key}:{start}"
        pipeline = self._client.pipeline()
        pipeline.incr(name)
        pipeline.expire(name, per + 1)
        count, _ = pipeline.execute()
        return Window(limit, int(count), start + per)
