"""Signed links sent by e-mail (account validation, password reset): their keys and what makes them work once."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from pybossa_core.i18n import _
from pybossa_core.models import User


class BadKey(ValueError):
    """A link's key is expired, tampered with or used up; the message says which, for the visitor."""


EXPIRED = _("This link has expired. Please ask for a new one.")
INVALID = _("This link is not valid. Please check you copied all of it, or ask for a new one.")


class LinkKeys:
    """Encrypted, expiring keys for the links sent by e-mail (Fernet: AES and HMAC-SHA256).

    Each purpose ("account-validation", "password-reset") has its own key
    derived from the site's secret, so a key made for one is refused by the
    others.  The payload is encrypted as well as signed: a registration's key
    carries the password hash, which a mail server should not read.
    """

    def __init__(self, secret: str):
        self.secret = secret.encode("utf-8")

    def _fernet(self, purpose: str) -> Fernet:
        digest = hmac.new(self.secret, f"pybossa link key: {purpose}".encode(), hashlib.sha256).digest()
        return Fernet(base64.urlsafe_b64encode(digest))

    def make(self, purpose: str, payload: Mapping[str, Any], *, at: int | None = None) -> str:
        data = json.dumps(dict(payload), separators=(",", ":")).encode("utf-8")
        fernet = self._fernet(purpose)
        token = fernet.encrypt(data) if at is None else fernet.encrypt_at_time(data, at)
        return token.decode("ascii")

    def load(self, purpose: str, key: str, *, max_age: int) -> dict[str, Any]:
        fernet = self._fernet(purpose)
        try:
            token = key.encode("ascii")
            data = fernet.decrypt(token, ttl=max_age)
        except (InvalidToken, UnicodeEncodeError):
            try:
                fernet.extract_timestamp(key.encode("ascii"))
            except (InvalidToken, UnicodeEncodeError):
                raise BadKey(INVALID) from None
            raise BadKey(EXPIRED) from None
        return json.loads(data)


def account_fingerprint(user: User) -> str:
    """Return a digest of what a mailed key may change: ``user``'s password hash, e-mail and its validation.

    A key holding it works once: using it (a new password, a new or validated address) changes
    the fingerprint, and so does any other change of those in between.
    """
    state = "\0".join((user.passwd_hash or "", user.email_addr.lower(), str(bool(user.valid_email))))
    return hashlib.sha256(state.encode("utf-8")).hexdigest()[:32]
