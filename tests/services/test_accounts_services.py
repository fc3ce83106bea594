"""Password hashes, signed link keys and the failed sign-in counter."""
from __future__ import annotations

import time

import pytest

from pybossa_core.services.accounts import EXPIRED, INVALID, BadKey, LinkKeys
from pybossa_core.services.passwords import check_password, hash_password, password_strength_errors
from pybossa_core.services.signin_throttle import InProcessThrottle


def test_password_hashes_are_salted_scrypt_and_checked():
    first, second = hash_password("correct horse"), hash_password("correct horse")
    assert first.startswith("scrypt$16384$8$1$") and first != second
    assert check_password(first, "correct horse") and not check_password(first, "wrong")
    assert not check_password(None, "anything") and not check_password("plain-text", "plain-text")


def test_strong_password_rules():
    assert password_strength_errors("Str0ng-pass") == []
    assert password_strength_errors("weak") == [
        "Password must have at least 8 characters, an uppercase letter, a digit, a special character."
    ]


def test_link_keys_expire_and_are_bound_to_their_purpose():
    keys = LinkKeys("s" * 20)
    key = keys.make("password-reset", {"user_id": 1})
    assert keys.load("password-reset", key, max_age=60) == {"user_id": 1}
    old = keys.make("password-reset", {"user_id": 1}, at=int(time.time()) - 120)
    with pytest.raises(BadKey, match=EXPIRED):
        keys.load("password-reset", old, max_age=60)
    for bad in (keys.make("account-validation", {"user_id": 1}), key[:-3] + "xyz", "nonsense", "ünïcode"):
        with pytest.raises(BadKey, match=INVALID.split(".")[0]):
            keys.load("password-reset", bad, max_age=60)
    with pytest.raises(BadKey):
        LinkKeys("t" * 20).load("password-reset", key, max_age=60)


def test_throttle_counts_failures_per_client_within_the_window():
    now = [1000.0]
    throttle = InProcessThrottle(max_failures=2, window=60, clock=lambda: now[0])
    throttle.failed("a")
    assert not throttle.blocked("a")
    throttle.failed("a")
    assert throttle.blocked("a") and not throttle.blocked("b")
    now[0] += 61
    assert not throttle.blocked("a")
    throttle.failed("a"), throttle.failed("a")
    throttle.succeeded("a")
    assert not throttle.blocked("a")
