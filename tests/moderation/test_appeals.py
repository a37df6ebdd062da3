"""Appeals: once per decision, decided by another moderator where one exists (else by the
same, and the page says so); overturning lifts; the person is told."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from moderation.models import AuditEntry
from moderation.sanction_models import Appeal
from talk.extensions import db
from tests.conftest import Factory, csrf_token, login
from tests.moderation.people import logout

API = "/api/v1"


def _suspend(client: FlaskClient, headers: dict[str, str], who: str = "sus") -> int:
    made = client.post(
        f"{API}/projects/here/moderation/people/{who}/actions",
        json={"action": "suspend", "reason": "harassment", "days": 30},
        headers=headers,
    )
    assert made.status_code == 201, made.get_json()
    sanction_id: int = made.get_json()["data"][0]["id"]
    return sanction_id


def _appeal(client: FlaskClient, headers: dict[str, str], sanction_id: int, note: str) -> Any:
    return client.post(
        f"{API}/moderation/sanctions/{sanction_id}/appeal", json={"note": note}, headers=headers
    )


def _decide(client: FlaskClient, headers: dict[str, str], appeal_id: int, outcome: str) -> Any:
    return client.post(
        f"{API}/moderation/appeals/{appeal_id}/decision",
        json={"outcome": outcome, "note": "Reviewed the thread"},
        headers=headers,
    )


def test_an_overturned_appeal_lifts_the_suspension_and_tells_the_person(
    app: Flask,
    client: FlaskClient,
    world: SimpleNamespace,
    token: Any,
    notices: list[dict[str, Any]],
) -> None:
    moderator, admin = token(world.people.moderator), token(world.people.admin)
    troll = token(world.people.suspended)
    sanction_id = _suspend(client, moderator)
    appealed = _appeal(client, troll, sanction_id, "I was quoting the register")
    assert appealed.status_code == 201 and appealed.get_json()["state"] == "open"
    assert _appeal(client, troll, sanction_id, "Again").status_code == 409
    assert _appeal(client, token(world.people.volunteer), sanction_id, "Me").status_code == 404

    listed = client.get(f"{API}/projects/here/moderation/appeals?state=open", headers=admin)
    [row] = listed.get_json()["data"]
    assert (row["note"], row["decided_alone"]) == ("I was quoting the register", False)
    assert (
        client.get(
            f"{API}/projects/here/moderation/appeals", headers=token(world.people.other_moderator)
        ).status_code
        == 404
    )

    refused = _decide(client, moderator, row["id"], "upheld")
    assert refused.status_code == 403  # the moderator who decided, while another exists
    assert _decide(client, troll, row["id"], "overturned").status_code == 404
    assert _decide(client, admin, row["id"], "maybe").status_code == 422
    decided = _decide(client, admin, row["id"], "overturned")
    assert decided.status_code == 200, decided.get_json()
    assert decided.get_json()["sanction"]["in_force"] is False
    assert _decide(client, admin, row["id"], "upheld").status_code == 403  # decided already

    ok = client.post(
        f"{API}/discussions/{world.discussion.id}/comments", json={"body": "hi"}, headers=troll
    )
    assert ok.status_code == 201
    assert notices[-1]["kind"] == "moderation.appeal_outcome"
    assert notices[-1]["to"] == "sus"
    assert "overturned" in notices[-1]["text"]
    with app.app_context():
        actions = db_actions()
    assert actions == ["user.suspend", "appeal.create", "appeal.overturn", "user.lift"]


def db_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_with_no_other_moderator_the_decider_decides_and_the_page_says_so(
    app: Flask, client: FlaskClient, make: Factory, token: Any, notices: list[dict[str, Any]]
) -> None:
    lonely = make.project("lonely", title="Parish Minutes")
    moderator = lonely.owner  # its only staff
    make.user("writer")
    made = client.post(
        f"{API}/projects/lonely/moderation/people/writer/actions",
        json={"action": "warn", "reason": "off_topic"},
        headers=token(moderator),
    )
    sanction_id = made.get_json()["data"][0]["id"]
    login(client, "writer")
    page = client.get("/projects/lonely/standing").get_data(as_text=True)
    assert "A moderator warned you" not in page and "Off-topic" not in page
    assert "Warn" in page and "off-topic" in page
    client.post(
        f"/moderation/sanctions/{sanction_id}/appeal",
        data={
            "note": "It was on topic",
            "csrf_token": csrf_token(client, "/projects/lonely/standing"),
        },
    )
    logout(client)
    login(client, moderator.username)
    appeals = client.get("/projects/lonely/moderation/appeals")
    html = appeals.get_data(as_text=True)
    assert "It was on topic" in html
    assert "No other moderator can decide it" in html
    with app.app_context():
        appeal_id = db.session.scalars(select(Appeal.id)).one()
    decided = client.post(
        f"/moderation/appeals/{appeal_id}/decision",
        data={
            "outcome": "upheld",
            "note": "",
            "csrf_token": csrf_token(client, "/projects/lonely/moderation/appeals"),
        },
    )
    assert decided.status_code == 302
    assert notices[-1]["text"] == "Your appeal was turned down: the warn in Parish Minutes stands."
    shown = client.get("/projects/lonely/moderation/appeals?state=upheld").get_data(as_text=True)
    assert "Upheld" in shown


def test_two_deciding_or_lifting_at_once_the_second_is_told(
    app: Flask, world: SimpleNamespace
) -> None:
    """Each request holds its own copy of the rows; the one that reads them second, after the
    first has decided, gets a 409 rather than overwriting the decision."""
    from moderation import appeals, sanctions
    from moderation.sanction_models import Sanction
    from talk.errors import Conflict
    from tests.moderation.people import project, user

    with app.app_context():
        suspension = sanctions.suspend(
            user(world.people.moderator),
            project(world.here),
            user(world.people.suspended),
            days=3,
            reason="spam",
        )
        row = appeals.appeal(user(world.people.suspended), suspension, "Unfair")
        db.session.commit()
        ids = (suspension.id, row.id)
    with app.app_context():
        stale_appeal = db.session.get(Appeal, ids[1])
        stale_sanction = db.session.get(Sanction, ids[0])
        assert stale_appeal is not None and stale_sanction is not None
        assert stale_appeal.state == "open" and stale_sanction.lifted_at is None
        with app.app_context():  # another request, first
            first = db.session.get(Appeal, ids[1])
            assert first is not None
            appeals.decide(user(world.people.admin), first, "overturned")
            db.session.commit()
        with pytest.raises(Conflict, match="decided already"):
            appeals.decide(user(world.people.site_admin), stale_appeal, "upheld")
        with pytest.raises(Conflict, match="lifted already"):
            sanctions.end_sanction(
                user(world.people.site_admin),
                stale_sanction,
                action="user.lift",
                note="",
                case_id=None,
            )
        # (no rollback here: in the tests every session nests in one transaction, so rolling
        # back this one would undo the other's commit too)
        assert db_actions() == ["user.suspend", "appeal.create", "appeal.overturn", "user.lift"]
