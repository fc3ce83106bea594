"""Alembic migrations: the schema's only source of change."""
from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection, Engine


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """Return an alembic configuration for this package's migrations."""
    config = Config()
    config.set_main_option("script_location", "pybossa_core:migrations")
    config.set_main_option(
        "file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s"
    )
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


#: The PostgreSQL advisory lock ``upgrade`` holds: any number fixed for this purpose.
UPGRADE_LOCK = 0x7079_6273_7361  # "pybsa"


def upgrade(engine: Engine, revision: str = "head",
            on_new_site: Callable[[Connection], None] | None = None) -> None:
    """Create or upgrade the schema of ``engine``'s database to ``revision``.

    ``on_new_site(connection)``, when given, fills a database that had no tables before,
    in the same transaction.  On PostgreSQL the whole holds an advisory lock for its
    transaction: a second process upgrading at the same moment (two servers starting)
    waits, then finds the schema at ``revision`` and the site filled, and has nothing to do.
    SQLite's write lock serialises them already.
    """
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": UPGRADE_LOCK})
        new_site = not sa.inspect(connection).has_table("alembic_version")
        command.upgrade(alembic_config(connection), revision)
        if new_site and on_new_site is not None:
            on_new_site(connection)
