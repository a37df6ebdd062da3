"""The moderators' thread actions through the API: each answers the discussion as it is now,
and bad input is a 422 naming the field that changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

API = "/api/v1"


@pytest.fixture
def place(make: Any, token: Any) -> Any:
    project = make.project("herbarium")
    moderator = token(make.member(project, "moderator"))
    volunteer = make.user()
    items = make.items(project, 2, prefix="sheet")
    thread = make.discussion(project, volunteer, item=items[0], title="Oak", body="An oak")
    reply = make.comment(thread, make.user(), "A leaf")
    chat = make.discussion(project, volunteer, title="Greetings", body="Hello")
    return moderator, token(volunteer), thread, reply, chat, items


def test_lock_pin_move_merge_and_split(client, place):
    moderator, volunteer, thread, reply, chat, items = place
    url = f"{API}/discussions/{thread.id}"
    locked = client.post(f"{url}/lock", json={"locked": True}, headers=moderator).get_json()
    assert locked["locked"] is True
    refused = client.post(f"{url}/comments", json={"body": "Hello?"}, headers=volunteer)
    assert refused.status_code == 403
    assert (
        client.post(f"{url}/comments", json={"body": "Closed."}, headers=moderator).status_code
        == 201
    )
    pinned = client.post(f"{url}/pin", json={"pinned": True}, headers=moderator).get_json()
    assert pinned["pinned"] is True
    moved = client.post(f"{url}/move", json={"item": items[1].external_id}, headers=moderator)
    assert moved.get_json()["item"]["external_id"] == items[1].external_id
    split = client.post(
        f"{url}/split", json={"comment_ids": [reply.id], "title": "Leaves"}, headers=moderator
    )
    assert split.status_code == 201 and split.get_json()["title"] == "Leaves"
    merged = client.post(
        f"{API}/discussions/{chat.id}/merge", json={"into": thread.id}, headers=moderator
    )
    assert merged.status_code == 200 and merged.get_json()["id"] == thread.id
    assert merged.get_json()["comment_count"] == 3
    gone = client.get(f"{API}/discussions/{chat.id}")
    assert gone.status_code == 301
    listed = client.get(f"{API}/discussions/{chat.id}/comments?limit=5")
    assert listed.status_code == 301
    assert listed.headers["Location"].endswith(f"/discussions/{thread.id}/comments")


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("lock", {}, "locked"),
        ("lock", {"locked": "yes please"}, "locked"),
        ("move", {"item": "no-such-sheet"}, "item"),
        ("move", {"board_id": 2147483647}, "board_id"),
        ("move", {}, "board"),
        ("merge", {"into": 2147483647}, "into"),
        ("merge", {"into": "{self}"}, "into"),
        ("split", {"comment_ids": [], "title": "x"}, "comment_ids"),
        ("split", {"comment_ids": ["{first}"], "title": "x"}, "comments"),
        ("split", {"comment_ids": ["{reply}"], "title": "   "}, "title"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(client, place, action, body, field):
    moderator, _, thread, reply, _, items = place
    values = {"{self}": thread.id, "{first}": thread.first_comment_id, "{reply}": reply.id}
    body = {
        key: [values.get(v, v) for v in value]
        if isinstance(value, list)
        else values.get(value, value)
        for key, value in body.items()
    }
    url = f"{API}/discussions/{thread.id}"
    response = client.post(f"{url}/{action}", json=body, headers=moderator)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]
    after = client.get(url).get_json()
    assert (after["locked"], after["item"]["external_id"], after["comment_count"]) == (
        False,
        items[0].external_id,
        2,
    )
