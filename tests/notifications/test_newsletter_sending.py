"""Sending newsletters: the recipients fixed at the start, each delivery through one outbox row,
people who dropped out skipped, the throttle, outcomes copied from the outbox, retrying the
failed ones, the progress partial and its retry form, and ``talk newsletter send``.

These run in the test's rolled-back transaction with a real SMTP server (aiosmtpd); the killed
worker and two workers at once are in ``test_newsletter_sending_faults.py``."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from flask import render_template
from sqlalchemy import func, select, update

from notifications import consent, delivery, newsletter_sending, newsletters, outbox
from notifications.models import OutboxMessage
from notifications.newsletter_models import Newsletter, NewsletterDelivery
from talk.clock import utcnow
from talk.errors import PermissionDenied
from talk.extensions import db
from talk.models import Project, User
from tests.conftest import csrf_token, login


def opted_in(app, make, project, count, prefix="reader"):
    """``count`` volunteers with confirmed addresses who asked for ``project``'s updates."""
    people = [make.user(f"{prefix}{n}") for n in range(count)]
    with app.app_context():
        p = db.session.get(Project, project.id)
        for person in people:
            user = db.session.get(User, person.id)
            user.email_verified_at = utcnow()
            consent.opt_in(user, p, source="settings")
        db.session.commit()
    return people


@pytest.fixture
def setup(app, make):
    project = make.project("herbarium", title="Herbarium sheets")
    team = make.member(project, "team")
    readers = opted_in(app, make, project, 3)
    with app.app_context():
        letter = newsletters.create(
            db.session.get(User, team.id),
            db.session.get(Project, project.id),
            subject="Spring news",
            body="Thank you!",
        )
        db.session.commit()
        letter_id = letter.id
    return SimpleNamespace(project=project, team=team, readers=readers, letter_id=letter_id)


def letter(setup):
    return db.session.get(Newsletter, setup.letter_id)


def scheduled(setup, at="now"):
    team = db.session.get(User, setup.team.id)
    newsletters.schedule(team, letter(setup), at)
    db.session.commit()
    return letter(setup)


def deliveries(setup):
    return [
        (row.user_id, row.state, row.reason)
        for row in db.session.scalars(
            select(NewsletterDelivery)
            .where(NewsletterDelivery.newsletter_id == setup.letter_id)
            .order_by(NewsletterDelivery.user_id)
        )
    ]


def drain_all():
    while delivery.drain("test").claimed:
        pass


def run_to_the_end():
    """The worker's job and the outbox's drain until the job has nothing left to move."""
    for _ in range(20):
        newsletter_sending.send_newsletters("test")
        drain_all()
        if not db.session.scalar(newsletter_sending.active_ids().limit(1)):
            return
    raise AssertionError("the newsletter never finished")


def reader_ids(setup):
    return sorted(person.id for person in setup.readers)


# --- start ----------------------------------------------------------------------------------


def test_start_fixes_the_recipients_once_and_latecomers_get_nothing(app, make, setup, clock):
    with app.app_context():
        assert newsletter_sending.start(letter(setup), utcnow()) is None  # a draft: nothing
        assert deliveries(setup) == []
        news = scheduled(setup)
        assert newsletter_sending.start(news, utcnow()) == 3
        assert news.state == "sending" and news.started_at == clock.now
        assert news.recipient_count == 3
        assert deliveries(setup) == [(i, "queued", None) for i in reader_ids(setup)]
        assert newsletter_sending.start(news, utcnow()) is None  # started already: unchanged
    [late] = opted_in(app, make, setup.project, 1, prefix="late")
    with app.app_context():
        run_to_the_end()
        assert late.id not in [user_id for user_id, _, _ in deliveries(setup)]
        assert letter(setup).state == "sent"


def test_a_newsletter_scheduled_later_starts_only_when_due(app, setup, clock):
    with app.app_context():
        later = clock.now.replace(hour=18)
        news = scheduled(setup, later)
        assert newsletter_sending.start_due(utcnow()) == 0
        assert newsletter_sending.start(news, utcnow()) is None
        assert news.state == "scheduled" and deliveries(setup) == []
        clock.now = later
        assert newsletter_sending.start_due(utcnow()) == 1
        assert letter(setup).state == "sending" and len(deliveries(setup)) == 3


