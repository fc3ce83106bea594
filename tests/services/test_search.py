"""The search service: parsing the user's words, the triggers that keep search_text, the migration and reindex."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.orm import Session

from pybossa_core.errors import BadRequest
from pybossa_core.migrations import alembic_config, upgrade
from pybossa_core.models import Project, Task
from pybossa_core.models.meta import utcnow
from pybossa_core.services import search
from pybossa_core.settings import SettingsError, load_settings
from tests.conftest import fresh_engine


def test_parse_query_splits_keys_on_bar_and_phrases_on_ampersand():
    query = search.parse_query("name::ipsum&bravo|kind::big red&&|")
    assert query == search.FullTextQuery(
        (search.Term("name", ("ipsum", "bravo")), search.Term("kind", ("big red",)))
    )


def test_parse_query_drops_parts_without_letters_or_digits():
    assert search.parse_query("k::!!!&fox&  &*").terms == (search.Term("k", ("fox",)),)
    assert search.parse_query("k::東京&é").terms == (search.Term("k", ("東京", "é")),)


@pytest.mark.parametrize("value", ["k::", "k::&|", "k::?!", "k", "::w", "k::w\x00", "k::" + "w" * 1001])
def test_parse_query_refuses_searches_without_words(value):
    with pytest.raises(BadRequest):
        search.parse_query(value)


def test_fts_query_quotes_every_phrase():
    term = search.Term("k", ('say "hi"', "NEAR(a b)", "x* OR y"))
    assert search._fts_query(term) == '"say ""hi""" AND "NEAR(a b)" AND "x* OR y"'


def test_language_is_a_configuration_name_never_sql():
    assert load_settings({"secret": "s" * 32}, environ={})["fulltextsearch.language"] == "english"
    assert load_settings({"secret": "s" * 32, "fulltextsearch.language": "spanish"}, environ={})[
        "fulltextsearch.language"
    ] == "spanish"
    with pytest.raises(SettingsError, match="fulltextsearch.language"):
        load_settings({"secret": "s" * 32, "fulltextsearch.language": "english'; DROP TABLE task; --"}, environ={})
    with pytest.raises(ValueError):
        search.regconfig("english'::regconfig")


def _triggers(connection) -> set[tuple[str, str]]:
    if connection.dialect.name == "postgresql":
        rows = connection.execute(
            sa.text("SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE tgname LIKE 'search_text_%'")
        )
        return {(table.strip('"'), name.removeprefix("search_text_")) for table, name in rows}
    rows = connection.execute(sa.text("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'"))
    return {(table, name.rsplit("_", 1)[1]) for table, name in rows if name.startswith("search_text_")}


def test_every_table_with_info_has_its_search_triggers(dbsession):
    """A new model with ``info``, or a migration rebuilding a table on SQLite, must (re)create them."""
    triggers = _triggers(dbsession.connection())
    for table in search.searchable_tables():
        assert {(table, "insert"), (table, "update"), (table, "delete")} <= triggers, table


def test_only_string_values_of_object_infos_are_kept_and_follow_changes(dbsession, make):
    project = make.project(make.user())
    task = make.task(project, info={"a": "alpha", "b": 2, "c": {"d": "delta"}, "e": ["x"], "f": None})
    make.task(project, info=["alpha"])
    rows = lambda: dbsession.execute(  # noqa: E731
        sa.text("SELECT key FROM search_text WHERE domain = 'task' AND object_id = :id"), {"id": task.id}
    ).scalars().all()
    assert rows() == ["a"]
    task.info = {"z": "zeta", "y": "ypsilon"}
    dbsession.flush()
    assert sorted(rows()) == ["y", "z"]
    task.n_answers = 3
    dbsession.flush()
    assert sorted(rows()) == ["y", "z"]
    dbsession.delete(task)
    dbsession.flush()
    assert rows() == []


OLD_USER = sa.text(
    'INSERT INTO "user" (created, name, fullname, email_addr, locale, api_key, admin, pro, privacy_mode, "restrict", '
    "newsletter_prompted, valid_email, confirmation_email_sent, subscribed, consent, info, user_pref) "
    "VALUES (:now, 'old', 'Old', 'old@example.com', 'en', 'key', false, false, true, false, false, false, false, "
    "false, false, '{}', '{}') RETURNING id"
)
OLD_PROJECT = sa.text(
    "INSERT INTO project (created, updated, name, short_name, description, long_description, "
    "allow_anonymous_contributors, published, featured, secret_key, zip_download, contacted, owner_id, owners_ids, "
    "info) VALUES (:now, :now, 'P', 'p', '', '', true, false, false, 'key', true, false, :owner, :owners, :info) "
    "RETURNING id"
)
OLD_TASK = sa.text(
    "INSERT INTO task (created, project_id, state, quorum, calibration, priority_0, info, n_answers, fav_user_ids) "
    "VALUES (:now, :project, 'ongoing', 0, 0, 0, :info, 30, '[]')"
)


def test_migration_indexes_existing_rows_and_downgrades(backend, tmp_path_factory):
    with fresh_engine(backend, tmp_path_factory, "search_migration") as engine:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "0003")
            assert not sa.inspect(connection).has_table("search_text")
        with Session(engine) as session, session.begin():
            # In SQL: the models have columns later migrations add.
            user_id = session.scalar(OLD_USER, {"now": utcnow()})
            project_id = session.scalar(OLD_PROJECT, {"now": utcnow(), "owner": user_id, "owners": json.dumps([user_id]),
                                                      "info": json.dumps({"about": "Counting penguins"})})
            info = json.dumps({"question": "How many penguins are swimming?"})
            session.execute(OLD_TASK, {"now": utcnow(), "project": project_id, "info": info})
        upgrade(engine)
        matches = search.ranked_matches
        with Session(engine) as session:
            for model, key in ((Task, "question"), (Project, "about")):
                found = matches(session, model, search.parse_query(f"{key}::penguin"), "english")
                assert len(session.execute(sa.select(found)).all()) == 1, model
            found = matches(session, Task, search.parse_query("question::swim"), "english")
            assert len(session.execute(sa.select(found)).all()) == 1


def test_reindex_changes_the_language_on_postgresql(site_with, make, dbsession, backend):
    task = make.task(make.project(make.user()), info={"text": "The dogs were running"})
    simple = site_with(**{"fulltextsearch.language": "simple"})
    search.reindex(dbsession.connection(), "simple")

    def found(words: str) -> list[int]:
        return [item["id"] for item in simple.get("/api/task", {"info": f"text::{words}", "fulltextsearch": "1"}).json]

    if backend == "postgresql":
        # The simple configuration does not stem: only the very words are found, and "the" is a word.
        assert found("running") == [task.id] and found("the") == [task.id]
        assert found("run") == [] and found("dog") == []
    else:
        # SQLite's FTS5 index always stems English; the setting is PostgreSQL's.
        assert found("run") == [task.id] and found("dog") == [task.id]
