"""The email jobs read only what they may act on now (rows counted with SQLAlchemy's load
events, never timed), a changed choice moves waiting notifications without losing them, and
the hourly cap holds immediate emails back and sends what waited together (time injected)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from notifications import digests, email_waits, emails, inbox, preferences
from notifications.inbox_models import Notification
from notifications.models import OutboxMessage
from talk.extensions import db
from talk.models import User
from tests.conftest import login, sqlite_plan
from tests.notifications.test_digests import _quiet_world  # noqa: F401 (the same world)
from tests.notifications.test_emails import choose, run_jobs, skipped_reasons
from tests.talk.web.pages import text


@contextmanager
def loaded() -> Iterator[list[int]]:
    """The ``user_id`` of each notification row read from the database meanwhile (loaded or
    refreshed)."""
    seen: list[int] = []

    def count(target: Notification, *_: object) -> None:
        seen.append(target.user_id)

    event.listen(Notification, "load", count)
    event.listen(Notification, "refresh", count)
    try:
        yield seen
    finally:
        event.remove(Notification, "load", count)
        event.remove(Notification, "refresh", count)


def sort_new(app, clock) -> None:
    """Fan out, then one run of the immediate job (which sorts what is for digests)."""
    with app.app_context():
        inbox.deliver_events("w", now=clock())
        emails.send_immediate(now=clock())


def waits_for(app, person) -> list[str | None]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(Notification.waits_for)
                .where(Notification.user_id == person.id, Notification.emailed_at.is_(None))
                .order_by(Notification.id)
            )
        )


def deferred(app, person) -> list[str | None]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(OutboxMessage.reason).where(
                    OutboxMessage.user_id == person.id, OutboxMessage.state == "deferred"
                )
            )
        )


# --------------------------------------------------------------------------- reading


def test_a_run_with_one_new_notification_and_many_waiting_reads_only_the_new_one(
    app, make, world, clock, smtp
):
    choose(app, world.volunteer, "mentions", "weekly")
    for n in range(12):
        make.comment(world.thread, world.other, f"@vol number {n}")
    with loaded() as first:
        sort_new(app, clock)
    assert first.count(world.volunteer.id) == 12  # sorted once, to the weekly digest
    assert waits_for(app, world.volunteer) == ["weekly"] * 12
    make.comment(world.thread, world.volunteer, "@other one new")
    with app.app_context():
        inbox.deliver_events("w", now=clock())
        db.session.commit()
        with loaded() as second:
            assert emails.send_immediate(now=clock()) == 1
    assert second == [world.other.id]
    with app.app_context(), loaded() as third:  # nothing new: nothing read
        assert emails.send_immediate(now=clock()) == 0
    assert third == []


def test_the_digest_job_reads_only_the_people_whose_digest_is_due(app, make, world, clock, smtp):
    tokyo = make.user("kenji", display_name="Kenji")
    for person, zone in ((world.volunteer, "UTC"), (tokyo, "Asia/Tokyo")):
        choose(app, person, "mentions", "daily")
        with app.app_context():
            db.session.get(User, person.id).time_zone = zone
            db.session.commit()
    make.comment(world.thread, world.other, "@vol and @kenji, a look?")
    sort_new(app, clock)
    with app.app_context(), loaded() as nobody_due:  # 12:00 UTC, 21:00 in Tokyo
        assert digests.send_digests(now=clock()) == 0
    assert nobody_due == []
    clock.advance(hours=12)  # Sunday 00:00 UTC, 09:00 in Tokyo
    with app.app_context(), loaded() as tokyo_due:
        assert digests.send_digests(now=clock()) == 1
    assert tokyo_due == [tokyo.id]
    with app.app_context(), loaded() as again:  # decided: not read again in the period
        assert digests.send_digests(now=clock()) == 0
    assert again == []
    clock.advance(hours=9)  # 09:00 UTC
    with app.app_context(), loaded() as utc_due:
        assert digests.send_digests(now=clock()) == 1
    assert utc_due == [world.volunteer.id]


# --------------------------------------------------------------------------- changed choices


def test_from_daily_to_immediately_the_waiting_ones_go_at_the_next_run_together(
    app, make, world, clock, smtp
):
    choose(app, world.volunteer, "mentions", "daily")
    make.comment(world.thread, world.other, "@vol first")
    make.comment(world.thread, world.other, "@vol second")
    run_jobs(app, clock)
    assert smtp.received == [] and waits_for(app, world.volunteer) == ["daily", "daily"]
    choose(app, world.volunteer, "mentions", "immediately")
    assert waits_for(app, world.volunteer) == [None, None]
    clock.advance(minutes=1)
    run_jobs(app, clock)
    (email,) = smtp.received
    assert email["Subject"] == "2 new notifications on Talk"
    clock.advance(days=1)  # and the next digest has nothing of them
    run_jobs(app, clock)
    assert len(smtp.received) == 1


def test_from_daily_to_weekly_they_wait_for_the_weekly_digest(app, make, world, clock, smtp):
    app.config["TALK_DIGEST_WEEKDAY"] = 0  # Monday
    choose(app, world.volunteer, "mentions", "daily")
    make.comment(world.thread, world.other, "@vol for the week")
    run_jobs(app, clock)
    choose(app, world.volunteer, "mentions", "weekly")
    clock.advance(hours=21)  # Sunday 09:00: the daily hour, not the weekly day
    run_jobs(app, clock)
    assert smtp.received == [] and waits_for(app, world.volunteer) == ["weekly"]
    clock.advance(days=1)  # Monday 09:00
    run_jobs(app, clock)
    (email,) = smtp.received
    assert email["Subject"] == "Your weekly Talk digest: 1 new notification"


def test_everything_off_while_waiting_skips_them_with_the_reason(app, make, world, clock, smtp):
    choose(app, world.volunteer, "mentions", "daily")
    make.comment(world.thread, world.other, "@vol later")
    run_jobs(app, clock)
    with app.app_context():
        user = db.session.get(User, world.volunteer.id)
        preferences.set_everything_off(user, user, True)
        db.session.commit()
    run_jobs(app, clock)
    assert waits_for(app, world.volunteer) == []
    assert skipped_reasons(app, world.volunteer) == [("mentions", "everything-off")]


def test_a_choice_changed_behind_the_jobs_back_is_sorted_again_at_the_digest(
    app, make, world, clock, smtp
):
    """Had the choice changed without the reset (a direct write), the digest still moves them
    to where they now belong rather than dropping them."""
    choose(app, world.volunteer, "mentions", "daily")
    make.comment(world.thread, world.other, "@vol now or later")
    run_jobs(app, clock)
    with app.app_context():
        user = db.session.get(User, world.volunteer.id)
        preferences.set_choice(user, user, "mentions", "immediately")
        db.session.execute(  # undo the reset: they still say daily
            Notification.__table__.update()
            .where(Notification.user_id == user.id)
            .values(waits_for="daily")
        )
        db.session.commit()
    clock.advance(hours=21)  # the daily digest's hour
    run_jobs(app, clock)
    assert smtp.received == [] and waits_for(app, world.volunteer) == [None]
    run_jobs(app, clock)
    (email,) = smtp.received
    assert email["Subject"] == "Otto Other mentioned you in “Odd #fern”"


# --------------------------------------------------------------------------- the hourly cap


def test_past_the_hourly_cap_notifications_wait_and_go_together_once_the_hour_allows(
    app, make, world, clock, smtp, client
):
    app.config["TALK_EMAIL_HOURLY_LIMIT"] = 2
    for n in range(5):  # one mention a minute: two emails, then three held
        make.comment(world.thread, world.other, f"@vol ping {n}")
        run_jobs(app, clock)
        clock.advance(minutes=1)
    assert len(smtp.received) == 2
    assert deferred(app, world.volunteer) == ["rate-limited"]  # once, not per notification
    with app.app_context(), loaded() as held:  # held ones are not read before their time
        emails.send_immediate(now=clock())
    assert held == []
    clock.advance(minutes=54)  # 12:59: the first email is not an hour old yet
    run_jobs(app, clock)
    assert len(smtp.received) == 2
    clock.advance(minutes=1)  # 13:00
    run_jobs(app, clock)
    assert len(smtp.received) == 3
    assert smtp.received[2]["Subject"] == "3 new notifications on Talk"
    assert all(emailed is not None for *_, emailed in _states(app, world.volunteer))
    login(client, "vol")
    page = text(client.get("/settings/email"))
    assert "deferred" in page and "come together in one email" in page
    # the next deferral is said once again
    make.comment(world.thread, world.other, "@vol and again")
    run_jobs(app, clock)
    assert len(smtp.received) == 3
    assert deferred(app, world.volunteer) == ["rate-limited", "rate-limited"]


def test_account_mail_is_neither_capped_nor_counted(app, make, world, clock, smtp):
    app.config["TALK_EMAIL_HOURLY_LIMIT"] = 1
    with app.app_context():
        user = db.session.get(User, world.volunteer.id)
        for _ in range(3):
            preferences.reenable_address(user, user)
        db.session.commit()
    make.comment(world.thread, world.other, "@vol counted")
    run_jobs(app, clock)
    assert len(smtp.received) == 4  # three account mails and the mention
    make.comment(world.thread, world.other, "@vol held")
    with app.app_context():
        user = db.session.get(User, world.volunteer.id)
        preferences.reenable_address(user, user)
        db.session.commit()
    run_jobs(app, clock)
    assert [m["Subject"] for m in smtp.received[4:]] == ["Talk can email you again"]


def test_digests_are_neither_capped_nor_counted(app, make, world, clock, smtp):
    app.config["TALK_EMAIL_HOURLY_LIMIT"] = 1
    app.config["TALK_DIGEST_HOUR"] = 12  # now
    choose(app, world.volunteer, "follows", "daily")
    make.comment(world.thread, world.volunteer, "I follow this now")
    make.comment(world.thread, world.other, "A comment in a thread she follows")
    run_jobs(app, clock)
    for n in range(2):
        clock.advance(minutes=1)
        make.comment(world.thread, world.other, f"@vol at once {n}")
        run_jobs(app, clock)
    assert [m["Subject"] for m in smtp.received if m["To"] == "vol@example.org"] == [
        "Your daily Talk digest: 1 new notification",
        "Otto Other mentioned you in “Odd #fern”",
    ]
    assert deferred(app, world.volunteer) == ["rate-limited"]


def _states(app, person):
    with app.app_context():
        rows = db.session.scalars(select(Notification).where(Notification.user_id == person.id))
        return [(n.kind, n.read_at, n.emailed_at) for n in rows]


def test_a_mark_on_notifications_another_worker_decided_falls_short(app, make, world, clock):
    make.comment(world.thread, world.other, "@vol a race")
    with app.app_context():
        inbox.deliver_events("w", now=clock())
        db.session.commit()
        rows = db.session.scalars(
            select(Notification).where(Notification.user_id == world.volunteer.id)
        ).all()
        email_waits.claim(rows, clock())  # the worker that got there first
        for mark in (
            lambda: email_waits.wait(rows, "daily"),
            lambda: email_waits.hold(rows, clock()),
            lambda: email_waits.claim(rows, clock()),
        ):
            with pytest.raises(email_waits.Decided):
                mark()
        db.session.rollback()


@pytest.mark.parametrize(
    ("where", "index"),
    [
        (
            "emailed_at IS NULL AND waits_for IS NULL "
            "AND (email_after IS NULL OR email_after <= '2026-03-14')",
            "ix_notifications_email_now",
        ),
        ("emailed_at IS NULL AND waits_for = 'daily'", "ix_notifications_digest_waiting"),
    ],
)
def test_the_jobs_questions_read_their_partial_indexes(app, world, where, index):
    """SQLite's plan for each job's question (as ``email_waits`` asks it) names its partial
    index, so a run's cost follows what it may act on, not every undecided row."""
    with app.app_context():
        details = sqlite_plan(f"SELECT DISTINCT user_id FROM notifications WHERE {where}")
        assert index in details
        assert re.search(r"SCAN notifications(?! USING)", details) is None  # no table scan
