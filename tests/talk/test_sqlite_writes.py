"""SQLite's write lock handed over in Python (talk/sqlite_writes.py): writers of one process
queue before asking SQLite, the head of the queue retries at once when another process lets go,
and every write still lands."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select

from talk import sqlite_writes
from talk.app import writing
from talk.extensions import db
from talk.models import Comment, Discussion

pytestmark = pytest.mark.commits  # real transactions, each writer on its own connection


@pytest.fixture(autouse=True)
def sqlite_only(app: Flask) -> None:
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("PostgreSQL locks rows, not the database")


def _database(app: Flask) -> str:
    with app.app_context():
        return str(db.engine.url.database)


class WatchedQueue:
    """The process's queue for the test's database, telling when a second writer waits on it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.waiting = threading.Event()

    def acquire(self, timeout: float = -1) -> bool:
        if self.lock.locked():
            self.waiting.set()
        return self.lock.acquire(timeout=timeout)

    def release(self) -> None:
        self.lock.release()


def test_a_writer_waits_in_the_queue_not_in_sqlite_and_goes_when_the_first_commits(
    app, make, token, monkeypatch
):
    project = make.project()
    discussion = make.discussion(project, make.user(), item=make.item(project))
    headers = token(make.user())
    queue = WatchedQueue()
    monkeypatch.setattr(sqlite_writes, "_queue_for", lambda database: queue)
    begun: list[str] = []
    statuses: list[int] = []

    def note_begin(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if statement == "BEGIN IMMEDIATE":
            begun.append(threading.current_thread().name)

    def post() -> None:
        threading.current_thread().name = "second"
        response = app.test_client().post(
            f"/api/v1/discussions/{discussion.id}/comments",
            json={"body": "second"},
            headers=headers,
        )
        statuses.append(response.status_code)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", note_begin)
        try:
            with writing():
                db.session.execute(select(1))  # the first writer: holds the queue and SQLite
                second = threading.Thread(target=post)
                second.start()
                assert queue.waiting.wait(timeout=10)
                assert begun == ["MainThread"]  # the second has not asked SQLite yet
                db.session.commit()  # the connection goes back to the pool: the queue moves
            second.join(timeout=10)
        finally:
            event.remove(db.engine, "before_cursor_execute", note_begin)
    assert statuses == [201]
    assert begun == ["MainThread", "second"]
    assert not queue.lock.locked()


def test_the_head_of_the_queue_takes_the_lock_as_soon_as_another_process_lets_go(
    app, make, token, monkeypatch
):
    """Another process (a raw connection here) holds the write lock; SQLite's busy handler would
    sleep up to 100 ms a try, and 5 s in all before 'database is locked'. The writer retries
    every millisecond instead: here the other process commits at the first pause."""
    project = make.project()
    discussion = make.discussion(project, make.user(), item=make.item(project))
    headers = token(make.user())
    other = sqlite3.connect(_database(app), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    pauses: list[float] = []

    def pause(seconds: float) -> None:
        pauses.append(seconds)
        if other.in_transaction:
            other.execute("COMMIT")

    monkeypatch.setattr(sqlite_writes.time, "sleep", pause)
    try:
        response = app.test_client().post(
            f"/api/v1/discussions/{discussion.id}/comments", json={"body": "soon"}, headers=headers
        )
    finally:
        other.close()
    assert response.status_code == 201
    assert pauses == [sqlite_writes.RETRY_SECONDS]


def test_a_writer_that_cannot_have_the_lock_in_time_changes_nothing_and_is_told_to_retry(
    app, make, token, monkeypatch
):
    project = make.project()
    discussion = make.discussion(project, make.user(), item=make.item(project))
    headers = token(make.user())
    monkeypatch.setattr(sqlite_writes, "BUSY_TIMEOUT_MS", 50)
    other = sqlite3.connect(_database(app), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        response = app.test_client().post(
            f"/api/v1/discussions/{discussion.id}/comments", json={"body": "late"}, headers=headers
        )
    finally:
        other.execute("ROLLBACK")
        other.close()
        with app.app_context():
            db.engine.dispose()  # its connections' busy_timeout was the test's 50 ms
    assert response.status_code == 503
    with app.app_context():
        assert db.session.get(Discussion, discussion.id).comment_count == 1
    # The queue was left: the next writer goes at once.
    response = app.test_client().post(
        f"/api/v1/discussions/{discussion.id}/comments", json={"body": "now"}, headers=headers
    )
    assert response.status_code == 201


def test_many_writers_at_once_all_land_and_the_queue_is_left_free(app, make, token):
    project = make.project()
    discussion = make.discussion(project, make.user(), item=make.item(project))
    writers = [token(make.user()) for _ in range(8)]
    url = f"/api/v1/discussions/{discussion.id}/comments"

    def write(headers: dict[str, str]) -> list[int]:
        client = app.test_client()
        return [
            client.post(url, json={"body": f"#tag{n}"}, headers=headers).status_code
            for n in range(4)
        ]

    with ThreadPoolExecutor(len(writers)) as pool:
        statuses = [s for batch in pool.map(write, writers) for s in batch]

    assert statuses == [201] * 32
    with app.app_context():
        assert db.session.get(Discussion, discussion.id).comment_count == 33
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(Comment)
                .where(Comment.discussion_id == discussion.id)
            )
            == 33
        )
    assert not sqlite_writes._queue_for(_database(app)).locked()
