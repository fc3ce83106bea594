"""Password hashes, signed link keys and the sign-in throttle."""
from __future__ import annotations

import time

import pytest

from pybossa_core.services.link_keys import EXPIRED, INVALID, BadKey, LinkKeys
from pybossa_core.services.passwords import check_password, hash_password, password_strength_errors
from pybossa_core.services.shared_state import FileCounters
from pybossa_core.services.signin_throttle import Throttle


def test_password_hashes_are_salted_scrypt_and_checked():
    first, second = hash_password("correct horse"), hash_password("correct horse")
    assert first.startswith("scrypt$16384$8$1$") and first != second
    assert check_password(first, "correct horse") and not check_password(first, "wrong")
    assert not check_password(None, "anything") and not check_password("plain-text", "plain-text")


def test_strong_password_rules():
    assert password_strength_errors("Str0ng-pass") == []
    assert password_strength_errors("weak") == [
        "Password must have at least 8 characters.", "Password must have an uppercase letter.",
        "Password must have a digit.", "Password must have a special character.",
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


@pytest.fixture
def clock():
    return [1000.0]


@pytest.fixture
def throttle(tmp_path, clock):
    counters = FileCounters(str(tmp_path / "state.sqlite"), clock=lambda: clock[0])
    return Throttle(counters, "signin", window=60, per_pair=2, per_address=5, per_account=4, clock=lambda: clock[0])


def test_throttle_stops_the_pair_until_its_window_ends(throttle, clock):
    assert [throttle.attempt("a@x", "10.0.0.1") for _ in range(2)] == [0, 0]
    assert throttle.attempt("A@x ", "10.0.0.1") == 20
    # The same account from elsewhere, and another account from the same address, go on.
    assert throttle.attempt("a@x", "10.0.0.2") == 0
    assert throttle.attempt("b@x", "10.0.0.1") == 0
    clock[0] += 20
    assert throttle.attempt("a@x", "10.0.0.1") == 0


def test_a_success_forgets_only_its_own_pair(throttle):
    throttle.attempt("victim@x", "10.0.0.1")
    for _ in range(3):
        throttle.attempt("mine@x", "10.0.0.1")
        throttle.succeeded("mine@x", "10.0.0.1")
    assert throttle.attempt("victim@x", "10.0.0.1") == 0
    assert throttle.attempt("victim@x", "10.0.0.1") > 0


def test_looser_limits_per_address_and_per_account(throttle):
    assert [throttle.attempt(f"{n}@x", "10.0.0.1") for n in range(6)] == [0] * 5 + [20]
    # Refused attempts are taken back: they do not use up the account's own limit.
    assert [throttle.attempt("many@x", f"10.0.1.{n}") for n in range(5)] == [0] * 4 + [20]
