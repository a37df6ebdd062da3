"""A muted or suspended volunteer still reports what they read in that project (being harassed
while suspended stays reportable), within the report limits; a site ban still refuses it
(docs/sanctions.md, "The veto")."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from moderation import sanctions
from moderation.case_models import Case, Report
from talk.extensions import db
from tests.conftest import Factory, csrf_token, login
from tests.moderation.people import project, user

API = "/api/v1"


def _sanction(make: Factory, world: SimpleNamespace, kind: str) -> None:
    with make.context():
        moderator, person = user(world.people.moderator), user(world.people.suspended)
        if kind == "ban":
            sanctions.ban(user(world.people.site_admin), person, reason="spam", days=7)
        else:
            act = sanctions.mute if kind == "mute" else sanctions.suspend
            act(moderator, project(world.here), person, days=7, reason="spam")
        db.session.commit()


def _reports(app: Flask) -> list[tuple[int, int]]:
    """(case id, reporter id) of every report."""
    with app.app_context():
        return [tuple(r) for r in db.session.execute(select(Report.case_id, Report.reporter_id))]


@pytest.mark.parametrize("kind", ["suspend", "mute"])
def test_a_suspended_or_muted_volunteer_reports_a_comment_by_page_and_api(
    app: Flask, client: FlaskClient, make: Factory, world: SimpleNamespace, token: Any, kind: str
) -> None:
    _sanction(make, world, kind)
    harasser = make.user("harasser")
    first = make.comment(world.discussion, harasser, "You again, troll")
    second = make.comment(world.discussion, harasser, "Nobody wants you here")

    login(client, "sus")
    form = f"/report/comment/{first.id}"
    assert client.get(form).status_code == 200
    sent = client.post(form, data={"reason": "harassment", "csrf_token": csrf_token(client, form)})
    assert sent.status_code == 302, sent.get_data(as_text=True)[:300]
    posted = client.post(
        f"{API}/reports",
        json={"target_type": "comment", "target_id": second.id, "reason": "harassment"},
        headers=token(world.people.suspended),
    )
    assert posted.status_code == 201, posted.get_json()

    with app.app_context():
        cases = db.session.scalars(select(Case).order_by(Case.id)).all()
        assert [(c.target_type, c.target_id, c.state) for c in cases] == [
            ("comment", first.id, "open"),
            ("comment", second.id, "open"),
        ]
    assert [reporter for _, reporter in _reports(app)] == [world.people.suspended.id] * 2
    # Still kept from writing there.
    reply = client.post(
        f"{API}/discussions/{world.discussion.id}/comments",
        json={"body": "hi"},
        headers=token(world.people.suspended),
    )
    assert reply.status_code == 403


def test_a_suspended_volunteers_reports_still_count_against_the_limit(
    app: Flask, client: FlaskClient, make: Factory, world: SimpleNamespace, token: Any
) -> None:
    _sanction(make, world, "suspend")
    app.config["TALK_RATE_LIMITS"] = True
    app.config["TALK_RATE_LIMIT_REPORTS_PER_ACCOUNT"] = "1 per day"
    harasser = make.user("harasser")
    comments = [make.comment(world.discussion, harasser, f"Go away {n}") for n in range(2)]
    headers = token(world.people.suspended)
    answers = [
        client.post(
            f"{API}/reports",
            json={"target_type": "comment", "target_id": c.id, "reason": "harassment"},
            headers=headers,
        )
        for c in comments
    ]
    assert [a.status_code for a in answers] == [201, 429]
    assert len(_reports(app)) == 1


def test_a_site_banned_person_still_cannot_report(
    app: Flask, client: FlaskClient, make: Factory, world: SimpleNamespace, token: Any
) -> None:
    _sanction(make, world, "ban")
    comment = make.comment(world.discussion, make.user("harasser"), "You again")
    refused = client.post(
        f"{API}/reports",
        json={"target_type": "comment", "target_id": comment.id, "reason": "harassment"},
        headers=token(world.people.suspended),
    )
    assert refused.status_code == 403
    assert "banned from this site" in refused.get_json()["error"]["message"]
    login(client, "sus")
    form = f"/report/comment/{comment.id}"
    page = client.post(form, data={"reason": "spam", "csrf_token": csrf_token(client, form)})
    assert page.status_code == 403 and "banned from this site" in page.get_data(as_text=True)
    assert _reports(app) == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Case)) == 0
