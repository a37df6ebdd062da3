"""A merge or a move racing replies to the discussion it changes: nobody deadlocks, no request
runs twice, every reply lands in exactly one discussion and every counter equals its recount.

Real commits, each writer on its own connection (PostgreSQL takes the row locks for real); the
lock order is in docs/decisions.md ("One lock order") and talk/services/threads.py."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from talk.extensions import db
from talk.models import Comment, Discussion
from tests.conftest import at_once
from tests.talk.test_write_concurrency import (  # noqa: F401  (an autouse fixture)
    Step,
    check_counters,
    choreographed,
    named,
    no_transaction_ran_twice,
)

pytestmark = pytest.mark.commits

ROUNDS = 4


def _comments_in(app: Any, discussion_id: int) -> int:
    with app.app_context():
        count = db.session.scalar(
            select(func.count(Comment.id)).where(Comment.discussion_id == discussion_id)
        )
        db.session.rollback()
        return int(count or 0)


@pytest.fixture
def race(make: Any, token: Any) -> Any:
    project = make.project()
    moderator = make.member(project, "moderator")
    items = make.items(project, 2)
    source = make.discussion(project, make.user(), item=items[0], body="#alpha start")
    target = make.discussion(project, make.user(), item=items[1], body="#beta start")
    return project, token(moderator), source, target, items


@pytest.fixture
def poster(make: Any, token: Any) -> Any:
    """``poster()``: the request headers of a new volunteer."""
    return lambda: token(make.user())


def test_a_reply_that_holds_the_counters_when_a_merge_starts_is_merged_too(app, race, poster):
    """The reply has written the project's and board's counters when the merge, holding the
    comments it found, asks for them: the merge waits, then finds the new reply and moves it
    as well (before the order was kept, it would have stayed behind in a redirect)."""
    _, moderator, source, target, _ = race
    headers = poster()

    def merge() -> list[int]:
        response = app.test_client().post(
            f"/api/v1/discussions/{source.id}/merge", json={"into": target.id}, headers=moderator
        )
        return [response.status_code]

    def reply() -> list[int]:
        response = app.test_client().post(
            f"/api/v1/discussions/{source.id}/comments",
            json={"body": "#alpha #gamma late"},
            headers=headers,
        )
        return [response.status_code]

    steps: dict[str, list[Step]] = {
        "poster": [("UPDATE discussions", None)],
        "merger": [("UPDATE projects", None)],
    }
    with choreographed(app, steps):
        statuses = at_once(named("poster", reply), named("merger", merge))

    with app.app_context():
        paused = db.engine.dialect.name == "postgresql"  # SQLite runs one writer, then the other
    assert statuses == [[201], [200]] if paused else statuses in ([[201], [200]], [[403], [200]])
    assert _comments_in(app, source.id) == 0
    assert _comments_in(app, target.id) == (3 if statuses[0] == [201] else 2)
    check_counters(app)


@pytest.mark.parametrize("action", ["merge", "move"])
def test_replies_racing_a_merge_or_a_move_each_land_once(app, race, poster, action):
    """Posters reply again and again while the moderator merges or moves the discussion: each
    reply is posted where the discussion then was (201), or refused as the discussion changed
    under it (409) or is now merged (403); none is lost, none counted twice."""
    _, moderator, source, target, items = race
    posters = [poster() for _ in range(2)]

    def act() -> list[int]:
        client = app.test_client()
        if action == "merge":
            body: dict[str, Any] = {"into": target.id}
        else:
            body = {"item": items[1].external_id}
        return [
            client.post(
                f"/api/v1/discussions/{source.id}/{action}", json=body, headers=moderator
            ).status_code
        ]

    def reply(headers: dict[str, str]) -> list[int]:
        client = app.test_client()
        url = f"/api/v1/discussions/{source.id}/comments"
        return [
            client.post(url, json={"body": f"#alpha reply {r}"}, headers=headers).status_code
            for r in range(ROUNDS)
        ]

    statuses = at_once(act, *(lambda h=h: reply(h) for h in posters))
    assert statuses[0] == [200]
    replies = [status for batch in statuses[1:] for status in batch]
    assert set(replies) <= {201, 403, 409}, replies
    posted = replies.count(201)
    with app.app_context():
        kept = db.session.get(Discussion, target.id if action == "merge" else source.id)
        assert kept.comment_count == posted + (2 if action == "merge" else 1)
        db.session.rollback()
    check_counters(app)
