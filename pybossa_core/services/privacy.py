"""Keeping anonymous volunteers anonymous."""
from __future__ import annotations

import hashlib
import hmac


def anonymize_ip(ip: str, secret: str) -> str:
    """Return a keyed hash standing for ``ip``: stable per site, never the address itself.

    The same visitor maps to the same value (so "one answer per visitor per
    task" still holds) while the stored value cannot be turned back into an
    address without the site's secret.
    """
    digest = hmac.new(secret.encode(), (ip or "").encode(), hashlib.sha256).hexdigest()
    return "anon-" + digest[:24]