def test_a_due_newsletter_whose_audience_left_starts_with_nobody_and_is_counted(app, setup):
    with app.app_context():
        news = scheduled(setup)
        project = db.session.get(Project, setup.project.id)
        for reader_id in reader_ids(setup):
            consent.opt_out(db.session.get(User, reader_id), project, source="settings")
        db.session.commit()
        assert newsletter_sending.start_due(utcnow()) == 1  # started: with nobody, not refused
        news = letter(setup)
        assert (news.state, news.recipient_count, deliveries(setup)) == ("sending", 0, [])


def test_each_recipient_gets_one_email_with_its_outbox_rows_message_id(app, setup, smtp):
    with app.app_context():
        scheduled(setup)
        run_to_the_end()
        news = letter(setup)
        assert news.state == "sent" and news.finished_at is not None
        assert deliveries(setup) == [(i, "sent", None) for i in reader_ids(setup)]
        rows = db.session.scalars(
            select(NewsletterDelivery).where(NewsletterDelivery.newsletter_id == news.id)
        ).all()
        expected = sorted(outbox.message_id(row.outbox_id) for row in rows)
        carriers = [db.session.get(OutboxMessage, row.outbox_id) for row in rows]
        assert [(c.category, c.user_id) for c in carriers] == [
            ("newsletter", r.user_id) for r in rows
        ]
    assert sorted(smtp.handler.message_ids()) == expected
    assert sorted(str(m["To"]) for m in smtp.received) == [
        f"reader{n}@example.org" for n in range(3)
    ]
    assert {str(m["Subject"]) for m in smtp.received} == {"Spring news"}


def test_nobody_who_withdrew_or_dropped_out_after_the_start_is_mailed(app, make, setup, smtp):
    with app.app_context():
        news = scheduled(setup)
        newsletter_sending.start(news, utcnow())
        withdrew, closed, bounced = (db.session.get(User, p.id) for p in setup.readers)
        consent.opt_out(withdrew, news.project, source="unsubscribe")
        closed.disabled_at = utcnow()
        outbox.disable_address(bounced.email, "550 no such user")
        db.session.commit()
        run_to_the_end()
        assert deliveries(setup) == [
            (withdrew.id, "skipped", "consent-withdrawn"),
            (closed.id, "skipped", "account-closed"),
            (bounced.id, "skipped", "address-disabled"),
        ]
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert letter(setup).state == "sent"
    assert smtp.received == []


def test_withdrawing_while_the_update_waits_in_the_outbox_stops_it(app, setup, smtp):
    """The mail server was down when the update was handed over: the volunteer unsubscribes
    meanwhile, and the row waiting in the outbox never goes out."""
    with app.app_context():
        news = scheduled(setup)
        newsletter_sending.start(news, utcnow())
        newsletter_sending.move(news, None)
        db.session.commit()
        withdrew = db.session.get(User, setup.readers[0].id)
        consent.opt_out(withdrew, news.project, source="unsubscribe")
        db.session.commit()
        run_to_the_end()
        assert deliveries(setup)[0] == (withdrew.id, "skipped", "consent-withdrawn")
        assert [state for _, state, _ in deliveries(setup)[1:]] == ["sent", "sent"]
    assert sorted(str(m["To"]) for m in smtp.received) == [
        "reader1@example.org",
        "reader2@example.org",
    ]


def test_an_exclusion_after_the_start_skips_them_too(app, setup, smtp, monkeypatch):
    """A package's exclusion (moderation's suspensions and bans) applies at sending time."""
    from talk import policy

    with app.app_context():
        news = scheduled(setup)
        newsletter_sending.start(news, utcnow())
        suspended = setup.readers[0].id
        monkeypatch.setattr(
            policy,
            "audience_exclusions",
            lambda project, now: [select(User.id).where(User.id == suspended)],
        )
        run_to_the_end()
        assert (suspended, "skipped", "excluded") in deliveries(setup)
    assert len(smtp.received) == 2


# --- the throttle ---------------------------------------------------------------------------


