"""A request whose transaction PostgreSQL aborts as a deadlock victim (or for a serialization
failure) runs again, a bounded number of times, with every effect committed once.

The abort is raised by a signal receiver, after the comment, its counters and its tags were
written in the transaction: the same state a real deadlock victim is in (``talk.app.Talk``
does not look at where the error came from, only at its SQLSTATE). The receiver also writes
a row of its own, as an outbox would."""

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from psycopg.errors import DeadlockDetected, SerializationFailure
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from talk import signals
from talk.app import TRANSACTION_ATTEMPTS
from talk.clock import utcnow
from talk.extensions import db
from talk.models import Comment, CommentRevision, Discussion, Tag
from talk.services.counters import counter_mismatches
from tests.conftest import csrf_token, login

RECEIVER_ROW = "written by a receiver"


@contextmanager
def receiver(fail: Callable[[int], BaseException | None]) -> Iterator[list[int]]:
    """Subscribe to ``comment_posted`` a receiver that writes a row in the request's transaction
    and then raises ``fail(n)`` on its n-th call (nothing if None); yields the comment ids it
    was called with."""
    calls: list[int] = []

    def receive(comment: Comment, **changes: Any) -> None:
        calls.append(comment.id)
        db.session.add(
            CommentRevision(
                comment=comment, editor=comment.author, body=RECEIVER_ROW, replaced_at=utcnow()
            )
        )
        db.session.flush()
        error = fail(len(calls))
        if error is not None:
            raise error

    signals.comment_posted.connect(receive)
    try:
        yield calls
    finally:
        signals.comment_posted.disconnect(receive)


def post(app: Any, discussion_id: int, headers: dict[str, str]) -> Any:
    return app.test_client().post(
        f"/api/v1/discussions/{discussion_id}/comments", json={"body": "#once"}, headers=headers
    )


def aborted(orig: Exception) -> OperationalError:
    return OperationalError("UPDATE projects SET comment_count=…", {}, orig)


def state(discussion_id: int) -> dict[str, Any]:
    return {
        "comments": db.session.scalar(
            select(func.count()).where(Comment.discussion_id == discussion_id)
        ),
        "stored count": db.session.get(Discussion, discussion_id).comment_count,
        "receiver rows": db.session.scalar(
            select(func.count()).where(CommentRevision.body == RECEIVER_ROW)
        ),
        "uses of #once": db.session.scalar(select(Tag.use_count).where(Tag.name == "once")),
    }


@pytest.mark.parametrize("orig", [DeadlockDetected, SerializationFailure])
def test_a_deadlock_victim_runs_again_and_commits_once(app, make, token, orig):
    project = make.project()
    thread = make.discussion(project, make.user(), item=make.item(project))
    headers = token(make.user())

    with receiver(lambda n: aborted(orig("deadlock detected")) if n == 1 else None) as calls:
        response = post(app, thread.id, headers)

    assert response.status_code == 201
    assert len(calls) == 2  # the receiver ran in each attempt...
    assert calls[-1] == response.json["id"]  # (PostgreSQL does not reuse the first id)
    with app.app_context():
        assert state(thread.id) == {  # ...and its row, like every other effect, is there once
            "comments": 2,
            "stored count": 2,
            "receiver rows": 1,
            "uses of #once": 1,
        }
        assert counter_mismatches() == []


def test_the_attempts_are_bounded_and_the_last_failure_rolls_back(app, make, token):
    project = make.project()
    thread = make.discussion(project, make.user(), item=make.item(project))
    headers = token(make.user())

    with (
        receiver(lambda n: aborted(DeadlockDetected("deadlock detected"))) as calls,
        pytest.raises(OperationalError, match="deadlock detected"),
    ):
        post(app, thread.id, headers)

    assert len(calls) == TRANSACTION_ATTEMPTS
    with app.app_context():
        assert state(thread.id) == {
            "comments": 1,
            "stored count": 1,
            "receiver rows": 0,
            "uses of #once": None,
        }


def test_a_locked_sqlite_database_is_a_503_to_try_again_not_retried(app, make, token, client):
    """'database is locked' means a writer waited out busy_timeout already: running again would
    wait as long again. The writer is told the site is busy (503, Retry-After), on the API and
    on pages, and nothing of the attempt stays."""
    project = make.project()
    thread = make.discussion(project, make.user(), item=make.item(project))
    author = make.user()
    headers = token(author)
    locked = lambda n: aborted(sqlite3.OperationalError("database is locked"))  # noqa: E731

    with receiver(locked) as calls:
        answer = post(app, thread.id, headers)
    assert len(calls) == 1
    assert (answer.status_code, answer.headers["Retry-After"]) == (503, "1")
    error = answer.json["error"]
    assert error["code"] == "busy" and "nothing was changed" in error["message"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CommentRevision)) == 0
        assert db.session.get(Discussion, thread.id).comment_count == 1

    login(client, author.username)
    with receiver(locked):
        page = client.post(
            f"/discussions/{thread.id}",
            data={"body": "#once", "csrf_token": csrf_token(client, f"/discussions/{thread.id}")},
        )
    assert (page.status_code, page.headers["Retry-After"]) == (503, "1")
    assert "Try again in a moment" in page.get_data(as_text=True)
