"""Slowing down password guessing: failed sign-ins counted per client address.

:class:`SigninThrottle` is the interface; :class:`InProcessThrottle` keeps the
counts in this process (the embedded default).  A Redis implementation can
take its place for sites running several processes.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol


class SigninThrottle(Protocol):
    def blocked(self, client: str) -> bool:
        """Tell whether ``client`` has failed too often lately to try again now."""

    def failed(self, client: str) -> None:
        """Count one failed sign-in of ``client``."""

    def succeeded(self, client: str) -> None:
        """Forget ``client``'s failures."""


class InProcessThrottle:
    """At most ``max_failures`` failed sign-ins per client in any ``window`` seconds."""

    def __init__(self, max_failures: int, window: float, clock: Callable[[], float] = time.monotonic):
        self.max_failures = max_failures
        self.window = window
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, client: str) -> deque[float]:
        failures = self._failures.setdefault(client, deque())
        horizon = self.clock() - self.window
        while failures and failures[0] <= horizon:
            failures.popleft()
        return failures

    def blocked(self, client: str) -> bool:
        with self._lock:
            blocked = len(self._recent(client)) >= self.max_failures
            if not self._failures.get(client):
                self._failures.pop(client, None)
            return blocked

    def failed(self, client: str) -> None:
        with self._lock:
            self._recent(client).append(self.clock())

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)

    def clear(self) -> None:
        """Forget every client (tests start from a clean slate)."""
        with self._lock:
            self._failures.clear()


def includeme(config) -> None:
    settings = config.get_settings()
    config.registry["signin_throttle"] = InProcessThrottle(settings["signin.max_failures"], settings["signin.window"])
