"""The declarative base, the naming convention and the column types every model shares."""
from __future__ import annotations

import datetime

import sqlalchemy as sa
from sqlalchemy import JSON, MetaData
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: JSON documents: JSONB on PostgreSQL (indexable, compact), JSON text on SQLite.
JSONDocument = JSON().with_variant(JSONB(), "postgresql")

#: The ranges of SQL INTEGER (PostgreSQL's int4) and BIGINT.
INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)


def integer_bounds(column_type: sa.types.TypeEngine) -> tuple[int, int]:
    """Return the range of an integer column: PostgreSQL refuses a value beyond it even in a comparison."""
    return INT64 if isinstance(column_type, sa.BigInteger) else INT32


def utcnow() -> datetime.datetime:
    """Return the current UTC time without a zone, as PYBOSSA stores it."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    """Base of every model; ``__api_name__`` is the model's name in the REST API."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
