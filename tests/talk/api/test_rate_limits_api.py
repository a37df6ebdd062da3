"""Rate limits in the API: 429, ``Retry-After`` and the error shape, and nothing written.

The suite runs with the limits off (``TEST_CONFIG``); each test here turns them on, with
rates of its own where the defaults would need many requests. No test sleeps: the windows
never pass during a test, and the ``app`` fixture empties the limiter's storage before each."""

from __future__ import annotations

from typing import Any

import pytest

from tests.talk.api.conftest import API


@pytest.fixture
def limited(app: Any) -> Any:
    """The limits on, with their defaults (1 comment per 5 seconds per account)."""
    app.config["TALK_RATE_LIMITS"] = True
    return app


def comments_url(world: Any) -> str:
    return f"{API}/discussions/{world.discussion.id}/comments"


def assert_rate_limited(response: Any, expect_error: Any, *, within: int) -> dict[str, Any]:
    error = expect_error(response, 429, "rate_limited")
    assert 0 < int(response.headers["Retry-After"]) <= within
    return error


def test_a_second_comment_within_five_seconds_is_429_and_changes_nothing(
    limited, client, world, counts, expect_error
):
    url = comments_url(world)
    assert (
        client.post(url, json={"body": "An oak."}, headers=world.volunteer_auth).status_code == 201
    )
    before = counts()
    response = client.post(url, json={"body": "And a beech."}, headers=world.volunteer_auth)
    error = assert_rate_limited(response, expect_error, within=5)
    assert "Too many comments" in error["message"] and "1 per 5 seconds" in error["message"]
    assert counts() == before
    # another account is not held up by this one's limit
    assert client.post(url, json={"body": "An ash."}, headers=world.team_auth).status_code == 201


def test_the_limits_switched_off_let_a_flood_through(app, client, world):
    app.config["TALK_RATE_LIMITS"] = False
    url = comments_url(world)
    statuses = {
        client.post(url, json={"body": f"Flood {n}"}, headers=world.volunteer_auth).status_code
        for n in range(12)
    }
    assert statuses == {201}


def test_one_client_address_is_limited_whatever_the_account(limited, client, world, expect_error):
    limited.config["TALK_RATE_LIMIT_COMMENTS_PER_CLIENT"] = "2 per minute"
    url = comments_url(world)
    same = {"REMOTE_ADDR": "198.51.100.7"}
    for n, auth in enumerate((world.volunteer_auth, world.team_auth)):
        posted = client.post(url, json={"body": f"One {n}"}, headers=auth, environ_base=same)
        assert posted.status_code == 201
    third = client.post(
        url, json={"body": "Three"}, headers=world.moderator_auth, environ_base=same
    )
    assert_rate_limited(third, expect_error, within=60)
    elsewhere = client.post(
        url,
        json={"body": "Three"},
        headers=world.moderator_auth,
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )
    assert elsewhere.status_code == 201


def test_starting_discussions_is_limited_on_boards_and_items(
    limited, client, world, counts, expect_error
):
    limited.config["TALK_RATE_LIMIT_DISCUSSIONS_PER_ACCOUNT"] = "1 per minute"
    limited.config["TALK_RATE_LIMIT_COMMENTS_PER_ACCOUNT"] = "100 per minute"
    board = f"{API}/boards/{world.project.boards['Chat'].id}/discussions"
    started = client.post(
        board, json={"title": "Leaves", "body": "Oak?"}, headers=world.volunteer_auth
    )
    assert started.status_code == 201, started.get_json()
    before = counts()
    again = client.post(
        board, json={"title": "Bark", "body": "Beech?"}, headers=world.volunteer_auth
    )
    assert (
        "Too many new discussions" in assert_rate_limited(again, expect_error, within=60)["message"]
    )
    on_item = client.post(
        f"{API}/projects/herbarium/items/{world.item.external_id}/discussions",
        json={"title": "This sheet", "body": "Ash?"},
        headers=world.volunteer_auth,
    )
    assert_rate_limited(on_item, expect_error, within=60)
    assert counts() == before


def test_people_mentioned_are_counted_and_a_refusal_counts_nothing(
    limited, client, make, world, expect_error
):
    for name in ("ann", "bob", "cyd"):
        make.user(name)
    limited.config["TALK_RATE_LIMIT_COMMENTS_PER_ACCOUNT"] = "3 per minute"
    limited.config["TALK_RATE_LIMIT_MENTIONS_PER_ACCOUNT"] = "2 per minute"
    url = comments_url(world)

    def post(body: str) -> Any:
        return client.post(url, json={"body": body}, headers=world.volunteer_auth)

    # the author naming themself, and a name nobody has, count nothing
    assert post("@ann and @volunteer and @nobody, see this").status_code == 201
    error = assert_rate_limited(post("@bob and @cyd, and you?"), expect_error, within=60)
    assert "Too many mentions of people" in error["message"]
    assert post("@bob, and you?").status_code == 201  # the refused comment was not counted
    assert post("No one named.").status_code == 201
    assert_rate_limited(post("Fourth comment."), expect_error, within=60)


def test_an_edit_is_charged_only_for_the_people_it_newly_names(
    limited, client, make, world, expect_error
):
    for name in ("ann", "bob"):
        make.user(name)
    limited.config["TALK_RATE_LIMIT_MENTIONS_PER_ACCOUNT"] = "2 per minute"
    posted = client.post(
        comments_url(world), json={"body": "@ann look"}, headers=world.volunteer_auth
    )
    url = f"{API}/comments/{posted.get_json()['id']}"
    patch = {"body": "@ann look again, @bob"}
    assert client.patch(url, json=patch, headers=world.volunteer_auth).status_code == 200
    same_people = client.patch(
        url, json={"body": "@ann @bob @volunteer @ann, @nobody"}, headers=world.volunteer_auth
    )
    assert same_people.status_code == 200  # nobody new (who exists): nothing charged
    make.user("eve")
    third = client.patch(url, json={"body": "@ann @bob @eve"}, headers=world.volunteer_auth)
    assert_rate_limited(third, expect_error, within=60)
