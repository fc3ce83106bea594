"""Rate limits: at most ``limit`` requests per ``per`` seconds for one key (an IP and an endpoint).

Fixed windows counted in the site's shared counters (Redis, or the shared-state file), so
that every server process of the site counts against one limit.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from pybossa_core.services.shared_state import SharedCounters


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


class RateLimiter:
    """Counts requests per key in fixed windows of the shared counters: one round trip a hit."""

    def __init__(self, counters: SharedCounters, clock: Callable[[], float] = time.time):
        self.counters, self.clock = counters, clock

    def hit(self, key: str, limit: int, per: int) -> Window:
        """Count one request for ``key`` and return its window."""
        start = int(self.clock() // per * per)
        (count,) = self.counters.add([f"ratelimit:{key}:{start}"], 1, per + 1)
        return Window(limit, count, start + per)
