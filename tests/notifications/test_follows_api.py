"""Follows and mutes through the JSON API: /me/follows, /me/mutes and each thing's /follow."""

from __future__ import annotations

import pytest


def _named(world, kind):
    return {
        "discussion": {"type": "discussion", "id": world.thread.id},
        "item": {"type": "item", "id": world.item.id},
        "board": {"type": "board", "id": world.chat.id},
        "tag": {"type": "tag", "project": "herbarium", "name": "Fern"},
        "project": {"type": "project", "project": "herbarium"},
    }[kind]


def _resource(world, kind):
    return {
        "discussion": f"/api/v1/discussions/{world.thread.id}/follow",
        "item": f"/api/v1/projects/herbarium/items/{world.item.external_id}/follow",
        "board": f"/api/v1/boards/{world.chat.id}/follow",
        "tag": "/api/v1/projects/herbarium/tags/fern/follow",
        "project": "/api/v1/projects/herbarium/follow",
    }[kind]


def _mine(client, headers):
    answer = client.get("/api/v1/me/follows", headers=headers)
    assert answer.status_code == 200
    return [(row["type"], row["title"], row["level"]) for row in answer.get_json()["data"]]


KINDS = ["discussion", "item", "board", "tag", "project"]
TITLES = {
    "discussion": "Odd #fern",
    "item": "Sheet 0",
    "board": "Chat",
    "tag": "#fern",
    "project": "Herbarium sheets",
}


@pytest.mark.parametrize("kind", KINDS)
def test_put_get_delete_me_follows(client, world, token, kind):
    headers = token(world.volunteer)
    put = client.put("/api/v1/me/follows", json=_named(world, kind), headers=headers)
    assert put.status_code == 200, put.get_json()
    body = put.get_json()
    assert (body["type"], body["level"], body["origin"]) == (kind, "follow", "chosen")
    assert body["url"].startswith("http://")
    assert _mine(client, headers) == [(kind, TITLES[kind], "follow")]
    again = client.put(
        "/api/v1/me/follows", json={**_named(world, kind), "level": "mute"}, headers=headers
    )
    assert again.get_json()["level"] == "mute"
    gone = client.delete("/api/v1/me/follows", query_string=_named(world, kind), headers=headers)
    assert gone.status_code == 204
    assert _mine(client, headers) == []
    missing = client.delete("/api/v1/me/follows", query_string=_named(world, kind), headers=headers)
    assert missing.status_code == 404


@pytest.mark.parametrize("kind", KINDS)
def test_each_thing_has_a_follow_resource(client, world, token, kind):
    headers = token(world.volunteer)
    put = client.put(_resource(world, kind), json={}, headers=headers)
    assert put.status_code == 200, put.get_json()
    muted = client.put(_resource(world, kind), json={"level": "mute"}, headers=headers)
    assert muted.get_json()["level"] == "mute"
    assert _mine(client, headers) == [(kind, TITLES[kind], "mute")]
    assert client.delete(_resource(world, kind), headers=headers).status_code == 204
    assert _mine(client, headers) == []


def test_visitors_get_401_and_unreadable_things_404(client, world, token):
    for answer in (
        client.get("/api/v1/me/follows"),
        client.put("/api/v1/me/follows", json=_named(world, "project")),
        client.put(_resource(world, "project"), json={}),
        client.get("/api/v1/me/mutes"),
    ):
        assert answer.status_code == 401
    headers = token(world.volunteer)
    for path in (
        f"/api/v1/discussions/{world.secret.id}/follow",
        f"/api/v1/boards/{world.team_room.id}/follow",
    ):
        assert client.put(path, json={}, headers=headers).status_code == 404
    hidden = client.put(
        "/api/v1/me/follows", json={"type": "board", "id": world.team_room.id}, headers=headers
    )
    assert hidden.status_code == 404
    assert _mine(client, headers) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "planet", "id": 1}, "type"),
        ({"type": "discussion"}, "id"),
        ({"type": "discussion", "id": "twelve"}, "id"),
        ({"type": "tag", "project": "herbarium"}, "name"),
        ({"type": "project", "project": "herbarium", "level": "loud"}, "level"),
        ({"type": "project", "project": "herbarium", "colour": "red"}, "colour"),
    ],
)
def test_bad_bodies_answer_422_naming_the_field(client, world, token, body, field):
    answer = client.put("/api/v1/me/follows", json=body, headers=token(world.volunteer))
    assert answer.status_code == 422
    assert field in answer.get_json()["error"]["fields"]


def test_another_persons_follows_are_not_listed(client, world, token):
    mine, theirs = token(world.volunteer), token(world.other)
    client.put("/api/v1/me/follows", json=_named(world, "project"), headers=mine)
    # The other person follows only the thread they started.
    assert _mine(client, theirs) == [("discussion", "Odd #fern", "follow")]
    assert ("project", "Herbarium sheets", "follow") in _mine(client, mine)


def test_mutes_through_the_api(client, world, token):
    headers = token(world.volunteer)
    put = client.put("/api/v1/me/mutes/other", json={}, headers=headers)
    assert put.status_code == 201 and put.get_json()["user"]["username"] == "other"
    assert client.put("/api/v1/me/mutes/other", json={}, headers=headers).status_code == 409
    assert client.put("/api/v1/me/mutes/vol", json={}, headers=headers).status_code == 403
    listed = client.get("/api/v1/me/mutes", headers=headers).get_json()
    assert [row["user"]["username"] for row in listed["data"]] == ["other"]
    assert client.delete("/api/v1/me/mutes/other", headers=headers).status_code == 204
    assert client.delete("/api/v1/me/mutes/other", headers=headers).status_code == 404
    assert client.put("/api/v1/me/mutes/nobody", json={}, headers=headers).status_code == 404


def test_the_openapi_document_lists_the_follow_resources(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {
        "/api/v1/me/follows",
        "/api/v1/me/mutes",
        "/api/v1/me/mutes/{username}",
        "/api/v1/discussions/{discussion_id}/follow",
        "/api/v1/projects/{slug}/tags/{name}/follow",
    } <= set(paths)


def test_a_project_scoped_token_follows_in_its_project_only(client, app, world, make):
    from talk.extensions import db
    from talk.models import Project, User
    from talk.services import tokens

    make.project("registers", title="Parish registers")
    with make.context():
        volunteer = db.session.get(User, world.volunteer.id)
        herbarium = db.session.get(Project, world.project.id)
        secret = tokens.issue_token(volunteer, volunteer, project=herbarium).secret
    headers = {"Authorization": f"Bearer {secret}"}
    inside = client.put("/api/v1/projects/herbarium/follow", json={}, headers=headers)
    assert inside.status_code == 200
    outside = client.put("/api/v1/projects/registers/follow", json={}, headers=headers)
    assert outside.status_code == 403
    assert "limited to the project 'herbarium'" in outside.get_json()["error"]["message"]
    # Its own follows are the account's, not a project's: the scope refuses listing them.
    assert client.get("/api/v1/me/follows", headers=headers).status_code == 403
