"""A sanction holds on every door: pages, the API and the command line; a moderator of one
project has no power in another; bad input is a 422 that changes nothing."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from moderation.models import AuditEntry
from moderation.sanction_models import Sanction
from talk.cli import cli
from talk.extensions import db
from talk.models import Comment
from tests.conftest import Clock, csrf_token, login

API = "/api/v1"
SUSPENDED = "You are suspended from Asylum Registers until 21 March 2026, 12:00 (UTC): spam."


def _act(client: FlaskClient, headers: dict[str, str], who: str, **body: Any) -> Any:
    return client.post(
        f"{API}/projects/here/moderation/people/{who}/actions", json=body, headers=headers
    )


def _comments(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Comment)) or 0


def test_a_suspension_through_the_api_holds_on_api_and_pages_until_it_expires(
    app: Flask,
    client: FlaskClient,
    world: SimpleNamespace,
    token: Any,
    clock: Clock,
    notices: list[dict[str, Any]],
) -> None:
    moderator = token(world.people.moderator)
    made = _act(client, moderator, "sus", action="suspend", reason="spam", days=7, note="Ads")
    assert made.status_code == 201, made.get_json()
    [row] = made.get_json()["data"]
    assert (row["kind"], row["in_force"], row["ends_at"]) == (
        "suspend",
        True,
        "2026-03-21T12:00:00+00:00",
    )
    assert notices[-1]["kind"] == "moderation.suspended"

    here, there = world.discussion.id, world.there.id
    troll = token(world.people.suspended)
    refused = client.post(f"{API}/discussions/{here}/comments", json={"body": "hi"}, headers=troll)
    assert refused.status_code == 403
    assert refused.get_json()["error"]["message"] == SUSPENDED
    elsewhere = client.post(
        f"{API}/discussions/{there}/comments", json={"body": "hi"}, headers=troll
    )
    assert elsewhere.status_code == 201
    assert client.get(f"{API}/discussions/{here}", headers=troll).status_code == 200

    login(client, "sus")
    page = client.get(f"/discussions/{here}")
    assert page.status_code == 200 and SUSPENDED in page.get_data(as_text=True)
    before = _comments(app)
    posted = client.post(
        f"/discussions/{here}",
        data={"body": "let me in", "csrf_token": csrf_token(client, f"/discussions/{here}")},
    )
    assert posted.status_code == 403 and SUSPENDED in posted.get_data(as_text=True)
    assert _comments(app) == before
    standing = client.get("/projects/here/standing").get_data(as_text=True)
    assert SUSPENDED in standing and "Ads" in standing and "Send appeal" in standing

    clock.advance(days=7)
    again = client.post(f"{API}/discussions/{here}/comments", json={"body": "back"}, headers=troll)
    assert again.status_code == 201


def test_a_ban_by_the_command_line_holds_everywhere_until_lifted_there(
    app: Flask, client: FlaskClient, world: SimpleNamespace, token: Any, monkeypatch: Any
) -> None:
    monkeypatch.delenv("FLASK_RUN_FROM_CLI", raising=False)
    runner = app.test_cli_runner()
    banned = runner.invoke(cli, ["moderation", "ban", "sus", "--reason", "spam", "--days", "3"])
    assert banned.exit_code == 0, banned.output
    assert "sus is banned from this site until 17 March 2026, 12:00 (UTC): spam." in banned.output
    troll = token(world.people.suspended)
    for discussion in (world.discussion.id, world.there.id):
        refused = client.post(
            f"{API}/discussions/{discussion}/comments", json={"body": "hi"}, headers=troll
        )
        assert refused.status_code == 403
        assert "banned from this site" in refused.get_json()["error"]["message"]
    listed = runner.invoke(cli, ["moderation", "standing", "sus"])
    assert "\tban\tsite\tspam\t2026-03-17T12:00:00+00:00\tin force" in listed.output
    with app.app_context():
        ban_id = db.session.scalars(select(Sanction.id)).one()
    lifted = runner.invoke(cli, ["moderation", "lift", str(ban_id), "--note", "mistake"])
    assert lifted.exit_code == 0, lifted.output
    ok = client.post(
        f"{API}/discussions/{world.there.id}/comments", json={"body": "hi"}, headers=troll
    )
    assert ok.status_code == 201
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [(e.action, e.actor_id) for e in entries] == [
            ("user.ban", None),
            ("user.lift", None),
        ]
    again = runner.invoke(cli, ["moderation", "lift", str(ban_id)])
    assert again.exit_code == 1 and "not in force" in again.output


def test_a_moderator_of_another_project_finds_nothing_here(
    app: Flask, client: FlaskClient, world: SimpleNamespace, token: Any
) -> None:
    other = token(world.people.other_moderator)
    assert _act(client, other, "vol", action="warn", reason="spam").status_code == 404
    assert client.get(f"{API}/projects/here/moderation/people/vol", headers=other).status_code == (
        404
    )
    login(client, "othermod")
    assert client.get("/projects/here/moderation/people/vol").status_code == 404
    with app.app_context():
        assert db.session.scalars(select(Sanction)).all() == []


def test_a_suspended_moderator_cannot_act_in_that_project(
    app: Flask, client: FlaskClient, world: SimpleNamespace, token: Any
) -> None:
    admin = token(world.people.admin)
    assert _act(client, admin, "mod", action="mute", reason="other", days=1).status_code == 201
    refused = _act(client, token(world.people.moderator), "vol", action="warn", reason="spam")
    assert refused.status_code == 403
    assert "You are muted (read-only) in Asylum Registers" in refused.get_json()["error"]["message"]


@pytest.mark.parametrize(
    "body",
    [
        {"action": "mute", "reason": "spam", "days": 0},
        {"action": "mute", "reason": "spam", "days": -1},
        {"action": "mute", "reason": "spam"},
        {"action": "suspend", "reason": "spam", "days": 7.5},
        {"action": "suspend", "reason": "rudeness", "days": 7},
        {"action": "warn"},
        {"action": "warn", "reason": "spam", "days": 3},
        {"action": "ban", "reason": "spam"},
        {"action": "warn", "reason": "spam", "colour": "red"},
        {"action": "lift"},
    ],
)
def test_bad_actions_are_422_and_change_nothing(
    app: Flask, client: FlaskClient, world: SimpleNamespace, token: Any, body: dict[str, Any]
) -> None:
    response = _act(client, token(world.people.moderator), "vol", **body)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["message"]
    with app.app_context():
        assert db.session.scalars(select(Sanction)).all() == []
        assert db.session.scalars(select(AuditEntry)).all() == []


def test_notes_person_page_and_lift_through_the_api(
    client: FlaskClient, world: SimpleNamespace, token: Any
) -> None:
    moderator = token(world.people.moderator)
    person = f"{API}/projects/here/moderation/people/vol"
    assert client.get(person, headers=moderator).get_json()["suggestion"]["action"] == "warn"
    noted = client.post(f"{person}/notes", json={"body": "Keeps posting ads"}, headers=moderator)
    assert noted.status_code == 201
    assert [
        n["body"] for n in client.get(f"{person}/notes", headers=moderator).get_json()["data"]
    ] == ["Keeps posting ads"]
    assert client.get(f"{person}/notes", headers=token(world.people.expert)).status_code == 404
    assert _act(client, moderator, "vol", action="warn", reason="spam").status_code == 201
    assert _act(client, moderator, "vol", action="mute", reason="spam", days=1).status_code == 201
    shown = client.get(person, headers=moderator).get_json()
    assert [s["kind"] for s in shown["history"]] == ["mute", "warn"]
    assert shown["suggestion"] == {
        "action": "suspend",
        "days": 3,
        "why": "2 earlier decisions: 3 days.",
    }
    lifted = _act(client, moderator, "vol", action="lift", note="Apologised")
    assert lifted.status_code == 201 and lifted.get_json()["data"][0]["in_force"] is False
    assert _act(client, moderator, "vol", action="lift").status_code == 422