def test_the_throttle_hands_over_a_periods_worth_and_waits_for_the_outbox(app, make, setup, smtp):
    opted_in(app, make, setup.project, 17, prefix="more")  # 20 in all
    app.config["TALK_NEWSLETTER_RATE"] = 60  # 15 per 15-second run
    with app.app_context():
        assert newsletter_sending.allowance(newsletter_sending.JOB_SECONDS) == 15
        scheduled(setup)
        assert newsletter_sending.send_newsletters("w") == 15
        assert newsletter_sending.send_newsletters("w") == 0  # 15 still in the outbox
        drain_all()
        assert newsletter_sending.send_newsletters("w") == 5
        drain_all()
        newsletter_sending.send_newsletters("w")
        assert letter(setup).state == "sent"
    assert len(smtp.received) == 20


def test_no_limit_hands_everything_over_at_once(app, setup):
    app.config["TALK_NEWSLETTER_RATE"] = 0
    with app.app_context():
        assert newsletter_sending.allowance(60) is None
        scheduled(setup)
        assert newsletter_sending.send_newsletters("w") == 3


# --- outcomes and retrying ------------------------------------------------------------------


def test_outcomes_are_copied_from_the_outbox_and_uncertain_ones_are_not_resent(app, setup, smtp):
    smtp.handler.data_replies = ["554 5.6.0 Message refused"]  # the first message only
    with app.app_context():
        scheduled(setup)
        newsletter_sending.send_newsletters("w")
        assert [state for _, state, _ in deliveries(setup)] == ["sending"] * 3
        drain_all()
        # The second row's fate is unknown to Talk (as after a connection lost mid-DATA).
        rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == rows[1].id)
            .values(state="uncertain", reason="connection-lost")
        )
        db.session.commit()
        assert newsletter_sending.sync() == 3
        states = sorted(state for _, state, _ in deliveries(setup))
        assert states == ["failed", "sent", "uncertain"]
        assert newsletter_sending.reasons(letter(setup), "failed") == {"rejected": 1}
        assert newsletter_sending.finish() == 1
        assert newsletter_sending.progress(letter(setup)) | {} == {
            "queued": 0,
            "sending": 0,
            "sent": 1,
            "failed": 1,
            "uncertain": 1,
            "skipped": 0,
        }
        run_to_the_end()  # nothing more: the uncertain one is never sent again
    assert len(smtp.received) == 2


def test_retry_failed_requeues_the_same_outbox_rows(app, setup, smtp):
    smtp.handler.data_replies = ["554 5.6.0 Message refused", "554 5.6.0 Message refused"]
    with app.app_context():
        scheduled(setup)
        run_to_the_end()
        assert sorted(s for _, s, _ in deliveries(setup)) == ["failed", "failed", "sent"]
        failed = db.session.scalars(
            select(NewsletterDelivery).where(NewsletterDelivery.state == "failed")
        ).all()
        carriers = sorted(row.outbox_id for row in failed)
        volunteer = db.session.get(User, setup.readers[0].id)
        with pytest.raises(PermissionDenied):
            newsletter_sending.retry_failed(volunteer, letter(setup))
        team = db.session.get(User, setup.team.id)
        moved = db.session.get(User, failed[0].user_id)
        moved.email = "new-address@example.org"  # fixed their address meanwhile
        assert newsletter_sending.retry_failed(team, letter(setup)) == 2
        db.session.commit()
        news = letter(setup)
        assert news.state == "sent" and news.finished_at is None  # still in the archive
        rows = [db.session.get(OutboxMessage, i) for i in carriers]
        assert [(r.state, r.attempts) for r in rows] == [("queued", 0)] * 2
        run_to_the_end()
        assert [s for _, s, _ in deliveries(setup)] == ["sent"] * 3
        assert letter(setup).finished_at is not None
        assert newsletter_sending.retry_failed(team, letter(setup)) == 0
        expected = sorted(outbox.message_id(i) for i in carriers)
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 3
    received = smtp.handler.message_ids()
    assert len(received) == 3 and sorted(received[1:]) == expected  # the same Message-IDs
    assert "new-address@example.org" in [str(m["To"]) for m in smtp.received[1:]]


