"""SQLite's write lock, handed from writer to writer without sleeping.

Writers on SQLite take the database's write lock up front (``BEGIN IMMEDIATE``, see
:func:`talk.app.writing`). A writer that finds it taken sleeps in SQLite's busy handler, which
backs off 1, 2, 5, 10 … 100 ms between tries: with eight writers at once the lock was mostly free
while they all slept, and posting ran at a few percent of a bare insert (docs/performance-notes.md,
"Posting"). So, within a process, writers queue on one Python lock per database file, taken
before ``BEGIN IMMEDIATE`` and released when the connection goes back to the pool (after its
commit or rollback): the next writer is woken at once. Only the writer at the head of the
queue asks SQLite; when another process (an app server, the worker) holds the lock it retries
every millisecond instead of backing off. Either wait gives up after ``busy_timeout`` with
SQLite's own "database is locked", which a request answers with 503 (:data:`talk.app.BUSY`).

A connection keeps its place until it is returned to the pool, so a connection that runs
several write transactions before it is returned holds the queue in between (sessions return
theirs at each commit).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from functools import lru_cache
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import Pool

#: How long a writer waits for the lock, in the queue and then for other processes: SQLite's
#: ``busy_timeout`` that ``talk.app`` sets on every connection.
BUSY_TIMEOUT_MS = 5000
#: The pause between two tries of the writer at the head of the queue while another process
#: holds the lock.
RETRY_SECONDS = 0.001

_HELD = "talk_sqlite_write_lock"  # key in the pooled connection's info: the lock it holds
_locks: dict[str, threading.Lock] = {}
_locks_lock = threading.Lock()


@lru_cache(maxsize=64)
def _real_path(database: str) -> str:
    """The file a database path names (resolved once: it was two ``lstat`` calls a component
    at every write transaction)."""
    return os.path.realpath(database)


def _queue_for(database: str) -> threading.Lock:
    path = _real_path(database)
    with _locks_lock:
        return _locks.setdefault(path, threading.Lock())


def _busy(statement: str) -> OperationalError:
    return OperationalError(statement, None, sqlite3.OperationalError("database is locked"))


def _queue_to_join(connection: Connection) -> threading.Lock | None:
    """The process's queue of writers ``connection`` must wait in; None when it is already
    first in line (it holds the queue) or its database is no file of its own."""
    database = connection.engine.url.database
    if _HELD in connection.connection.info or not database:
        return None
    if database == ":memory:" or database.startswith("file:"):
        return None
    return _queue_for(database)


def begin_immediate(connection: Connection) -> None:
    """Begin a write transaction on ``connection`` (SQLite), first in line in this process."""
    queue = _queue_to_join(connection)
    if queue is None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")  # already first in line, or no file
        return
    info = connection.connection.info
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    if not queue.acquire(timeout=BUSY_TIMEOUT_MS / 1000):
        raise _busy("BEGIN IMMEDIATE")
    info[_HELD] = queue
    try:
        _take_sqlite_lock(connection, deadline)
    except BaseException:
        del info[_HELD]
        queue.release()
        raise


def _take_sqlite_lock(connection: Connection, deadline: float) -> None:
    """``BEGIN IMMEDIATE``, retried every :data:`RETRY_SECONDS` while another process holds
    the lock: SQLite's own wait is switched off for it, and back on for the transaction."""
    dbapi_connection: Any = connection.connection.dbapi_connection
    dbapi_connection.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except OperationalError as error:
                if "database is locked" not in str(error.orig) or time.monotonic() > deadline:
                    raise
            time.sleep(RETRY_SECONDS)
    finally:
        dbapi_connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


class FirstInLine:
    """This process's place in the queue of writers to a connection's database, held around
    each statement that commits on its own (autocommit, no ``BEGIN``: the outbox's ``Ledger``,
    one a message); SQLite's ``busy_timeout`` waits for the other processes. The queue is
    found once, for all of the connection's statements (finding it each time was a tenth of
    recording a message): make it while the connection holds no place (no transaction)."""

    def __init__(self, connection: Connection) -> None:
        self._queue = _queue_to_join(connection)

    def __enter__(self) -> None:
        if self._queue is not None and not self._queue.acquire(timeout=BUSY_TIMEOUT_MS / 1000):
            raise _busy("UPDATE")

    def __exit__(self, *exc: object) -> None:
        if self._queue is not None:
            self._queue.release()


def leave_queue(connection: Connection) -> None:
    """The write transaction of a connection kept out of the pool has ended (committed or
    rolled back): the next writer in this process goes, as returning it to the pool would
    (the outbox drain keeps one for a batch: ``notifications.ledger.Ledger``)."""
    _release(connection.connection.info)


@event.listens_for(Pool, "checkin")
def _leave_queue(dbapi_connection: Any, connection_record: Any) -> None:
    """The connection's transaction has ended (the pool rolls back what was left open): the
    next writer in this process goes."""
    if connection_record is not None:
        _release(connection_record.info)


def _release(info: dict[Any, Any]) -> None:
    """Let the next writer go if this connection held the process's queue."""
    queue = info.pop(_HELD, None)
    if queue is not None:
        queue.release()
