"""Engine and per-request `Session` for the Flask app, plus Alembic commands.

Domain services never import this module: views pass them `db.session`.
"""
from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import datetime, timezone

import click
from flask import Flask, current_app, g
from flask.cli import AppGroup
from sqlalchemy import Engine, create_engine, event, insert, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from tsunagi.domain import ROOT
from tsunagi.web.writer_queue import WriterQueue, connection_class

MIGRATIONS = ROOT / "migrations"


def make_engine(url: str, *, busy_timeout_ms: int = 5000, writer_queue: bool = False, **kwargs) -> Engine:
    """Create an engine; on SQLite, set busy_timeout first, then WAL and foreign keys.

    busy_timeout must come before journal_mode: switching to WAL needs a lock, and
    without the timeout a second worker starting at the same moment fails at once.

    `writer_queue`: on an SQLite file, write transactions take turns
    (tsunagi.web.writer_queue) instead of polling for the lock.
    """
    parsed = make_url(url)
    if writer_queue and parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        queue = WriterQueue(os.path.abspath(parsed.database))
        kwargs["connect_args"] = {**kwargs.get("connect_args", {}),
                                  "factory": connection_class(queue, busy_timeout_ms)}
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no branch
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.close()

    return engine


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema at `url` to `revision` (from nothing if the database is empty)."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


class Database:
    """Holds the app's engine and hands each app context one `Session`."""

    def init_app(self, app: Flask) -> None:
        engine = make_engine(
            app.config["DATABASE_URL"],
            busy_timeout_ms=app.config["SQLITE_BUSY_TIMEOUT_MS"],
            pool_pre_ping=True,
            writer_queue=True,
        )
        app.extensions["tsunagi.db"] = sessionmaker(engine, expire_on_commit=False)
        app.teardown_appcontext(self._close)
        app.cli.add_command(db_cli)

    @property
    def engine(self) -> Engine:
        return current_app.extensions["tsunagi.db"].kw["bind"]

    @property
    def session(self) -> Session:
        if "db_session" not in g:
            g.db_session = current_app.extensions["tsunagi.db"]()
        return g.db_session

    def record_read(self, model, **values) -> None:
        """Store one row of `model` that records a read (an audit row) without making the
        read wait for a writer: committed now when the database takes the write at once,
        otherwise (another connection holds SQLite's write lock) by the process's writer
        thread, which waits as long as any write would while the request answers. Its time
        is the read's either way.

        Only for a request that writes nothing else: its answer must not depend on the row."""
        values.setdefault("at", datetime.now(timezone.utc))
        statement = insert(model).values(**values)
        session = self.session
        if session.get_bind().dialect.name != "sqlite":  # PostgreSQL: an insert waits for no other writer
            session.execute(statement)
            session.commit()
            return
        make = current_app.extensions["tsunagi.db"]
        if _writing_later():
            # Rows already wait for the lock: this one queues behind them at once.
            _later(make, statement)
            return
        conn = session.connection()
        waits = int(current_app.config["SQLITE_BUSY_TIMEOUT_MS"])
        conn.exec_driver_sql(f"PRAGMA busy_timeout = {QUICK_WRITE_MS}")
        try:
            session.execute(statement)  # takes the write lock, or fails at once
        except OperationalError:
            conn.exec_driver_sql(f"PRAGMA busy_timeout = {waits}")
            session.rollback()
        else:
            conn.exec_driver_sql(f"PRAGMA busy_timeout = {waits}")  # the lock is held: the commit waits for nothing
            session.commit()
            return
        _later(make, statement)

    @staticmethod
    def _close(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


# How long a read's audit row waits for the writers' turn and SQLite's write lock in the
# request before it is left to the writer thread: not at all. With 20 ms, a lookup while a
# submit of its worker waited for the lock waited twice that, for the turn and then for
# the lock (follow-up lookup p99 88-108 ms, bench/stall.py); the row is as good written
# a moment later by the writer thread, with the time of the read.
QUICK_WRITE_MS = 0
LATER_ATTEMPTS = 12  # each waits up to SQLITE_BUSY_TIMEOUT_MS for the lock


_writer: ThreadPoolExecutor | None = None
_writer_pid: int | None = None
_pending: list[Future] = []
_writer_lock = threading.Lock()


def _later(make: sessionmaker, statement) -> None:
    """Hand `statement` to this process's one writer thread. Not the request's thread: it
    would keep the connection's next request waiting (keep-alive) while the lock is held.
    The executor is made in the process that first needs it (a gunicorn worker, after the
    fork); its thread finishes what is queued when the process exits normally."""
    global _writer, _writer_pid
    with _writer_lock:
        if _writer is None or _writer_pid != os.getpid():
            _writer, _writer_pid = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tsunagi-read-audit"), os.getpid()
            _pending.clear()
        _pending[:] = [f for f in _pending if not f.done()]
        _pending.append(_writer.submit(_write_later, make, statement))


def _writing_later() -> bool:
    """Whether this process's writer thread still has rows to write (it waits for the lock)."""
    with _writer_lock:
        return _writer_pid == os.getpid() and any(not f.done() for f in _pending)


def wait_for_deferred_writes(timeout: float | None = None) -> None:
    """Wait until the rows handed to the writer thread are written (tests; shutdown)."""
    with _writer_lock:
        waiting = list(_pending)
    wait(waiting, timeout=timeout)


def _write_later(make: sessionmaker, statement) -> None:
    """The deferred write of `Database.record_read`."""
    for _ in range(LATER_ATTEMPTS):
        with make() as session:
            try:
                session.execute(statement)
                session.commit()
                return
            except OperationalError:
                session.rollback()
    logging.getLogger(__name__).error("a read's audit row was not written: the database stayed locked")


db_cli = AppGroup("db", help="Database schema (Alembic migrations).")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def upgrade_command(revision: str) -> None:
    """Migrate the schema to REVISION (default: head)."""
    upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database at {revision}")


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
def revision_command(message: str) -> None:
    """Write a new migration from the difference between models and database."""
    from alembic import command

    command.revision(
        alembic_config(current_app.config["DATABASE_URL"]), message=message, autogenerate=True
    )
