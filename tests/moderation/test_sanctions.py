"""Sanction services: each action is recorded, audited and told; escalation is suggested from
the person's history; expiry is by the injected clock."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from moderation import sanctions
from moderation.models import AuditEntry
from moderation.sanction_rules import sanctioned
from notifications.models import OutboxMessage
from talk import policy
from talk.errors import InvalidInput, PermissionDenied
from talk.extensions import db
from talk.models import Discussion
from tests.conftest import Clock
from tests.moderation.people import project, user


def _suspend(app: Flask, world: SimpleNamespace, days: int | None = 7, **kwargs: Any) -> int:
    with app.app_context():
        made = sanctions.suspend(
            user(world.people.moderator),
            project(world.here),
            user(world.people.suspended),
            days=days,
            reason=kwargs.get("reason", "spam"),
            note=kwargs.get("note", "Selling watches"),
        )
        db.session.commit()
        return made.id


def test_a_suspension_is_audited_told_and_vetoes_writes_in_its_project_only(
    app: Flask, world: SimpleNamespace, notices: list[dict[str, Any]], clock: Clock
) -> None:
    sanction_id = _suspend(app, world)
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry)).one()
        assert (entry.action, entry.reason, entry.subject_user_id) == (
            "user.suspend",
            "spam",
            world.people.suspended.id,
        )
        assert entry.after == {
            "sanction_id": sanction_id,
            "kind": "suspend",
            "ends_at": "2026-03-21T12:00:00+00:00",
        }
        assert entry.before == {"in_force": []}
        person = user(world.people.suspended)
        here = db.session.get(Discussion, world.discussion.id)
        there = db.session.get(Discussion, world.there.id)
        reason = policy.refusal(person, "discussion.reply", here)
        assert reason == (
            "You are suspended from Asylum Registers until 21 March 2026, 12:00 (UTC): spam."
        )
        assert policy.may(person, "discussion.read", here)
        assert policy.may(person, "discussion.reply", there)
        assert policy.may(
            person, "sanction.appeal", db.session.get(sanctions.Sanction, sanction_id)
        )
    assert notices == [
        {
            "to": "sus",
            "kind": "moderation.suspended",
            "text": "You are suspended from Asylum Registers until 21 March 2026, 12:00 (UTC): "
            "spam. Selling watches",
            "url": "/projects/here/standing",
        }
    ]


def test_it_expires_by_time_alone(app: Flask, world: SimpleNamespace, clock: Clock) -> None:
    _suspend(app, world, days=1)
    clock.advance(hours=23, minutes=59)
    with app.app_context():
        here = db.session.get(Discussion, world.discussion.id)
        assert not policy.may(user(world.people.suspended), "discussion.reply", here)
    clock.advance(minutes=1)
    with app.app_context():
        assert policy.may(user(world.people.suspended), "discussion.reply", here)


def test_an_indefinite_suspension_lasts_until_lifted(
    app: Flask, world: SimpleNamespace, clock: Clock, notices: list[dict[str, Any]]
) -> None:
    sanction_id = _suspend(app, world, days=None)
    clock.advance(days=4000)
    with app.app_context():
        person = user(world.people.suspended)
        here = db.session.get(Discussion, world.discussion.id)
        assert "indefinitely" in (policy.refusal(person, "discussion.reply", here) or "")
        sanctions.lift(
            user(world.people.admin), db.session.get(sanctions.Sanction, sanction_id), note="ok"
        )
        db.session.commit()
        assert policy.may(user(world.people.suspended), "discussion.reply", here)
        actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions == ["user.suspend", "user.lift"]
        with pytest.raises(InvalidInput, match="not in force"):
            sanctions.lift(
                user(world.people.admin), db.session.get(sanctions.Sanction, sanction_id)
            )
    assert [n["kind"] for n in notices] == ["moderation.suspended", "moderation.lifted"]


def test_a_site_ban_refuses_every_write_but_reads_and_appeals(
    app: Flask, world: SimpleNamespace, notices: list[dict[str, Any]]
) -> None:
    with app.app_context():
        ban = sanctions.ban(
            user(world.people.site_admin), user(world.people.suspended), reason="spam", days=30
        )
        db.session.commit()
        person = user(world.people.suspended)
        there = db.session.get(Discussion, world.there.id)
        refusal = policy.refusal(person, "discussion.reply", there) or ""
        assert refusal.startswith("You are banned from this site until 13 April 2026")
        assert policy.refusal(person, "token.create", person) == refusal
        assert policy.may(person, "discussion.read", there)
        assert policy.may(person, "sanction.appeal", ban)
        assert policy.may(person, "token.manage", person)
        assert policy.may(person, "account.settings", person)
    assert notices == []  # a site-wide decision is in no project: account mail tells it
    with app.app_context():
        mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.category == "account"))
        (message,) = mail.all()
        assert message.to_address == "sus@example.org"
        assert "banned from this site" in message.text_body and "/me/standing" in message.text_body


def test_only_site_admins_ban_and_nobody_bans_a_site_admin(
    app: Flask, world: SimpleNamespace
) -> None:
    with app.app_context():
        for who in ("moderator", "admin"):
            with pytest.raises(PermissionDenied):
                sanctions.ban(
                    user(getattr(world.people, who)), user(world.people.volunteer), reason="spam"
                )
        with pytest.raises(PermissionDenied):
            sanctions.ban(policy.OPERATOR, user(world.people.site_admin), reason="spam")


@pytest.mark.parametrize(
    ("actor", "target"),
    [
        ("moderator", "moderator"),  # themselves
        ("moderator", "admin"),  # above them
        ("admin", "site_admin"),
        ("other_moderator", "volunteer"),  # another project's moderator
        ("expert", "volunteer"),
        ("volunteer", "expert"),
    ],
)
def test_who_may_not_sanction_whom(
    app: Flask, world: SimpleNamespace, actor: str, target: str
) -> None:
    with app.app_context():
        with pytest.raises(PermissionDenied):
            sanctions.warn(
                user(getattr(world.people, actor)),
                project(world.here),
                user(getattr(world.people, target)),
                reason="spam",
            )
        assert db.session.scalars(select(AuditEntry)).all() == []


@pytest.mark.parametrize(
    ("call", "field"),
    [
        ({"action": "mute", "days": 0}, "days"),
        ({"action": "mute", "days": -3}, "days"),
        ({"action": "suspend", "days": 3651}, "days"),
        ({"action": "suspend", "days": True}, "days"),
        ({"action": "warn", "reason": "rudeness"}, "reason"),
        ({"action": "warn", "note": "x" * 5001}, "note"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_changes_nothing(
    app: Flask, world: SimpleNamespace, call: dict[str, Any], field: str
) -> None:
    args = {"reason": call.get("reason", "spam"), "note": call.get("note", "")}
    with app.app_context():
        action = getattr(sanctions, call["action"])
        if "days" in call:
            args["days"] = call["days"]
        with pytest.raises(InvalidInput) as refused:
            action(
                user(world.people.moderator),
                project(world.here),
                user(world.people.volunteer),
                **args,
            )
        assert field in refused.value.fields
        assert db.session.scalars(select(sanctions.Sanction)).all() == []


def test_escalation_follows_the_ladder_and_forgets_overturned_decisions(
    app: Flask, world: SimpleNamespace
) -> None:
    with app.app_context():
        here, person = project(world.here), user(world.people.volunteer)
        moderator = user(world.people.moderator)
        steps = []
        for _ in range(6):
            step = sanctions.suggest(here, person)
            steps.append((step.action, step.days))
            if step.action == "warn":
                sanctions.warn(moderator, here, person, reason="spam")
            elif step.action == "mute":
                sanctions.mute(moderator, here, person, days=step.days or 1, reason="spam")
            else:
                sanctions.suspend(moderator, here, person, days=step.days, reason="spam")
        assert steps == [
            ("warn", None),
            ("mute", 1),
            ("suspend", 3),
            ("suspend", 7),
            ("suspend", 30),
            ("suspend", None),
        ]
        elsewhere = sanctions.suggest(project(world.elsewhere), person)
        assert (elsewhere.action, elsewhere.days) == ("warn", None)


def test_notes_are_private_to_the_projects_moderators(app: Flask, world: SimpleNamespace) -> None:
    with app.app_context():
        here, person = project(world.here), user(world.people.volunteer)
        sanctions.add_note(user(world.people.moderator), here, person, "  Asked twice to stop. ")
        assert [n.body for n in sanctions.notes(user(world.people.admin), here, person)] == [
            "Asked twice to stop."
        ]
        for outsider in ("other_moderator", "expert", "volunteer"):
            with pytest.raises(sanctions.NotFound):
                sanctions.notes(user(getattr(world.people, outsider)), here, person)
        with pytest.raises(InvalidInput):
            sanctions.add_note(user(world.people.moderator), here, person, "   ")
        assert db.session.scalars(select(AuditEntry.action)).all() == ["user.note"]


def test_the_veto_ignores_apps_without_moderation(world: SimpleNamespace) -> None:
    assert sanctioned(policy.OPERATOR, "discussion.reply", None) is None
