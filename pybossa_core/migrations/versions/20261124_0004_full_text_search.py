"""full-text search: search_text, kept up to date by triggers on every table with info

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 21:00:00.000000

``search_text`` holds one row per object and first-level ``info`` key whose
value is a string (its first 100 000 characters), written by triggers on each
table below, so every way of writing (the API, imports, cascaded deletes, raw
SQL) keeps it true.  See pybossa_core/services/search.py.

- PostgreSQL: (domain, object_id, key, vector) with a GIN index on the vector,
  computed in ``pybossa_search_language()`` (english; ``services.search.reindex``
  changes it).
- SQLite: (id, domain, object_id, key, value) plus the FTS5 index
  ``search_text_fts`` over ``value`` (external content, porter stemmer).

SQLite drops a table's triggers with the table: a later migration that
rebuilds one of these tables with ``batch_alter_table`` must create its
triggers again (tests/services/test_search.py checks they exist).
"""
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

#: Every table with an ``info`` column; the domain stored in search_text is the table's name.
TABLES = (
    "announcement", "blogpost", "category", "helpingmaterial", "page",
    "project", "result", "task", "task_run", "user",
)
INDEXED_LENGTH = 100000

POSTGRESQL_REFRESH = f"""
CREATE FUNCTION search_text_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM search_text WHERE domain = TG_TABLE_NAME::text AND object_id = OLD.id;
    END IF;
    IF TG_OP <> 'DELETE' AND jsonb_typeof(NEW.info) = 'object' THEN
        INSERT INTO search_text (domain, object_id, key, vector)
        SELECT TG_TABLE_NAME::text, NEW.id, entry.key,
               to_tsvector(pybossa_search_language(), left(entry.value #>> '{{}}', {INDEXED_LENGTH}))
        FROM jsonb_each(NEW.info) AS entry
        WHERE jsonb_typeof(entry.value) = 'string';
    END IF;
    RETURN NULL;
END
$$
"""


def _sqlite_rows(table: str, row: str, joined: str = "") -> str:
    """Return the INSERT of the search rows of ``row``: ``new`` in a trigger, or a row of ``joined``."""
    return (
        f"INSERT INTO search_text (domain, object_id, key, value) "
        f"SELECT '{table}', {row}.id, entry.key, substr(entry.value, 1, {INDEXED_LENGTH}) "
        f"FROM {joined}json_each({row}.info) AS entry "
        f"WHERE json_type({row}.info) = 'object' AND entry.type = 'text'"
    )


def _upgrade_postgresql() -> None:
    op.execute("CREATE FUNCTION pybossa_search_language() RETURNS regconfig LANGUAGE sql IMMUTABLE AS $$ SELECT 'english'::regconfig $$")
    op.execute(
        "CREATE TABLE search_text (domain text NOT NULL, object_id integer NOT NULL, "
        "key text NOT NULL, vector tsvector NOT NULL)"
    )
    op.execute(POSTGRESQL_REFRESH)
    for table in TABLES:
        op.execute(
            f"INSERT INTO search_text (domain, object_id, key, vector) "
            f"SELECT '{table}', t.id, entry.key, "
            f"to_tsvector(pybossa_search_language(), left(entry.value #>> '{{}}', {INDEXED_LENGTH})) "
            f'FROM "{table}" AS t CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(t.info) = \'object\' '
            f"THEN t.info ELSE '{{}}'::jsonb END) AS entry "
            f"WHERE jsonb_typeof(entry.value) = 'string'"
        )
        op.execute(f'CREATE TRIGGER search_text_insert AFTER INSERT ON "{table}" FOR EACH ROW EXECUTE FUNCTION search_text_refresh()')
        op.execute(
            f'CREATE TRIGGER search_text_update AFTER UPDATE OF info ON "{table}" FOR EACH ROW '
            f"WHEN (OLD.info IS DISTINCT FROM NEW.info) EXECUTE FUNCTION search_text_refresh()"
        )
        op.execute(f'CREATE TRIGGER search_text_delete AFTER DELETE ON "{table}" FOR EACH ROW EXECUTE FUNCTION search_text_refresh()')
    # Built after the rows are in: one sort instead of 100 000 index insertions.
    op.execute("CREATE INDEX ix_search_text_vector ON search_text USING gin (vector)")
    op.execute("CREATE INDEX ix_search_text_domain_object_id ON search_text (domain, object_id)")
    op.execute("ANALYZE search_text")


def _upgrade_sqlite() -> None:
    op.execute(
        "CREATE TABLE search_text (id INTEGER PRIMARY KEY, domain TEXT NOT NULL, object_id INTEGER NOT NULL, "
        "key TEXT NOT NULL, value TEXT NOT NULL)"
    )
    op.execute("CREATE INDEX ix_search_text_domain_object_id ON search_text (domain, object_id)")
    op.execute(
        "CREATE VIRTUAL TABLE search_text_fts USING fts5(value, content='search_text', content_rowid='id', "
        "tokenize='porter unicode61')"
    )
    op.execute(
        "CREATE TRIGGER search_text_fts_insert AFTER INSERT ON search_text BEGIN "
        "INSERT INTO search_text_fts (rowid, value) VALUES (new.id, new.value); END"
    )
    op.execute(
        "CREATE TRIGGER search_text_fts_delete AFTER DELETE ON search_text BEGIN "
        "INSERT INTO search_text_fts (search_text_fts, rowid, value) VALUES ('delete', old.id, old.value); END"
    )
    for table in TABLES:
        insert_new = _sqlite_rows(table, "new")
        op.execute(_sqlite_rows(table, "t", f'"{table}" AS t, '))
        op.execute(f'CREATE TRIGGER search_text_{table}_insert AFTER INSERT ON "{table}" BEGIN {insert_new}; END')
        op.execute(
            f'CREATE TRIGGER search_text_{table}_update AFTER UPDATE OF info ON "{table}" WHEN old.info IS NOT new.info BEGIN '
            f"DELETE FROM search_text WHERE domain = '{table}' AND object_id = old.id; {insert_new}; END"
        )
        op.execute(
            f'CREATE TRIGGER search_text_{table}_delete AFTER DELETE ON "{table}" BEGIN '
            f"DELETE FROM search_text WHERE domain = '{table}' AND object_id = old.id; END"
        )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _upgrade_postgresql()
    else:
        _upgrade_sqlite()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f'DROP TRIGGER search_text_{event} ON "{table}"')
        op.execute("DROP TABLE search_text")
        op.execute("DROP FUNCTION search_text_refresh()")
        op.execute("DROP FUNCTION pybossa_search_language()")
    else:
        for table in TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER search_text_{table}_{event}")
        op.execute("DROP TABLE search_text_fts")
        op.execute("DROP TABLE search_text")
