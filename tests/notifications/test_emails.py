"""Notification emails sent at once: the worker's jobs run directly (time injected), the
outbox drained to a real SMTP server (aiosmtpd), and what arrives read as a mail client would."""

from __future__ import annotations

import random
import re

import pytest
from sqlalchemy import select

from notifications import (
    delivery,
    digests,
    emails,
    hour_of_day,
    inbox,
    outbox,
    preferences,
    public_url,
    weekday,
)
from notifications.inbox_models import Notification
from notifications.models import OutboxMessage
from notifications.worker import JOBS
from talk.extensions import db
from talk.models import Project, User
from talk.services import projects
from tests.conftest import login
from tests.talk.web.pages import text

PUBLIC = "https://talk.example.org/"


def run_jobs(app, clock) -> None:
    """What the worker does in a run: fan out, the immediate emails, the digests, delivery."""
    with app.app_context():
        inbox.deliver_events("test-worker", now=clock())
        emails.send_immediate(now=clock())
        digests.send_digests(now=clock())
        delivery.drain("test-worker", rng=random.Random(1))


def read_everything(app, clock, person) -> None:
    """``person``'s notifications made, and all read on the site."""
    with app.app_context():
        inbox.deliver_events("w", now=clock())
        user = db.session.get(User, person.id)
        inbox.mark_read(user, user, everything=True)
        db.session.commit()


def parts(message) -> tuple[str, str]:
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return plain, html


def choose(app, person, category, choice) -> None:
    with app.app_context():
        user = db.session.get(User, person.id)
        preferences.set_choice(user, user, category, choice)
        db.session.commit()


def skipped_reasons(app, person) -> list[tuple[str, str]]:
    """(category, reason) of each email skipped for ``person``, oldest first."""
    with app.app_context():
        rows = db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.user_id == person.id, OutboxMessage.state == "skipped")
            .order_by(OutboxMessage.id)
        )
        return [(m.category, m.reason) for m in rows]


def notifications_of(app, person) -> list[Notification]:
    with app.app_context():
        rows = db.session.scalars(
            select(Notification).where(Notification.user_id == person.id).order_by(Notification.id)
        ).all()
        return [(n.kind, n.read_at, n.emailed_at) for n in rows]


@pytest.fixture(autouse=True)
def _quiet_world(app, world, clock, smtp) -> None:
    """The site's public address as production sets it (the tests' own ``SERVER_NAME`` off),
    and the world's own events and emails dealt with before each test."""
    app.config["SERVER_NAME"] = None
    app.config["TALK_PUBLIC_URL"] = PUBLIC.rstrip("/")
    run_jobs(app, clock)
    smtp.received.clear()


def test_the_email_jobs_are_the_workers():
    names = [job.name for job in JOBS]
    assert {"email-notifications", "digests"} <= set(names)
    assert names.index("notify") < names.index("email-notifications")


def test_a_mention_is_emailed_at_once_and_once_with_absolute_links_and_one_click_unsubscribe(
    app, make, world, clock, smtp
):
    make.comment(world.thread, world.other, "@vol is this a #fern?")
    run_jobs(app, clock)
    (email,) = smtp.received
    assert email["To"] == "vol@example.org"
    assert email["Subject"] == "Otto Other mentioned you in “Odd #fern”"
    plain, html = parts(email)
    for part in (plain, html):
        assert "Herbarium sheets" in part
        assert "Otto Other mentioned you in “Odd #fern”" in part
    assert '<html lang="en">' in html
    assert "<title>Otto Other mentioned you in “Odd #fern”</title>" in html
    assert "<h1>" in html and "<h2>" in html
    links = re.findall(r'href="([^"]+)"', html)
    assert links and all(link.startswith(PUBLIC) for link in links)
    assert "<img" not in html
    assert f"{PUBLIC}comments/" in plain
    assert f"{PUBLIC}settings/email" in plain
    run_jobs(app, clock)
    assert len(smtp.received) == 1  # decided once
    # The one-click header, end to end: a bare client's POST turns only mentions off, in the
    # one project the email is about.
    url = re.fullmatch(r"<(https?://[^>]+)>", str(email["List-Unsubscribe"]))
    assert url and email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    def choices() -> dict[str | None, dict[str, str]]:
        with app.app_context():
            user = db.session.get(User, world.volunteer.id)
            project = db.session.get(Project, world.project.id)
            return {
                where: {
                    c: preferences.chosen(user, p, c) for c in preferences.PREFERENCE_CATEGORIES
                }
                for where, p in (("site", None), ("herbarium", project))
            }

    before = choices()
    done = app.test_client().post(url.group(1).removeprefix(PUBLIC[:-1]))
    assert done.status_code == 200
    assert choices() == before | {"herbarium": before["herbarium"] | {"mentions": "never"}}


