"""``/api/v1/me/blocks``: block, list and unblock people; the refusals say why and change
nothing."""

from __future__ import annotations

from tests.talk.api.conftest import API


def test_block_list_and_unblock(client, world, clock):
    auth = world.volunteer_auth
    put = client.put(f"{API}/me/blocks/outsider", json={}, headers=auth)
    assert put.status_code == 201, put.get_json()
    assert put.get_json()["user"]["username"] == "outsider"
    clock.advance(minutes=1)
    assert client.put(f"{API}/me/blocks/staffer", json={}, headers=auth).status_code == 201
    listed = client.get(f"{API}/me/blocks", query_string={"limit": 1}, headers=auth).get_json()
    assert [row["user"]["username"] for row in listed["data"]] == ["staffer"]
    rest = client.get(
        f"{API}/me/blocks", query_string={"cursor": listed["next_cursor"]}, headers=auth
    ).get_json()
    assert [row["user"]["username"] for row in rest["data"]] == ["outsider"]
    assert client.delete(f"{API}/me/blocks/outsider", headers=auth).status_code == 204
    names = [
        r["user"]["username"] for r in client.get(f"{API}/me/blocks", headers=auth).json["data"]
    ]
    assert names == ["staffer"]
    # the list is the caller's own: the blocked person's list is empty
    theirs = client.get(f"{API}/me/blocks", headers=world.team_auth).get_json()
    assert theirs["data"] == []


def test_refusals_are_clear_and_change_nothing(client, world, counts, expect_error):
    auth = world.volunteer_auth
    client.put(f"{API}/me/blocks/outsider", json={}, headers=auth)
    before = counts()
    expect_error(
        client.put(f"{API}/me/blocks/volunteer", json={}, headers=auth), 422, "invalid", "username"
    )
    expect_error(client.put(f"{API}/me/blocks/nobody", json={}, headers=auth), 404, "not_found")
    expect_error(client.put(f"{API}/me/blocks/outsider", json={}, headers=auth), 409, "conflict")
    expect_error(client.delete(f"{API}/me/blocks/staffer", headers=auth), 404, "not_found")
    expect_error(client.put(f"{API}/me/blocks/staffer", json={}), 401, "unauthenticated")
    expect_error(client.get(f"{API}/me/blocks"), 401, "unauthenticated")
    assert counts() == before
