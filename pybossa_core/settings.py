"""Site settings: defaults, ``PYBOSSA_*`` environment overrides and validation.

Every setting has one name in the ini file (``database.url``) and one
environment variable (``PYBOSSA_DATABASE_URL``): the name upper-cased with dots
turned into underscores.  Environment variables win over the ini file so a
deployer can change a site without editing it.  A setting nobody knows, or one
whose value does not parse, stops startup with a message naming it.
"""
from __future__ import annotations

import os
import urllib.parse
from collections.abc import Mapping
from typing import Any

import colander
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

#: Setting prefixes owned by Pyramid and the libraries it includes; passed through untouched.
PASSTHROUGH_PREFIXES = ("pyramid.", "tm.", "retry.", "jinja2.", "plugin.")

#: Environment variables that start with PYBOSSA_ but are not site settings.
NON_SETTING_VARIABLES = frozenset(
    {"PYBOSSA_TEST_DATABASE_URL", "PYBOSSA_TEST_REDIS_URL", "PYBOSSA_TRACE_PLUGINS", "PYBOSSA_CONFIG"}
)


class SettingsError(Exception):
    """A setting is unknown or malformed; the message names it."""


#: Secrets anybody can read in the repository: a site keyed by one has forgeable sessions and links.
PUBLIC_SECRETS = frozenset({"development-secret-change-me"})
SECRET_MIN_LENGTH = 32
HOW_TO_SET_A_SECRET = (
    "set PYBOSSA_SECRET to a random value of at least 32 characters, e.g. "
    "export PYBOSSA_SECRET=\"$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')\""
)


def _secret_validator(node, value):
    if len(value) < SECRET_MIN_LENGTH or value in PUBLIC_SECRETS:
        raise colander.Invalid(node, f"too short or a published value: {HOW_TO_SET_A_SECRET}")


def _site_url_validator(node, value):
    parts = urllib.parse.urlsplit(value)
    if value and (parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment):
        raise colander.Invalid(node, f"{value!r} is not an http:// or https:// URL")


class Words(colander.SchemaType):
    """A list of words written space- or comma-separated in the ini file."""

    def deserialize(self, node, cstruct):
        if cstruct is colander.null:
            return colander.null
        if isinstance(cstruct, (list, tuple)):
            return [str(word) for word in cstruct]
        if not isinstance(cstruct, str):
            raise colander.Invalid(node, f"{cstruct!r} is not a list of words")
        return cstruct.replace(",", " ").split()


class Pairs(colander.SchemaType):
    """Names with a whole number of seconds each, written ``name=seconds`` space- or comma-separated."""

    def deserialize(self, node, cstruct):
        if cstruct is colander.null:
            return colander.null
        if isinstance(cstruct, Mapping):
            return dict(cstruct)
        pairs = {}
        for word in Words().deserialize(node, cstruct):
            name, _, number = word.partition("=")
            if not name or not number.isdigit() or int(number) < 1:
                raise colander.Invalid(node, f"{word!r} is not name=seconds")
            pairs[name] = int(number)
        return pairs


class Flag(colander.Boolean):
    """A yes/no setting: true, yes, on or 1; false, no, off, 0 or empty."""

    def __init__(self):
        super().__init__(false_choices=("false", "no", "off", "0", ""), true_choices=("true", "yes", "on", "1"))


def database_url(node, value: str) -> None:
    """Accept a SQLAlchemy URL of SQLite or PostgreSQL, the two databases the site runs on."""
    try:
        backend = make_url(value).get_backend_name()
    except (ArgumentError, ValueError):
        raise colander.Invalid(node, f"{value!r} is not a database URL (sqlite:///path or postgresql://user@host/name)") from None
    if backend not in ("sqlite", "postgresql"):
        raise colander.Invalid(node, f"{backend} is not supported: use sqlite:///path or postgresql://user@host/name")


def _setting(type_, name, default, validator=None):
    return colander.SchemaNode(type_, name=name, missing=default, validator=validator)


