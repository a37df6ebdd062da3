"""Daily and weekly digests: at the person's hour in their time zone (the clock moved, never
slept on), grouped, only what is unread, never empty, never twice, not to the long gone."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from notifications import inbox, preferences
from notifications.digests_models import Digest
from notifications.inbox_models import Notification
from talk.extensions import db
from talk.models import User
from tests.conftest import login
from tests.notifications.test_emails import (
    PUBLIC,
    parts,
    read_everything,
    run_jobs,
    skipped_reasons,
)
from tests.talk.web.pages import text


def set_up(app, person, cadence, time_zone="UTC") -> None:
    """``person`` gets mentions and replies in a ``cadence`` digest, in ``time_zone``."""
    with app.app_context():
        user = db.session.get(User, person.id)
        preferences.set_preferences(user, user, {"mentions": cadence, "replies": cadence})
        user.time_zone = time_zone
        db.session.commit()


@pytest.fixture(autouse=True)
def _quiet_world(app, world, clock, smtp) -> None:
    """The site's public address as in production, the digest at 9 in the morning, and the
    world's own events dealt with before each test."""
    app.config["SERVER_NAME"] = None
    app.config["TALK_PUBLIC_URL"] = PUBLIC.rstrip("/")
    app.config["TALK_DIGEST_HOUR"] = 9
    run_jobs(app, clock)
    smtp.received.clear()


def test_a_daily_digest_comes_at_the_persons_hour_in_their_time_zone_grouped_and_unread_only(
    app, make, world, clock, smtp
):
    # 12:00 UTC on Saturday 14 March 2026 is 08:00 in New York (daylight saving time).
    set_up(app, world.volunteer, "daily", "America/New_York")
    mine = make.comment(world.thread, world.volunteer, "My guess: bracken")
    other = make.discussion(world.project, world.other, title="Pressed moss", body="@vol moss?")
    make.comment(world.thread, world.other, "Not bracken", reply_to=mine.id)
    make.comment(world.thread, world.other, "@vol read this one")
    run_jobs(app, clock)
    assert smtp.received == []  # not yet 9 in New York
    with app.app_context():  # she reads the last one on the site before the digest is made
        user = db.session.get(User, world.volunteer.id)
        last = max(
            db.session.scalars(select(Notification.id).where(Notification.user_id == user.id))
        )
        inbox.mark_read(user, user, [last])
        db.session.commit()
    clock.advance(hours=1)
    run_jobs(app, clock)
    (email,) = smtp.received
    assert email["Subject"] == "Your daily Talk digest: 2 new notifications"
    plain, html = parts(email)
    assert "Otto Other mentioned you in “Pressed moss”" in plain
    assert "Otto Other replied to your comment in “Odd #fern”" in plain
    assert "read this one" not in plain and "(2 times)" not in plain
    assert html.count("<h2>") == 1  # one project
    assert html.count("<h3>") == 2  # two discussions
    assert "Herbarium sheets" in html and '<html lang="en">' in html
    assert f"{PUBLIC}settings/email" in html
    with app.app_context():
        assert (
            db.session.scalar(
                select(Notification.emailed_at.is_(None)).where(
                    Notification.discussion_id == other.id
                )
            )
            is False
        )
    # never twice: again in the same run's minute and later in the same period
    run_jobs(app, clock)
    clock.advance(minutes=30)
    make.comment(world.thread, world.other, "@vol and another")
    run_jobs(app, clock)
    assert len(smtp.received) == 1
    # ...but the next day's comes
    clock.advance(days=1)
    run_jobs(app, clock)
    assert len(smtp.received) == 2
    assert smtp.received[1]["Subject"] == "Your daily Talk digest: 1 new notification"
    with app.app_context():
        rows = db.session.scalars(select(Digest).where(Digest.user_id == world.volunteer.id))
        assert [(r.cadence, str(r.period_start), r.outcome) for r in rows] == [
            ("daily", "2026-03-14", "sent"),
            ("daily", "2026-03-15", "sent"),
        ]


def test_a_digest_with_everything_read_is_not_sent_and_the_log_says_so(
    app, make, world, clock, smtp, client
):
    set_up(app, world.volunteer, "daily")
    make.comment(world.thread, world.other, "@vol have a look")
    read_everything(app, clock, world.volunteer)
    clock.advance(hours=21)  # 09:00 UTC the next day
    run_jobs(app, clock)
    assert smtp.received == []
    assert skipped_reasons(app, world.volunteer) == [("digest", "empty-digest")]
    login(client, "vol")
    assert "there was nothing new for the digest" in text(client.get("/settings/email"))


def test_nothing_for_a_digest_makes_no_digest(app, make, world, clock, smtp):
    set_up(app, world.volunteer, "daily")
    clock.advance(hours=21)
    run_jobs(app, clock)
    assert smtp.received == [] and skipped_reasons(app, world.volunteer) == []


def test_a_weekly_digest_comes_on_its_weekday(app, make, world, clock, smtp):
    set_up(app, world.volunteer, "weekly")
    app.config["TALK_DIGEST_WEEKDAY"] = 0  # Monday
    make.comment(world.thread, world.other, "@vol weekly")
    clock.advance(hours=21)  # Sunday 09:00
    run_jobs(app, clock)
    assert smtp.received == []
    clock.advance(days=1)  # Monday 09:00
    run_jobs(app, clock)
    (email,) = smtp.received
    assert email["Subject"] == "Your weekly Talk digest: 1 new notification"
    clock.advance(hours=1)
    run_jobs(app, clock)
    assert len(smtp.received) == 1


def test_people_who_have_not_visited_for_long_get_no_digest(app, make, world, clock, smtp):
    set_up(app, world.volunteer, "daily")
    app.config["TALK_DIGEST_INACTIVE_DAYS"] = 30
    clock.advance(days=40)
    make.comment(world.thread, world.other, "@vol still there?")
    clock.advance(hours=21)
    run_jobs(app, clock)
    assert smtp.received == []
    assert skipped_reasons(app, world.volunteer) == [("digest", "inactive")]
    # a visit (reading her notifications) brings them back
    make.comment(world.thread, world.other, "@vol hello again")
    read_everything(app, clock, world.volunteer)
    make.comment(world.thread, world.other, "@vol and now?")
    clock.advance(days=1)
    run_jobs(app, clock)
    (email,) = smtp.received
    assert email["Subject"] == "Your daily Talk digest: 1 new notification"