def test_several_events_in_one_run_make_one_email(app, make, world, clock, smtp):
    mine = make.comment(world.thread, world.volunteer, "My guess: bracken")
    run_jobs(app, clock)
    make.comment(world.thread, world.other, "Not bracken", reply_to=mine.id)
    make.comment(world.thread, world.other, "@vol look again")
    run_jobs(app, clock)
    (email,) = smtp.received
    assert email["Subject"] == "2 new notifications on Talk"
    plain, html = parts(email)
    assert "Otto Other replied to your comment in “Odd #fern”" in plain
    assert "Otto Other mentioned you in “Odd #fern”" in plain
    assert html.count("<h3>") == 1  # one discussion, one heading
    # Two categories: one click stops both (tests/notifications/test_unsubscribe.py); the
    # body links each, in the one project the email is about.
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Stop emails for “Replies to my comments” from Herbarium sheets" in html
    assert "Stop emails for “Someone mentions me (@name)” from Herbarium sheets" in html
    assert 'Stop "Replies to my comments" from Herbarium sheets: https://' in plain


def test_reading_first_does_not_cancel_the_email_and_the_email_marks_nothing_read(
    app, make, world, clock, smtp, client
):
    make.comment(world.thread, world.other, "@vol first")
    read_everything(app, clock, world.volunteer)
    make.comment(world.thread, world.other, "@vol second")
    run_jobs(app, clock)
    (email,) = smtp.received
    assert email["Subject"] == "2 new notifications on Talk"
    (first, second) = notifications_of(app, world.volunteer)[-2:]
    assert first[1] is not None and first[2] is not None  # read, and emailed all the same
    assert second[1] is None and second[2] is not None  # emailed, still unread


def test_what_is_not_sent_is_in_the_delivery_log_with_its_reason(
    app, make, world, clock, smtp, client
):
    choose(app, world.volunteer, "mentions", "never")
    make.comment(world.thread, world.other, "@vol are you there?")
    run_jobs(app, clock)
    assert smtp.received == []
    assert skipped_reasons(app, world.volunteer) == [("mentions", "unsubscribed")]
    assert notifications_of(app, world.volunteer)[-1][2] is not None  # decided: not again
    login(client, "vol")
    page = text(client.get("/settings/email"))
    assert "Otto Other mentioned you in “Odd #fern”" in page
    assert "you chose not to get these emails" in page


def test_a_daily_choice_is_left_for_the_digest(app, make, world, clock, smtp):
    choose(app, world.volunteer, "mentions", "daily")
    make.comment(world.thread, world.other, "@vol tomorrow")
    run_jobs(app, clock)
    assert smtp.received == []
    assert notifications_of(app, world.volunteer)[-1][2] is None


