"""Password hashes (scrypt, from the standard library) and PYBOSSA's password rules."""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re

from pybossa_core.i18n import _

#: scrypt's cost: 16 MiB of memory and ~50 ms per hash on a current CPU.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
PREFIX = "scrypt"

#: Hashed once so that signing in with an unknown e-mail costs as much as a wrong password.
_DUMMY_HASH: str | None = None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=32)


def hash_password(password: str) -> str:
    """Return a salted scrypt hash of ``password``: ``scrypt$n$r$p$salt$hash``."""
    salt = os.urandom(16)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"{PREFIX}${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def check_password(stored: str | None, password: str) -> bool:
    """Tell whether ``password`` matches the ``stored`` hash, in constant time.

    A user without a password (signed up through Twitter, say) never matches, yet the
    check costs the same so the answer's timing does not tell which accounts exist.
    """
    global _DUMMY_HASH
    if not stored or not stored.startswith(PREFIX + "$"):
        if _DUMMY_HASH is None:
            _DUMMY_HASH = hash_password("not a password")
        check_password(_DUMMY_HASH, password)
        return False
    try:
        _, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        actual = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


def password_strength_errors(password: str) -> list[str]:
    """Return what a password lacks under PYBOSSA's strong-password policy (empty when strong),
    one sentence per rule, each translatable on its own."""
    rules = (
        (len(password) >= 8, _("Password must have at least 8 characters.")),
        (re.search(r"[A-Z]", password), _("Password must have an uppercase letter.")),
        (re.search(r"[a-z]", password), _("Password must have a lowercase letter.")),
        (re.search(r"\d", password), _("Password must have a digit.")),
        (re.search(r"[^A-Za-z0-9]", password), _("Password must have a special character.")),
    )
    return [text for ok, text in rules if not ok]
