"""Alembic migrations: the schema's only source of change."""
from __future__ import annotations

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


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the schema of ``engine``'s database to ``revision``."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)
