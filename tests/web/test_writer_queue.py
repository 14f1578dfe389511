"""SQLite writers take turns (tsunagi.web.writer_queue): the turn is held from a write
transaction's first statement to its end, given back on commit, rollback and close, never
waited for by its own thread, and dropped with a process that dies."""
from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from tsunagi.domain import ROOT
from tsunagi.web.db import make_engine


@pytest.fixture
def database(tmp_path):
    url = f"sqlite:///{tmp_path / 'queue.sqlite3'}"
    engine = make_engine(url, writer_queue=True)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE row (id INTEGER PRIMARY KEY, who TEXT UNIQUE)"))
    yield engine, tmp_path / "queue.sqlite3-writer.lock"
    engine.dispose()


def file_turn_free(lock_file) -> bool:
    """Whether another process could take the file's turn now (a separate descriptor)."""
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def queue_of(conn):
    return type(conn.connection.dbapi_connection)


def test_the_turn_is_held_from_the_first_write_to_the_commit(database):
    engine, lock_file = database
    with engine.connect() as conn:
        conn.execute(text("SELECT count(*) FROM row"))
        assert file_turn_free(lock_file)  # a read takes no turn
        conn.execute(text("INSERT INTO row (who) VALUES ('a')"))
        assert conn.connection.dbapi_connection.has_turn
        assert not file_turn_free(lock_file)
        conn.commit()
        assert not conn.connection.dbapi_connection.has_turn
        assert file_turn_free(lock_file)


def test_rollback_and_a_failed_statement_give_the_turn_back(database):
    engine, lock_file = database
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO row (who) VALUES ('a')"))
    with engine.connect() as conn:
        with pytest.raises(Exception):
            conn.execute(text("INSERT INTO row (who) VALUES ('a')"))  # unique: refused
        conn.rollback()
        assert file_turn_free(lock_file)
        conn.execute(text("UPDATE row SET who = 'b'"))
        assert not file_turn_free(lock_file)
    # Back to the pool: reset by rollback.
    assert file_turn_free(lock_file)


def test_a_waiting_writer_gets_the_turn_when_the_holder_commits(database):
    engine, lock_file = database
    first = engine.connect()
    first.execute(text("INSERT INTO row (who) VALUES ('first')"))
    order: list[str] = []
    started = threading.Event()

    def second():
        with engine.connect() as conn:
            started.set()
            conn.execute(text("INSERT INTO row (who) VALUES ('second')"))
            order.append("second wrote")
            conn.commit()

    waiter = threading.Thread(target=second)
    waiter.start()
    assert started.wait(10)
    order.append("first commits")
    first.commit()
    first.close()
    waiter.join(10)
    assert not waiter.is_alive()
    assert order == ["first commits", "second wrote"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT who FROM row ORDER BY id")).scalars().all() == ["first", "second"]
    assert file_turn_free(lock_file)


def test_a_thread_never_waits_for_its_own_turn(database):
    """A second connection of the thread that has the turn goes straight to SQLite, which
    refuses it after its busy_timeout instead of the thread waiting for itself."""
    engine, _ = database
    with engine.connect() as holder, engine.connect() as other:
        holder.execute(text("INSERT INTO row (who) VALUES ('a')"))
        other.exec_driver_sql("PRAGMA busy_timeout = 50")
        with pytest.raises(OperationalError, match="locked"):
            other.execute(text("INSERT INTO row (who) VALUES ('b')"))
        other.rollback()
        holder.commit()


def test_a_turn_not_given_in_time_lets_sqlite_decide(database):
    """Another process holds the file's turn but not SQLite's lock: after the connection's
    busy_timeout the write goes ahead, and SQLite takes it."""
    engine, lock_file = database
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA busy_timeout = 50")
            conn.execute(text("INSERT INTO row (who) VALUES ('a')"))
            assert not conn.connection.dbapi_connection.has_turn
            conn.commit()
    finally:
        os.close(fd)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM row")).scalar() == 1


def test_a_process_that_dies_with_the_turn_blocks_nobody(database, tmp_path):
    engine, lock_file = database
    holder = subprocess.Popen([sys.executable, "-c", f"""
import sys, time
sys.path.insert(0, {str(ROOT)!r})
from sqlalchemy import text
from tsunagi.web.db import make_engine
engine = make_engine({str(engine.url)!r}, writer_queue=True)
conn = engine.connect()
conn.execute(text("INSERT INTO row (who) VALUES ('dies')"))
print("holding", flush=True)
time.sleep(600)
"""], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        assert not file_turn_free(lock_file)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(30)
        holder.stdout.close()
    assert file_turn_free(lock_file)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO row (who) VALUES ('lives')"))
        assert conn.execute(text("SELECT who FROM row")).scalars().all() == ["lives"]
