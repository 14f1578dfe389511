"""SQLite writers take turns in a queue instead of polling for the lock.

SQLite lets one connection write at a time. The others poll (`busy_timeout`), sleeping
between tries for longer and longer, up to 100 ms: under load a waiting writer sleeps
through many commits, and the unlucky ones waited seconds (bench/submit.py: p99 1.4 s at
16 connections). Here a connection about to start a write transaction first takes the
process's turn (a `threading.Lock`, which wakes the next thread at once) and then the
file's (an advisory `flock` on `<database>-writer.lock`, held by at most one thread of each
process, so at most one per process tries it); it gives both back after its commit or
rollback. The kernel drops the `flock` of a process that dies, so a killed worker never
blocks the others.

A turn is waited for as long as the connection's `busy_timeout`; after that the write goes
ahead without its turn and SQLite decides, as it would without the queue. Connections that
do not queue (another program, the sqlite3 shell) are served by SQLite's own locking as
before: the queue orders tsunagi's writers, it never replaces the lock.
"""
from __future__ import annotations

import fcntl
import os
import re
import sqlite3
import threading
import time

# A statement that makes sqlite3 open a write transaction (it begins one before DML).
_WRITES = re.compile(r"\s*(?:WITH\b.*?\b)?(?:INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE | re.DOTALL)
_BUSY_TIMEOUT = re.compile(r"\s*PRAGMA\s+busy_timeout\s*=\s*(\d+)", re.IGNORECASE)
# How often the process holding the thread turn asks for the file's: one thread per process.
_FILE_POLL_S = 0.0005


class WriterQueue:
    """The turns of one database file's writers."""

    def __init__(self, path: str):
        self.path = f"{path}-writer.lock"
        self._threads = threading.Lock()
        self._fd: int | None = None
        self._pid: int | None = None
        self.owner: int | None = None  # the thread whose turn it is

    def take(self, wait_s: float) -> bool:
        """Wait up to `wait_s` for the turn; False when it did not come (or the caller's
        thread already has it through another connection: waiting would wait for itself)."""
        me = threading.get_ident()
        if self.owner == me:
            return False
        deadline = time.monotonic() + wait_s
        if not self._threads.acquire(timeout=max(wait_s, 0)):
            return False
        try:
            fd = self._file()
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        self._threads.release()
                        return False
                    time.sleep(_FILE_POLL_S)
        except BaseException:
            self._threads.release()
            raise
        self.owner = me
        return True

    def give(self) -> None:
        self.owner = None
        try:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()

    def _file(self) -> int:
        """This process's descriptor of the lock file: a forked worker opens its own, so
        that its `flock` is its own and not shared with the master's."""
        if self._pid != os.getpid():
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._pid = os.getpid()
        return self._fd


def connection_class(queue: WriterQueue, busy_timeout_ms: int) -> type[sqlite3.Connection]:
    """A `sqlite3.Connection` (pass as `factory=`) whose write transactions take turns in
    `queue`, waiting as long as the connection's busy_timeout says."""

    class QueuedCursor(sqlite3.Cursor):
        def execute(self, sql, *args):
            self.connection._before(sql)
            try:
                return super().execute(sql, *args)
            finally:
                self.connection._after()

        def executemany(self, sql, *args):
            self.connection._before(sql)
            try:
                return super().executemany(sql, *args)
            finally:
                self.connection._after()

    class QueuedConnection(sqlite3.Connection):
        has_turn = False
        wait_s = busy_timeout_ms / 1000

        def cursor(self, factory=QueuedCursor):
            return super().cursor(factory)

        def execute(self, sql, *args):
            return self.cursor().execute(sql, *args)

        def executemany(self, sql, *args):
            return self.cursor().executemany(sql, *args)

        def _before(self, sql: str) -> None:
            if (found := _BUSY_TIMEOUT.match(sql)) is not None:
                self.wait_s = int(found.group(1)) / 1000
            elif not self.has_turn and not self.in_transaction and _WRITES.match(sql):
                self.has_turn = queue.take(self.wait_s)

        def _after(self) -> None:
            if self.has_turn and not self.in_transaction:
                self.has_turn = False
                queue.give()

        def commit(self):
            try:
                super().commit()
            finally:
                self._after()

        def rollback(self):
            try:
                super().rollback()
            finally:
                self._after()

        def close(self):
            try:
                super().close()
            finally:
                if self.has_turn:
                    self.has_turn = False
                    queue.give()

    return QueuedConnection