def test_retry_skips_people_who_may_no_longer_be_mailed(app, setup, smtp):
    smtp.handler.data_replies = ["554 5.6.0 Message refused"]
    with app.app_context():
        scheduled(setup)
        run_to_the_end()
        [failed] = db.session.scalars(
            select(NewsletterDelivery).where(NewsletterDelivery.state == "failed")
        ).all()
        consent.opt_out(
            db.session.get(User, failed.user_id), letter(setup).project, source="settings"
        )
        team = db.session.get(User, setup.team.id)
        assert newsletter_sending.retry_failed(team, letter(setup)) == 0
        db.session.refresh(failed)
        assert (failed.state, failed.reason) == ("skipped", "not-mailable")
    assert len(smtp.received) == 2


def test_an_smtp_outage_delays_and_loses_nothing(app, setup, smtp, clock):
    smtp.stop()
    with app.app_context():
        scheduled(setup)
        newsletter_sending.send_newsletters("w")
        drain_all()
        rows = db.session.scalars(select(OutboxMessage)).all()
        assert {(r.state, r.reason) for r in rows} == {("queued", "deferred")}
        newsletter_sending.send_newsletters("w")
        assert [s for _, s, _ in deliveries(setup)] == ["sending"] * 3
    smtp.start()
    clock.advance(minutes=5)
    with app.app_context():
        run_to_the_end()
        assert [s for _, s, _ in deliveries(setup)] == ["sent"] * 3
    assert sorted(str(m["To"]) for m in smtp.received) == [
        f"reader{n}@example.org" for n in range(3)
    ]


# --- the progress partial and its retry form ------------------------------------------------


def failed_one(app, setup, smtp):
    smtp.handler.data_replies = ["554 5.6.0 Message refused"]
    with app.app_context():
        scheduled(setup)
        run_to_the_end()


def partial(app, setup):
    with app.test_request_context():
        news = letter(setup)
        return render_template(
            "newsletters/_progress.html",
            newsletter=news,
            progress=newsletter_sending.progress(news),
        )


def test_the_partial_shows_counts_reasons_and_a_confirmed_retry_form(app, setup, smtp):
    failed_one(app, setup, smtp)
    html = partial(app, setup)
    assert '<progress id="newsletter-progress-bar-' in html and 'max="3" value="3"' in html
    assert "<dt>Failed</dt><dd>1</dd>" in html and "<dt>Sent</dt><dd>2</dd>" in html
    assert "1: the mail server refused it" in html
    assert 'name="csrf_token"' in html and 'name="confirm" value="yes" required' in html
    assert f"/projects/herbarium/updates/{setup.letter_id}/retry" in html
    assert "style=" not in html and "<script" not in html


def test_the_partial_of_a_draft_says_it_is_not_sent(app, setup):
    assert "Not sent yet" in partial(app, setup)


def outbox_states(app):
    with app.app_context():
        return sorted(row.state for row in db.session.scalars(select(OutboxMessage)))


def test_retrying_through_the_form_needs_csrf_confirmation_and_the_team(
    app, make, setup, smtp, client
):
    failed_one(app, setup, smtp)
    path = f"/projects/herbarium/updates/{setup.letter_id}/retry"
    assert client.post(path, data={"confirm": "yes"}).status_code == 400  # no CSRF token
    anonymous = client.post(path, data={"confirm": "yes", "csrf_token": csrf_token(client)})
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    login(client, setup.readers[1].username)
    token = csrf_token(client)
    answer = client.post(path, data={"confirm": "yes", "csrf_token": token})
    assert answer.status_code == 403
    assert client.post(path, data={"csrf_token": token}).status_code == 403  # unconfirmed too
    client.post("/logout", data={"csrf_token": token})
    login(client, setup.team.username)
    token = csrf_token(client)
    answer = client.post(path, data={"csrf_token": token})  # not confirmed
    assert answer.status_code == 422 and "Tick the box" in answer.get_data(as_text=True)
    assert outbox_states(app) == ["failed", "sent", "sent"]
    for bad in (
        "/projects/nowhere/updates/1/retry",
        f"/projects/herbarium/updates/{setup.letter_id + 9}/retry",
    ):
        assert client.post(bad, data={"confirm": "yes", "csrf_token": token}).status_code == 404
    assert client.get(path).status_code == 405
    answer = client.post(path, data={"confirm": "yes", "csrf_token": token})
    assert answer.status_code == 302
    assert outbox_states(app) == ["queued", "sent", "sent"]


