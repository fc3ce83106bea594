"""No secret in a log line: the site's secret, passwords, API keys and plugin credentials.

:func:`protect` collects the secret values of a site's settings (a setting whose last name part
is a secret, password, token or key, the password of any URL, and the same in the
``PYBOSSA_*`` environment, where plugin credentials may live) and makes every log record of
the process show ``***`` in their place, in its message and its traceback. Masking the values
rather than chosen log calls covers every logger: the core's, a plugin's, a library's.
"""
from __future__ import annotations

import logging
import os
import re
import urllib.parse
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "***"
#: The last part of a setting's name (``plugin.twitter.consumer_secret``) that makes it secret.
SECRET_NAME = re.compile(r"(^|[._])(secret|password|passwd|token|key|credentials?)$", re.IGNORECASE)
#: Shorter values are left alone: masking "true" or "secret" would garble every line.
MIN_LENGTH = 8

# The log record factory is one per process, so the values it masks are too: every site
# configured in this process (one, but several in a test run) adds its own.
_secrets: set[str] = set()
_installed = False


def secret_values(settings: Mapping[str, Any], environ: Mapping[str, str]) -> set[str]:
    """The values of ``settings`` and of the ``PYBOSSA_*`` variables of ``environ`` to mask."""
    pairs: list[tuple[str, Any]] = list(settings.items())
    pairs += [(name, value) for name, value in environ.items() if name.startswith("PYBOSSA_")]
    found = set()
    for name, value in pairs:
        if not isinstance(value, str):
            continue
        if SECRET_NAME.search(name):
            found.add(value)
        elif "://" in value:
            password = urllib.parse.urlsplit(value).password
            if password:
                found.update({password, urllib.parse.unquote(password)})
    return {value for value in found if len(value) >= MIN_LENGTH}


def mask(text: str, secrets: Iterable[str] | None = None) -> str:
    """Return ``text`` with each secret value replaced by ``***`` (longest first)."""
    for secret in sorted(_secrets if secrets is None else secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def protect(settings: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> None:
    """Mask the secret values of ``settings`` (and of the environment) in every log record."""
    global _installed
    _secrets.update(secret_values(settings, os.environ if environ is None else environ))
    if _installed:
        return
    make_record = logging.getLogRecordFactory()

    def masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        if _secrets:
            message = record.getMessage()
            masked = mask(message)
            if masked != message:
                record.msg, record.args = masked, None
            if record.exc_info:
                # Formatted once here, masked; handlers use exc_text instead of formatting again.
                record.exc_text = mask(logging.Formatter().formatException(record.exc_info))
        return record

    logging.setLogRecordFactory(masked_record)
    _installed = True
