"""Full-text search in the first-level keys of ``info`` (``info=key::words&fulltextsearch=1``).

Triggers created by migration 0004 keep one row per (object, first-level key
whose value is a string) in ``search_text``:

- PostgreSQL: the value's ``tsvector`` in the search language, under a GIN index;
  matched with ``@@``, ranked with ``ts_rank_cd(vector, query, 4)``, highlighted
  with ``ts_headline``.
- SQLite: the value itself, indexed by the FTS5 table ``search_text_fts``
  (porter stemmer); matched with ``MATCH``, ranked with ``bm25`` (negated, so
  that on both back ends a higher rank is a better match), highlighted with
  ``snippet``.

A stored vector per key lets a query rank its matches without parsing their
text again: re-parsing ``info->>key`` for every candidate row costs about 60 µs
on PostgreSQL, 0.8 s for a word found in 12 000 tasks.

The user's words never reach the query syntax of either back end: each
``&``-separated part becomes one phrase, passed as a bound parameter to
``phraseto_tsquery`` or quoted as an FTS5 string, so stray operators and quotes
are only text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from pybossa_core.db import is_postgresql
from pybossa_core.errors import BadRequest
from pybossa_core.models import Base

#: Limits on one search, so that a query string cannot ask for unbounded work.
MAX_KEYS = 10
MAX_PHRASES = 16
MAX_TEXT_LENGTH = 1000
#: Characters of each value indexed, on both back ends (the rest is not searched).
INDEXED_LENGTH = 100_000
HEADLINE_WORDS = 35
LANGUAGE_NAME = re.compile(r"^[a-z_]+$")

search_text = sa.table(
    "search_text",
    sa.column("id"),
    sa.column("domain"),
    sa.column("object_id"),
    sa.column("key"),
    sa.column("vector"),
)
search_text_fts = sa.table("search_text_fts", sa.column("rowid"))
#: The FTS5 table as a value: the left side of MATCH and the argument of bm25() and snippet().
FTS_TABLE = sa.literal_column("search_text_fts")


@dataclass(frozen=True)
class Term:
    """Words wanted in one first-level key: every phrase must occur in its value."""

    key: str
    phrases: tuple[str, ...]


@dataclass(frozen=True)
class FullTextQuery:
    """A parsed ``info`` value: every term must match; the first one ranks and highlights."""

    terms: tuple[Term, ...]


@dataclass(frozen=True)
class Hit:
    """What a search adds to each object it finds."""

    headline: str
    rank: float


def parse_query(value: str) -> FullTextQuery:
    """Return the search asked for by ``info=key1::word1&word2|key2::word3`` (``&`` sent as ``%26``).

    Each ``&``-separated part is one phrase; parts without a letter or digit are
    dropped.  Raises :class:`BadRequest` for a pair without ``::``, a key without
    words, NUL characters or a search larger than the limits.
    """
    if "\x00" in value:
        raise BadRequest("info may not contain NUL characters")
    pairs = [pair for pair in value.split("|") if pair]
    if len(pairs) > MAX_KEYS:
        raise BadRequest(f"full-text search takes at most {MAX_KEYS} keys")
    terms = []
    for pair in pairs:
        key, separator, text = pair.partition("::")
        if not separator or not key:
            raise BadRequest(f"info filter {pair!r} is not of the form key::words")
        if len(text) > MAX_TEXT_LENGTH:
            raise BadRequest(f"full-text search for {key!r} is longer than {MAX_TEXT_LENGTH} characters")
        phrases = tuple(part.strip() for part in text.split("&") if any(char.isalnum() for char in part))
        if not phrases:
            raise BadRequest(f"full-text search for {key!r} has no word to look for")
        if len(phrases) > MAX_PHRASES:
            raise BadRequest(f"full-text search for {key!r} takes at most {MAX_PHRASES} words joined by &")
        terms.append(Term(key, phrases))
    if not terms:
        raise BadRequest("full-text search needs info=key::words")
    return FullTextQuery(tuple(terms))


def regconfig(language: str) -> sa.ColumnElement:
    """Return ``language`` as a PostgreSQL text search configuration literal.

    A literal, not a parameter: the planner must see a constant to fold
    ``phraseto_tsquery`` before choosing the GIN index.  The name is checked
    here (the setting is checked at startup too), so it cannot carry SQL.
    """
    if not LANGUAGE_NAME.match(language):
        raise ValueError(f"{language!r} is not a text search configuration name")
    return sa.literal_column(f"'{language}'::regconfig")


def _tsquery(term: Term, language: str) -> sa.ColumnElement:
    phrases = [sa.func.phraseto_tsquery(regconfig(language), sa.literal(phrase)) for phrase in term.phrases]
    query = phrases[0]
    for phrase in phrases[1:]:
        query = query.op("&&")(phrase)
    return query


def _fts_query(term: Term) -> str:
    """Return an FTS5 query: every phrase as a quoted string, all of them required."""
    return " AND ".join('"' + phrase.replace('"', '""') + '"' for phrase in term.phrases)


def _postgresql_matches(domain: str, term: Term, language: str) -> sa.Select:
    """Select (id, rank) of the objects whose ``term.key`` has every phrase of ``term``."""
    query = _tsquery(term, language)
    return sa.select(
        search_text.c.object_id.label("id"),
        sa.func.ts_rank_cd(search_text.c.vector, query, 4).label("rank"),
    ).where(search_text.c.domain == domain, search_text.c.key == term.key, search_text.c.vector.op("@@")(query))


def _sqlite_matches(domain: str, term: Term) -> sa.Select:
    """Select (id, rank) of the objects whose ``term.key`` has every phrase of ``term``."""
    return (
        sa.select(search_text.c.object_id.label("id"), (-sa.func.bm25(FTS_TABLE)).label("rank"))
        .select_from(search_text_fts.join(search_text, search_text.c.id == search_text_fts.c.rowid))
        .where(
            FTS_TABLE.op("MATCH")(sa.literal(_fts_query(term))),
            search_text.c.domain == domain,
            search_text.c.key == term.key,
        )
    )


def ranked_matches(session: Session, model: type, query: FullTextQuery, language: str) -> sa.Subquery:
    """Return a subquery of (id, rank) of the ``model`` objects matching every term of ``query``.

    The rank is the first term's; higher is better.  Join it to the listing and
    order by ``rank`` descending.
    """
    domain = model.__tablename__
    postgresql = is_postgresql(session)

    def matches(term: Term) -> sa.Select:
        return _postgresql_matches(domain, term, language) if postgresql else _sqlite_matches(domain, term)

    first, *others = query.terms
    ranked = matches(first)
    for term in others:
        found = matches(term).with_only_columns(search_text.c.object_id).correlate(None)
        ranked = ranked.where(search_text.c.object_id.in_(found))
    return ranked.subquery("search_matches")


def searchable_tables() -> list[str]:
    """Return the tables whose ``info`` is searched: every model's table with an ``info`` column."""
    return sorted(table.name for table in Base.metadata.tables.values() if "info" in table.c)