# --- talk newsletter send -------------------------------------------------------------------


def test_the_cli_sends_a_draft_to_the_end_and_not_twice(app, setup, smtp, runner):
    app.config["TALK_NEWSLETTER_RATE"] = 0
    result = runner.invoke(args=["newsletter", "send", "herbarium", str(setup.letter_id)])
    assert result.exit_code == 0, result.output
    assert "to 3 people" in result.output and "Done: 3 sent." in result.output
    assert len(smtp.received) == 3
    again = runner.invoke(args=["newsletter", "send", "herbarium", str(setup.letter_id)])
    assert again.exit_code == 0 and "already sent" in again.output
    assert len(smtp.received) == 3


def test_the_cli_resumes_an_interrupted_send(app, setup, smtp, runner):
    """As after Ctrl+C: started, one delivery in the outbox and sent, the rest waiting."""
    with app.app_context():
        news = scheduled(setup)
        newsletter_sending.start(news, utcnow())
        newsletter_sending.move(news, 1)
        drain_all()
    assert len(smtp.received) == 1
    result = runner.invoke(args=["newsletter", "send", "herbarium", str(setup.letter_id)])
    assert result.exit_code == 0, result.output
    assert sorted(str(m["To"]) for m in smtp.received) == [
        f"reader{n}@example.org" for n in range(3)
    ]
    with app.app_context():
        assert [s for _, s, _ in deliveries(setup)] == ["sent"] * 3


def test_the_cli_refuses_what_does_not_exist(app, setup, runner):
    for args, message in (
        (["nowhere", "1"], "nowhere"),
        (["herbarium", str(setup.letter_id + 9)], f"no update {setup.letter_id + 9}"),
    ):
        result = runner.invoke(args=["newsletter", "send", *args])
        assert result.exit_code == 1 and message in result.output, result.output
    assert runner.invoke(args=["newsletter", "send", "herbarium", "x"]).exit_code == 2


# --- the demo -------------------------------------------------------------------------------


def test_the_demo_has_a_sent_update_and_a_draft(app, make, smtp):
    from notifications import newsletter_sending_demo

    project = make.project("demo")
    team = make.member(project, "team", username="tomas")
    readers = opted_in(app, make, project, 2)
    with app.app_context():
        people = {"tomas": db.session.get(User, team.id)}
        newsletter_sending_demo.add_demo_data(db.session.get(Project, project.id), people)
        db.session.commit()
    newsletter_sending_demo.catch_up(app)
    with app.app_context():
        states = sorted((n.subject, n.state) for n in db.session.scalars(select(Newsletter)))
        assert states == [
            (newsletter_sending_demo.SENT_SUBJECT, "sent"),
            (newsletter_sending_demo.DRAFT_SUBJECT, "draft"),
        ]
    assert sorted(str(m["To"]) for m in smtp.received) == sorted(
        f"{r.username}@example.org" for r in readers
    )
    assert all(re.match(r"<outbox-\d+\.", str(m["Message-ID"])) for m in smtp.received)


def test_the_worker_runs_the_newsletter_job(app):
    from notifications import worker

    [job] = [job for job in worker.JOBS if job.name == "newsletters"]
    assert job.run is newsletter_sending.send_newsletters and not job.every_worker


def test_on_sqlite_the_cli_refuses_beside_a_running_worker(app, setup, runner):
    from notifications import worker
    from talk.app import is_sqlite

    with app.app_context():
        if not is_sqlite():
            pytest.skip("PostgreSQL runs several workers")
        assert worker.take_worker_lease("the-running-worker")
    result = runner.invoke(args=["newsletter", "send", "herbarium", str(setup.letter_id)])
    assert result.exit_code == 1 and "Another worker" in result.output
    with app.app_context():
        assert letter(setup).state == "draft"  # nothing changed