def test_a_crash_before_the_commit_leaves_the_notifications_undecided(
    app, make, world, clock, smtp, monkeypatch
):
    make.comment(world.thread, world.other, "@vol crash")
    with app.app_context():
        inbox.deliver_events("w", now=clock())
        db.session.commit()

        def crash() -> None:
            raise RuntimeError("the worker died here")

        monkeypatch.setattr(db.session, "commit", crash)
        assert emails.send_immediate(now=clock()) == 0
        monkeypatch.undo()
        assert (
            db.session.scalars(
                select(OutboxMessage.id).where(OutboxMessage.user_id == world.volunteer.id)
            ).all()
            == []
        )
    assert notifications_of(app, world.volunteer)[-1][2] is None  # rolled back, not lost
    run_jobs(app, clock)
    assert len(smtp.received) == 1


def test_who_may_no_longer_read_it_gets_no_email_and_the_log_says_why(
    app, make, world, clock, smtp
):
    make.grant(world.project, world.volunteer, "team")
    make.comment(world.secret, world.project.owner, "@vol team only")
    with app.app_context():
        inbox.deliver_events("w", now=clock())
        db.session.commit()
        owner = db.session.get(User, world.project.owner.id)
        projects.remove_member(
            owner,
            db.session.get(Project, world.project.id),
            db.session.get(User, world.volunteer.id),
        )
        db.session.commit()
    run_jobs(app, clock)
    assert smtp.received == []
    assert skipped_reasons(app, world.volunteer) == [("mentions", "no-permission")]


def test_times_are_in_the_readers_time_zone(app, make, world, clock, smtp):
    with app.app_context():
        db.session.get(User, world.volunteer.id).time_zone = "Asia/Tokyo"
        db.session.commit()
    make.comment(world.thread, world.other, "@vol konnichiwa")
    run_jobs(app, clock)
    plain, html = parts(smtp.received[0])
    assert "14 March, 21:00 (Asia/Tokyo)" in plain and "14 March, 21:00 (Asia/Tokyo)" in html


def test_a_public_url_the_site_does_not_answer_for_is_logged(app, make, world, clock, caplog):
    app.config["TALK_PUBLIC_URL"] = "https://elsewhere.example.com"
    make.comment(world.thread, world.other, "@vol hello")
    run_jobs(app, clock)
    assert "names a host outside TALK_ALLOWED_HOSTS" in caplog.text


@pytest.mark.parametrize(
    ("parse", "raw", "expected"),
    [
        (public_url, " https://talk.example.org/ ", "https://talk.example.org"),
        (public_url, "http://127.0.0.1:5000", "http://127.0.0.1:5000"),
        (public_url, "https://example.org/talk", "https://example.org/talk"),
        (hour_of_day, "0", 0),
        (hour_of_day, "23", 23),
        (weekday, "Sunday", 6),
        (weekday, "0", 0),
    ],
)
def test_the_email_settings_read_what_they_should(parse, raw, expected):
    assert parse(raw) == expected


@pytest.mark.parametrize(
    ("parse", "raw"),
    [
        (public_url, "talk.example.org"),
        (public_url, "ftp://talk.example.org"),
        (public_url, "https://talk.example.org/?next=1"),
        (hour_of_day, "24"),
        (hour_of_day, "-1"),
        (weekday, "someday"),
        (weekday, "7"),
    ],
)
def test_the_email_settings_refuse_what_they_cannot_use(parse, raw):
    with pytest.raises(ValueError, match="expected"):
        parse(raw)


def _everything_off(user: User) -> None:
    preferences.set_everything_off(user, user, True)


def _address_disabled(user: User) -> None:
    outbox.disable_address(user.email, "550 no such user")


def _unconfirmed(user: User) -> None:
    user.email_verified_at = None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (_everything_off, "everything-off"),
        (_address_disabled, "address-disabled"),
        (_unconfirmed, "address-unverified"),
    ],
)
def test_no_email_and_a_reason_when_talk_may_not_mail_them(
    app, make, world, clock, smtp, change, reason
):
    with app.app_context():
        change(db.session.get(User, world.volunteer.id))
        db.session.commit()
    make.comment(world.thread, world.other, "@vol anyone?")
    run_jobs(app, clock)
    assert smtp.received == []
    assert skipped_reasons(app, world.volunteer) == [("mentions", reason)]
