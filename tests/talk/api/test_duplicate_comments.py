"""The same comment posted twice within ``TALK_DUPLICATE_COMMENT_MINUTES`` is refused (409).

The suite runs with the rule off (``TEST_CONFIG``: fixtures post the same text freely); these
tests turn it on. Time moves with the injected clock."""

from __future__ import annotations

from typing import Any

import pytest

from tests.talk.api.conftest import API


@pytest.fixture
def duplicates_refused(app: Any) -> Any:
    app.config["TALK_DUPLICATE_COMMENT_MINUTES"] = 5
    return app


def post(client: Any, discussion_id: int, body: str, auth: dict[str, str]) -> Any:
    return client.post(
        f"{API}/discussions/{discussion_id}/comments", json={"body": body}, headers=auth
    )


def test_the_same_text_again_is_409_whatever_its_spacing(
    duplicates_refused, client, world, counts, expect_error
):
    thread, auth = world.discussion.id, world.volunteer_auth
    assert post(client, thread, "An oak,\nI think.", auth).status_code == 201
    before = counts()
    for again in ("An oak,\nI think.", "  An oak, I   think.\n"):
        error = expect_error(post(client, thread, again, auth), 409, "duplicate_comment", "body")
        assert "same comment" in error["message"]
    assert counts() == before


def test_other_text_authors_threads_and_later_times_are_not_duplicates(
    duplicates_refused, client, make, world, clock
):
    other = make.discussion(world.project, world.team, title="Another")
    thread, auth = world.discussion.id, world.volunteer_auth
    assert post(client, thread, "Thanks!", auth).status_code == 201
    assert post(client, thread, "Thanks!!", auth).status_code == 201
    assert post(client, thread, "thanks!", auth).status_code == 201  # case is meaning
    assert post(client, thread, "Thanks!", world.team_auth).status_code == 201
    assert post(client, other.id, "Thanks!", auth).status_code == 201
    clock.advance(minutes=4, seconds=59)
    assert post(client, thread, "Thanks!", auth).status_code == 409
    clock.advance(seconds=2)
    assert post(client, thread, "Thanks!", auth).status_code == 201


def test_a_deleted_comment_may_be_posted_again(duplicates_refused, client, world):
    thread, auth = world.discussion.id, world.volunteer_auth
    first = post(client, thread, "An ok.", auth).get_json()
    assert client.delete(f"{API}/comments/{first['id']}", headers=auth).status_code == 200
    assert post(client, thread, "An ok.", auth).status_code == 201


def test_zero_minutes_allows_the_same_text(app, client, world):
    app.config["TALK_DUPLICATE_COMMENT_MINUTES"] = 0
    thread, auth = world.discussion.id, world.volunteer_auth
    assert [post(client, thread, "+1", auth).status_code for _ in range(2)] == [201, 201]