def settings_schema() -> colander.SchemaNode:
    """Return the schema every setting of the core is validated against."""
    schema = colander.SchemaNode(colander.Mapping(unknown="raise"))
    for node in (
        _setting(colander.String(), "database.url", "sqlite:///var/pybossa.sqlite", database_url),
        # Seconds one statement of a request may run (0: no limit); jobs and commands have none.
        _setting(colander.Float(), "database.statement_timeout", 5.0, colander.Range(0, 3600)),
        _setting(colander.String(allow_empty=True), "redis.url", ""),
        # Every key the site writes to Redis starts with it: sites sharing one Redis need different ones.
        _setting(colander.String(), "redis.prefix", "pybossa", colander.Regex(r"^[\w.-]+$")),
        # Without Redis: the file the server processes share rate limits, the sign-in throttle and
        # the cache's invalidations in.
        _setting(colander.String(), "shared_state.path", "var/shared_state.sqlite"),
        _setting(colander.String(), "host", "127.0.0.1"),
        _setting(colander.Int(), "port", 5000, colander.Range(1, 65535)),
        # Server processes of `pybossa serve` (docs/settings.md: about one per core).
        _setting(colander.Int(), "workers", 1, colander.Range(1, 64)),
        _setting(colander.String(), "secret", colander.required, _secret_validator),
        # The site's public address, the base of every absolute link (mail, API); without it, links
        # are built from the request's Host, which must then be one of site.allowed_hosts.
        _setting(colander.String(allow_empty=True), "site.url", "", _site_url_validator),
        _setting(Words(), "site.allowed_hosts", []),
        _setting(colander.Int(), "api.default_limit", 20, colander.Range(1, 1000)),
        _setting(colander.Int(), "api.max_limit", 100, colander.Range(1, 1000)),
        _setting(colander.Int(), "api.max_body_size", 10 * 1024 * 1024, colander.Range(1024)),
        _setting(colander.String(), "uploads.dir", "var/uploads"),
        _setting(colander.Int(), "uploads.max_size", 10 * 1024 * 1024, colander.Range(1)),
        # SVG can hold scripts: not allowed unless a deployer adds it (then served as an attachment).
        _setting(
            Words(),
            "uploads.allowed_extensions",
            "png jpg jpeg gif webp pdf mp3 mp4 ogg oga ogv wav webm csv json txt".split(),
        ),
        # Where the stored files' links point: this site's /uploads/, or another origin serving uploads.dir.
        _setting(colander.String(), "uploads.base_url", "/uploads/", colander.Regex(r"^(/(?!/)|https?://[^/\s]+/?)\S*$")),
        # Plugins (docs/plugins.md): the ones left out, the ones that win a name two plugins claim,
        # and whether a failed plugin stops startup.
        _setting(Words(), "plugins.disabled", []),
        _setting(Words(), "plugins.prefer", []),
        _setting(Flag(), "plugins.strict", False),
        # Cached site totals and leaderboard (docs/settings.md): seconds a value lives.
        _setting(colander.Int(), "cache.expiration", 300, colander.Range(1)),
        _setting(colander.Int(), "cache.max_lag", 0, colander.Range(0)),
        # Built exports, kept per project data generation (empty: a folder of the system's temporary one).
        _setting(colander.String(allow_empty=True), "exports.dir", ""),
        _setting(colander.Int(), "exports.max_running", 2, colander.Range(1, 64)),
        # Background jobs: the RQ queue (with redis.url), how often and how far apart a failed job is retried.
        _setting(colander.String(), "jobs.queue", "pybossa", colander.Regex(r"^[\w.-]+$")),
        _setting(colander.Int(), "jobs.retries", 3, colander.Range(0, 10)),
        _setting(colander.Int(), "jobs.retry_interval", 60, colander.Range(0)),
        # Seconds a job may run, per kind (kind=seconds ...) or else; seconds without a heartbeat
        # after which a job's worker is taken for dead and the job is retried (docs/settings.md).
        _setting(colander.Int(), "jobs.timeout", 180, colander.Range(1)),
        _setting(Pairs(), "jobs.timeouts", {"dashboard": 1800}),
        _setting(colander.Int(), "jobs.abandoned_after", 30, colander.Range(3, 3600)),
        # What importers fetch (docs/settings.md, pybossa_core/outbound.py): hosts inside private
        # networks they may reach, seconds per request, largest answer, redirects followed; and the
        # seconds all the downloads of one import may take together; imports one user may run at once.
        _setting(Words(), "outbound.allowed_internal_hosts", []),
        _setting(colander.Float(), "outbound.timeout", 10.0, colander.Range(0.1, 300)),
        _setting(colander.Int(), "outbound.max_size", 20 * 1024 * 1024, colander.Range(1024)),
        _setting(colander.Int(), "outbound.max_redirects", 5, colander.Range(0, 20)),
        _setting(colander.Float(), "imports.timeout", 60.0, colander.Range(1, 3600)),
        _setting(colander.Int(), "imports.max_per_user", 2, colander.Range(1, 100)),
        # Project webhooks (docs/webhooks.md): hosts they may call (none listed: any host, or any
        # public one when private networks are blocked), seconds to wait for the receiver, further
        # attempts and the seconds before the first of them.
        _setting(Words(), "webhooks.allowed_hosts", []),
        _setting(Flag(), "webhooks.block_private_networks", True),
        _setting(colander.Float(), "webhooks.timeout", 10.0, colander.Range(0.1, 300)),
        _setting(colander.Int(), "webhooks.retries", 2, colander.Range(0, 10)),
        _setting(colander.Float(), "webhooks.retry_backoff", 1.0, colander.Range(0, 600)),
        # PostgreSQL text search configuration of fulltextsearch=1 (docs/search.md: changing it needs a reindex).
        _setting(colander.String(), "fulltextsearch.language", "english", colander.Regex(r"^[a-z_]+$")),
        # Rate limits of /api, per client IP and endpoint (PYBOSSA: 300 per 15 minutes).
        _setting(Flag(), "ratelimit.enabled", True),
        _setting(colander.Int(), "ratelimit.limit", 300, colander.Range(1)),
        _setting(colander.Int(), "ratelimit.per", 15 * 60, colander.Range(1)),
        # The web views that send mail or cost much (sign-up, password recovery, exports...), per view.
        _setting(colander.Int(), "ratelimit.views_limit", 30, colander.Range(1)),
        _setting(colander.Int(), "ratelimit.views_per", 15 * 60, colander.Range(1)),
        # Proxies whose X-Forwarded-For is believed; origins allowed to call /api from browsers.
        _setting(Words(), "proxies.trusted", []),
        _setting(Words(), "cors.origins", ["*"]),
        # Accounts, sessions and e-mail (docs/accounts.md).
        _setting(colander.String(), "site.brand", "PYBOSSA"),
        _setting(Flag(), "account.confirmation_required", False),
        _setting(colander.Int(), "account.link_expiration", 3600, colander.Range(60)),
        _setting(Flag(), "account.strong_password", False),
        # How long a protected project stays unlocked for a visitor who gave its password.
        _setting(colander.Int(), "project.password_cookie_timeout", 1800, colander.Range(60)),
        _setting(Words(), "account.locales", "en es fr de it pt ja el".split()),
        # The language of a visitor who asks for none of account.locales (docs/i18n.md).
        _setting(colander.String(), "locale.default", "en"),
        _setting(colander.Int(), "session.max_age", 30 * 24 * 3600, colander.Range(60)),
        _setting(Flag(), "session.secure_cookie", False),
        # Failed sign-ins (and password-reset requests) per window: per account and address, per
        # address, per account (docs/accounts.md).
        _setting(colander.Int(), "signin.max_failures", 10, colander.Range(1)),
        _setting(colander.Int(), "signin.max_failures_per_address", 100, colander.Range(1)),
        _setting(colander.Int(), "signin.max_failures_per_account", 100, colander.Range(1)),
        _setting(colander.Int(), "signin.window", 15 * 60, colander.Range(1)),
        _setting(colander.String(), "mail.delivery", "file", colander.OneOf(["file", "smtp"])),
        _setting(colander.String(), "mail.dir", "var/mail"),
        _setting(colander.String(), "mail.host", "localhost"),
        _setting(colander.Int(), "mail.port", 25, colander.Range(1, 65535)),
        _setting(colander.String(allow_empty=True), "mail.username", ""),
        _setting(colander.String(allow_empty=True), "mail.password", ""),
        _setting(Flag(), "mail.tls", False),
        _setting(Flag(), "mail.ssl", False),
        _setting(colander.String(), "mail.default_sender", "PYBOSSA <noreply@localhost>"),
        _setting(colander.String(allow_empty=True), "disqus.public_key", ""),
        _setting(colander.String(allow_empty=True), "disqus.secret_key", ""),
        _setting(colander.String(allow_empty=True), "vmcp.key", ""),
        # A theme: folders whose templates and static files override the core's (docs/browser.md).
        _setting(colander.String(allow_empty=True), "theme.templates", ""),
        _setting(colander.String(allow_empty=True), "theme.static", ""),
        _setting(colander.String(allow_empty=True), "theme.translations", ""),
    ):
        schema.add(node)
    return schema


