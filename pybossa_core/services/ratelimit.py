"""Rate limits: at most ``limit`` requests per ``per`` seconds for one key (an IP and an endpoint).

Fixed windows counted in the site's shared counters (Redis, or the shared-state file), so
that every server process of the site counts against one limit.

Each hit gets its own number in its window, and a hit numbered beyond the limit is refused, so
no more than ``limit`` hits get through whatever the processes. A process takes its numbers from
the shared counters a lease at a time (one addition of several numbers) while the window is far
from its limit, and hands them out from memory: a shared write every few requests instead of one
per request. Near the limit it takes them one at a time, and past it a lease at a time again.
The numbers of another process's lease not used up yet may turn a client away a few requests
early, at most ``MAX_LEASE - 1`` per other process, never late.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from pybossa_core.services.shared_state import SharedCounters

#: The most numbers a process takes at once.
MAX_LEASE = 8
#: A lease is at most this share of what is left of the window's limit.
LEASE_SHARE = 16
#: Leases kept before those of ended windows are dropped.
MAX_LEASES = 10_000


class Window(NamedTuple):
    """The state of one key's current window after a hit (a tuple: one is made per request)."""

    limit: int
    count: int  # the hit's number in its window
    reset: int  # when the window ends, in UTC epoch seconds

    @property
    def remaining(self) -> int:
        return max(self.limit - self.count, 0)

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit


@dataclass
class _Lease:
    """Numbers ``next`` to ``last`` of a window, taken by this process and not handed out yet."""

    next: int
    last: int
    reset: int


def lease_size(limit: int, taken: int) -> int:
    """How many numbers to take at once when ``taken`` are known to be taken in the window: past
    the limit every number is refused, so a flood of refused requests is counted by leases too."""
    if taken >= limit:
        return MAX_LEASE
    return max(1, min(MAX_LEASE, (limit - taken) // LEASE_SHARE))


class RateLimiter:
    """Counts requests per key in fixed windows of the shared counters: one addition per lease."""

    def __init__(self, counters: SharedCounters, clock: Callable[[], float] = time.time):
        self.counters, self.clock = counters, clock
        self._leases: dict[str, _Lease] = {}
        self._lock = threading.Lock()  # held to hand out a number
        self._leasing = threading.Lock()  # held to take a lease: a thread that waited uses the new one

    def hit(self, key: str, limit: int, per: int) -> Window:
        """Count one request for ``key`` and return its window."""
        start = int(self.clock() // per * per)
        name, reset = f"ratelimit:{key}:{start}", start + per
        window = self._from_lease(name, limit, reset)
        if window is not None:
            return window
        with self._leasing:
            window = self._from_lease(name, limit, reset)
            if window is not None:
                return window
            lease = self._leases.get(name)
            size = lease_size(limit, lease.last if lease is not None else 0)
            (last,) = self.counters.add([name], size, per + 1)
            with self._lock:
                if len(self._leases) >= MAX_LEASES:
                    now = self.clock()
                    self._leases = {held: kept for held, kept in self._leases.items() if kept.reset > now}
                self._leases[name] = _Lease(last - size + 2, last, reset)
        return Window(limit, last - size + 1, reset)

    def _from_lease(self, name: str, limit: int, reset: int) -> Window | None:
        with self._lock:
            lease = self._leases.get(name)
            if lease is None or lease.next > lease.last:
                return None
            lease.next += 1
            return Window(limit, lease.next - 1, reset)