def hits(session: Session, model: type, query: FullTextQuery, rows: list[Any], language: str) -> list[tuple[Any, Hit]]:
    """Pair each (object, rank) row of a ranked listing with its :class:`Hit`.

    The headline is the first term's key with the matched words in ``<b></b>``;
    it is computed for this page's objects only.
    """
    ids = [obj.id for obj, _ in rows]
    if not ids:
        return []
    term = query.terms[0]
    if is_postgresql(session):
        text = sa.func.left(sa.type_coerce(model.info, JSONB)[term.key].astext, INDEXED_LENGTH)
        headline = sa.func.ts_headline(regconfig(language), text, _tsquery(term, language), "StartSel=<b>, StopSel=</b>")
        headlines = dict(session.execute(sa.select(model.id, headline).where(model.id.in_(ids))).all())
    else:
        # Two steps, so that FTS5 looks these rows up by rowid: left to choose, SQLite's
        # planner sometimes matches the whole index and joins afterwards.
        entries = dict(
            session.execute(
                sa.select(search_text.c.id, search_text.c.object_id).where(
                    search_text.c.domain == model.__tablename__,
                    search_text.c.key == term.key,
                    search_text.c.object_id.in_(ids),
                )
            ).all()
        )
        snippets = session.execute(
            sa.select(search_text_fts.c.rowid, sa.func.snippet(FTS_TABLE, 0, "<b>", "</b>", "", HEADLINE_WORDS)).where(
                search_text_fts.c.rowid.in_(list(entries)), FTS_TABLE.op("MATCH")(sa.literal(_fts_query(term)))
            )
        )
        headlines = {entries[entry_id]: snippet for entry_id, snippet in snippets}
    return [(obj, Hit(headlines.get(obj.id, ""), float(rank))) for obj, rank in rows]


def reindex(connection: sa.Connection, language: str) -> None:
    """Rebuild PostgreSQL's search vectors in ``language``: run it after changing ``fulltextsearch.language``.

    The triggers index new and changed values in ``pybossa_search_language()``,
    which this redefines.  SQLite's FTS5 index has one stemmer (English) and
    needs no reindex.
    """
    if connection.dialect.name != "postgresql":
        return
    config = regconfig(language)
    connection.execute(
        sa.text(
            "CREATE OR REPLACE FUNCTION pybossa_search_language() RETURNS regconfig "
            f"LANGUAGE sql IMMUTABLE AS $$ SELECT {config} $$"
        )
    )
    for table in searchable_tables():
        connection.execute(
            sa.text(
                f"UPDATE search_text SET vector = to_tsvector({config}, left(t.info ->> search_text.key, :length)) "
                f'FROM "{table}" AS t WHERE search_text.domain = :domain AND t.id = search_text.object_id'
            ),
            {"domain": table, "length": INDEXED_LENGTH},
        )
