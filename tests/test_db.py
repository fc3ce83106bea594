"""SQLite's writers queue on a lock file beside the database, released when their session commits or their connection returns."""
from __future__ import annotations

import sys
import threading
import time

import sqlalchemy as sa

from pybossa_core.db import WRITE, get_engine, get_session_factory
from tests.conftest import writers_file_is_free


def _writing(engine):
    return engine.connect().execution_options(sqlite_write=True)


def test_a_writer_holds_the_lock_file_until_its_connection_is_back_in_the_pool(tmp_path):
    engine = get_engine({"database.url": f"sqlite:///{tmp_path}/site.sqlite"})
    lock_file = f"{tmp_path}/site.sqlite-writers"
    with _writing(engine) as connection:
        connection.execute(sa.text("CREATE TABLE t (x INTEGER)"))
        assert not writers_file_is_free(lock_file)
        connection.commit()
        # Committed, but the connection is still out of the pool: the lock is kept until it returns.
        assert not writers_file_is_free(lock_file)
    assert writers_file_is_free(lock_file)
    # A reading transaction never takes it.
    with engine.connect() as connection:
        connection.execute(sa.text("SELECT count(*) FROM t")).scalar()
        assert writers_file_is_free(lock_file)
    engine.dispose()


def _wait_until_queued(thread: threading.Thread) -> None:
    """Wait until ``thread`` waits in the writers' queue (its innermost frame is SqliteWriters.acquire)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        frame = sys._current_frames().get(thread.ident)
        if frame is not None and frame.f_code.co_name == "acquire" and "self" in frame.f_locals:
            return
        time.sleep(0.001)
    raise AssertionError("the second writer never queued")


def test_a_second_writer_thread_waits_for_the_first_one_to_finish(tmp_path):
    engine = get_engine({"database.url": f"sqlite:///{tmp_path}/site.sqlite"})
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE t (x INTEGER)"))
    order, failures = [], []

    def second_writer():
        try:
            with _writing(engine) as connection:
                # No busy handler: had it reached BEGIN IMMEDIATE while the first writer wrote, it would fail.
                connection.connection.driver_connection.execute("PRAGMA busy_timeout=0")
                connection.execute(sa.text("INSERT INTO t VALUES (2)"))
                order.append("second")
                connection.commit()
        except Exception as error:
            failures.append(error)

    with _writing(engine) as connection:
        connection.execute(sa.text("INSERT INTO t VALUES (1)"))
        thread = threading.Thread(target=second_writer)
        thread.start()
        _wait_until_queued(thread)
        order.append("first")
        connection.commit()
    thread.join(timeout=10)
    assert failures == [] and order == ["first", "second"]
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT x FROM t ORDER BY rowid")).scalars().all() == [1, 2]
    engine.dispose()


def test_a_thread_writing_on_a_second_connection_does_not_wait_for_itself(tmp_path):
    engine = get_engine({"database.url": f"sqlite:///{tmp_path}/site.sqlite"})
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE t (x INTEGER)"))
    with _writing(engine) as first:
        first.execute(sa.text("INSERT INTO t VALUES (1)"))
        first.commit()
        # The first connection committed but is not back in the pool yet (an inline job after commit).
        with _writing(engine) as second:
            second.execute(sa.text("INSERT INTO t VALUES (2)"))
            second.commit()
    assert writers_file_is_free(f"{tmp_path}/site.sqlite-writers")
    engine.dispose()


def _site_with_table(tmp_path):
    engine = get_engine({"database.url": f"sqlite:///{tmp_path}/site.sqlite"})
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE t (x INTEGER)"))
    return engine, f"{tmp_path}/site.sqlite-writers"


def test_a_session_lets_the_next_writer_in_as_soon_as_it_has_committed(tmp_path):
    engine, lock_file = _site_with_table(tmp_path)
    session = get_session_factory(engine)()
    session.connection(execution_options={WRITE: True})
    session.execute(sa.text("INSERT INTO t VALUES (1)"))
    assert not writers_file_is_free(lock_file)
    free_after_commit = []
    sa.event.listen(session, "after_commit", lambda session: free_after_commit.append(writers_file_is_free(lock_file)))
    session.commit()
    # What follows the commit (after-commit hooks, an inline job, closing) no longer holds the queue.
    assert free_after_commit == [True]
    session.close()
    assert writers_file_is_free(lock_file)
    engine.dispose()


def test_a_late_writer_reads_beside_another_writer_and_takes_the_lock_at_its_first_write(tmp_path):
    engine, lock_file = _site_with_table(tmp_path)
    with _writing(engine) as other:
        other.execute(sa.text("INSERT INTO t VALUES (1)"))
        late = engine.connect().execution_options(sqlite_write_late=True)
        # Reading while the other writer holds the lock: not queued, and sees what was committed.
        assert late.execute(sa.text("SELECT count(*) FROM t")).scalar() == 0
        other.commit()
    assert writers_file_is_free(lock_file)
    late.execute(sa.text("INSERT INTO t SELECT count(*) + 10 FROM t"))
    assert not writers_file_is_free(lock_file)
    late.commit()
    late.close()
    assert writers_file_is_free(lock_file)
    with engine.connect() as connection:
        # The write ran on the latest state (the other writer's row counted), in its own transaction.
        assert connection.execute(sa.text("SELECT x FROM t ORDER BY rowid")).scalars().all() == [1, 11]
    engine.dispose()


def test_writing_takes_the_lock_before_the_reads_that_must_see_the_latest_state(tmp_path):
    from sqlalchemy.orm import Session

    from pybossa_core.db import writing

    engine, lock_file = _site_with_table(tmp_path)
    with Session(engine) as session:
        session.connection(execution_options={"sqlite_write_late": True})
        assert session.execute(sa.text("SELECT count(*) FROM t")).scalar() == 0
        assert writers_file_is_free(lock_file)
        with _writing(engine) as other:
            other.execute(sa.text("INSERT INTO t VALUES (1)"))
            other.commit()
        writing(session)
        assert not writers_file_is_free(lock_file)
        assert session.execute(sa.text("SELECT count(*) FROM t")).scalar() == 1
        writing(session)  # once is enough
        session.execute(sa.text("INSERT INTO t VALUES (2)"))
        session.rollback()
    assert writers_file_is_free(lock_file)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT x FROM t")).scalars().all() == [1]
    engine.dispose()
