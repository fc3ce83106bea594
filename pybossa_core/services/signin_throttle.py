"""Slowing down password guessing without locking people out.

Attempts are counted in fixed windows of ``signin.window`` seconds in the site's shared
counters (Redis, or the shared-state file), so every server process counts against one
limit, and a restart forgets nothing.  Three counters per attempt, each with its limit:

- the account and the address together (``signin.max_failures``): one guesser is stopped
  on the account they guess, while the people behind the same address (a school's or an
  office's NAT) still sign in to theirs;
- the address alone (``signin.max_failures_per_address``, looser): one address trying
  many accounts;
- the account alone (``signin.max_failures_per_account``, looser): many addresses trying
  one account.

An attempt is counted before the password is checked, so racing requests cannot slip past
a limit.  A refused attempt is taken back (it checked no password), and so is one with the
right password: that clears the pair's count and lowers the others by one, so a success
never resets anyone else's failures.  Password-reset requests are counted the same way
(each one mails someone) and are never taken back.  Accounts and addresses are kept as
digests, never in clear.
"""
from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable

from pybossa_core.interfaces import ISharedCounters, ISigninThrottle, find_service
from pybossa_core.services.shared_state import SharedCounters


def _digest(value: str) -> str:
    return hashlib.blake2b(value.encode(), digest_size=12).hexdigest()


class Throttle:
    """Attempts of one kind (``signin``, ``reset``) per account and address in the shared counters."""

    def __init__(
        self, counters: SharedCounters, kind: str, *, window: int, per_pair: int, per_address: int,
        per_account: int, clock: Callable[[], float] = time.time,
    ):
        self.counters, self.kind, self.window, self.clock = counters, kind, window, clock
        self.limits = (per_pair, per_address, per_account)

    def _keys(self, account: str, address: str, start: int) -> list[str]:
        account, address = _digest(account.strip().lower()), _digest(address)
        return [
            f"{self.kind}:pair:{account}:{address}:{start}",
            f"{self.kind}:address:{address}:{start}",
            f"{self.kind}:account:{account}:{start}",
        ]

    def _start(self) -> int:
        return int(self.clock() // self.window * self.window)

    def attempt(self, account: str, address: str) -> int:
        """Count an attempt on ``account`` from ``address``; return 0 if it may go on, else the
        seconds until it may be tried again."""
        start = self._start()
        keys = self._keys(account, address, start)
        counts = self.counters.add(keys, 1, self.window + 1)
        if all(count <= limit for count, limit in zip(counts, self.limits)):
            return 0
        # A refused attempt checks no password: it must not count towards the other limits.
        self.counters.add(keys, -1, self.window + 1)
        return max(1, math.ceil(start + self.window - self.clock()))

    def succeeded(self, account: str, address: str) -> None:
        """Take back the attempt of a correct password: the pair starts again, the others forget it."""
        pair, *others = self._keys(account, address, self._start())
        self.counters.delete([pair])
        self.counters.add(others, -1, self.window + 1)

    def clear(self) -> None:
        """Forget every attempt of this kind (tests start from a clean slate)."""
        self.counters.clear(f"{self.kind}:")


def throttle_for(settings, counters: SharedCounters, kind: str) -> Throttle:
    """Return the throttle of ``kind`` with the site's ``signin.*`` limits."""
    return Throttle(
        counters, kind, window=settings["signin.window"], per_pair=settings["signin.max_failures"],
        per_address=settings["signin.max_failures_per_address"],
        per_account=settings["signin.max_failures_per_account"],
    )


def includeme(config) -> None:
    settings, counters = config.get_settings(), find_service(config.registry, ISharedCounters)
    for kind in ("signin", "reset"):
        config.register_service(throttle_for(settings, counters, kind), ISigninThrottle, name=kind)