def environment_variable(name: str) -> str:
    """Return the environment variable that overrides setting ``name``."""
    return "PYBOSSA_" + name.upper().replace(".", "_")


def load_settings(raw: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Merge ``raw`` (the ini's ``[app:main]``) with the environment and validate it.

    Returns the settings dict Pyramid gets: validated core settings plus the
    pass-through ones.  Raises :class:`SettingsError` naming the first bad key.
    """
    environ = os.environ if environ is None else environ
    schema = settings_schema()
    known = {node.name: environment_variable(node.name) for node in schema.children}
    # A library setting written in the ini file (pyramid.reload_templates) may be overridden too.
    passthrough_variables = {environment_variable(key) for key in raw if key.startswith(PASSTHROUGH_PREFIXES)}
    unknown_variables = sorted(
        variable
        for variable in environ
        if variable.startswith("PYBOSSA_")
        and variable not in known.values()
        and variable not in passthrough_variables
        and variable not in NON_SETTING_VARIABLES
        and not variable.startswith("PYBOSSA_PLUGIN_")
    )
    if unknown_variables:
        raise SettingsError(f"unknown setting in the environment: {unknown_variables[0]}")

    core, passthrough = {}, {}
    for key, value in raw.items():
        if key in known:
            core[key] = value
        elif key.startswith(PASSTHROUGH_PREFIXES):
            passthrough[key] = environ.get(environment_variable(key), value)
        else:
            raise SettingsError(f"unknown setting: {key!r}")
    for key, variable in known.items():
        if variable in environ:
            core[key] = environ[variable]
    try:
        validated = schema.deserialize(core)
    except colander.Invalid as error:
        key, message = next(iter(error.asdict().items()))
        if key == "secret" and message == "Required":
            message = f"Required: {HOW_TO_SET_A_SECRET}"
        raise SettingsError(f"setting {key!r}: {message}") from None
    return {**passthrough, **validated}
