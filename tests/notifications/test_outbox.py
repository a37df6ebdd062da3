"""The outbox and its delivery over a real SMTP server (aiosmtpd, ``conftest.py``): what the
server receives, and the faults, each proving that no message is lost and none sent twice."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import select

from notifications import delivery, outbox, worker
from notifications.models import MailboxMessage, OutboxMessage, WorkerLease
from talk.errors import InvalidInput
from talk.extensions import db
from talk.models import User

W = "worker-a"


@pytest.fixture(params=["one by one", "pipelined"])
def smtp(smtp, request):
    """Each test with a server that takes the commands one by one, and again with one that
    offers PIPELINING: the outcomes are the same."""
    smtp.handler.pipelining = request.param == "pipelined"
    return smtp


def queue(app, count=1, **kwargs):
    """Queue ``count`` emails (committed as a request would) and return their ids."""
    fields = {
        "to_address": "volunteer@example.org",
        "subject": "A reply to your comment",
        "text": "Someone replied.\n",
        "html": "<p>Someone <em>replied</em>.</p>",
        "category": "replies",
    } | kwargs
    with app.app_context():
        ids = [outbox.enqueue(**fields).id for _ in range(count)]
        db.session.commit()
    return ids


def drain(app, who=W):
    with app.app_context():
        return delivery.drain(who, rng=random.Random(1))


def rows(app):
    with app.app_context():
        found = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        db.session.expunge_all()
        return found


def assert_each_once(smtp, ids, app):
    """The server received each of these outbox rows exactly once (by Message-ID)."""
    with app.app_context():
        expected = sorted(outbox.message_id(i) for i in ids)
    assert sorted(smtp.handler.message_ids()) == expected


def test_a_queued_email_arrives_with_both_parts_its_headers_and_a_stable_message_id(
    app, smtp, clock
):
    [message] = queue(app, headers={"List-Unsubscribe": "<https://talk.example.org/u/abc>"})
    report = drain(app)
    assert report.outcomes == {"sent": 1}
    [received] = smtp.received
    assert received["To"] == "volunteer@example.org"
    assert received["From"] == "Talk <talk@localhost>"
    assert received["Subject"] == "A reply to your comment"
    assert received["List-Unsubscribe"] == "<https://talk.example.org/u/abc>"
    with app.app_context():
        message_id = outbox.message_id(message)
    assert received["Message-ID"] == message_id
    assert message_id.startswith(f"<outbox-{message}.") and message_id.endswith("@localhost>")
    assert received.get_body(("plain",)).get_content() == "Someone replied.\n"
    assert "<em>replied</em>" in received.get_body(("html",)).get_content()
    [row] = rows(app)
    assert (row.state, row.attempts, row.sent_at) == ("sent", 1, clock.now)
    assert row.smtp_reply.startswith("250 ")
    assert drain(app).claimed == 0
    assert len(smtp.received) == 1


def test_a_long_email_goes_with_smtps_line_ends_and_arrives_whole(app, smtp):
    """SMTP lines end in CRLF: a message sent with bare LFs reads as one line, which a server
    refuses as too long past 1,000 bytes (smtplib mends line ends in a str, not in bytes)."""
    text = "".join(f"Line {n} of a long digest, with a link to its thread.\n" for n in range(80))
    queue(app, text=text, html=f"<pre>{text}</pre>")
    assert drain(app).outcomes == {"sent": 1}
    [received] = smtp.received
    assert received.get_body(("plain",)).get_content() == text


def test_headers_in_other_scripts_arrive_as_written_and_addresses_stay_addresses(app, smtp):
    """Welsh and curly quotes in a subject and a sender's name reach the reader unchanged; the
    address inside an encoded display name stays readable, and a long unsubscribe URL (ASCII,
    no spaces) stays on its header's line rather than being folded in front of it."""
    subject = "Diweddariad y gwanwyn — “Ŵyn” ac ŷd " * 4
    unsubscribe = "<https://talk.example.org/unsubscribe/" + "a1b2c3" * 25 + ">"
    headers = {
        "From": "Tîm Amgueddfa — Cymru <talk@localhost>",
        "Reply-To": "Tîm <tim@example.org>",
        "List-Unsubscribe": unsubscribe,
    }
    queue(app, subject=subject.strip(), text="Diolch — “thank you”.\n", headers=headers)
    assert drain(app).outcomes == {"sent": 1}
    [received] = smtp.received
    assert received["Subject"] == subject.strip()
    assert received["From"].addresses[0].display_name == "Tîm Amgueddfa — Cymru"
    assert received["From"].addresses[0].addr_spec == "talk@localhost"
    assert received["Reply-To"].addresses[0].addr_spec == "tim@example.org"
    assert received["List-Unsubscribe"] == unsubscribe
    assert received.get_body(("plain",)).get_content() == "Diolch — “thank you”.\n"
    raw = received.as_bytes()
    assert raw.isascii()  # 7-bit clean: no server needs 8BITMIME for it
    assert max(len(line) for line in raw.splitlines()) <= 998


def test_nothing_is_queued_for_a_change_that_rolls_back(app):
    with app.app_context():
        outbox.enqueue(to_address="a@example.org", subject="s", text="t", category="account")
        db.session.rollback()
    assert rows(app) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("category", "gossip"), ("to_address", "nobody"), ("subject", "two\nlines")],
)
def test_a_malformed_email_is_refused_naming_the_field(app, field, value):
    from talk.errors import InvalidInput

    with app.app_context(), pytest.raises(InvalidInput) as refused:
        outbox.enqueue(
            **{
                "to_address": "a@example.org",
                "subject": "s",
                "text": "t",
                "category": "account",
                field: value,
            }
        )
    assert field in refused.value.fields


def test_smtp_down_then_back_delivers_each_message_once(app, smtp, clock):
    smtp.stop()
    ids = queue(app, 3)
    report = drain(app)
    assert report.outcomes == {"queued": 3}
    for row in rows(app):
        assert (row.state, row.reason, row.attempts) == ("queued", "deferred", 1)
        assert "could not talk to the mail server" in row.smtp_reply
        assert clock.now + timedelta(seconds=30) <= row.next_attempt_at
        assert row.next_attempt_at <= clock.now + timedelta(minutes=1)
    smtp.start()
    assert drain(app).claimed == 0  # not due yet
    clock.advance(minutes=1)
    assert drain(app).outcomes == {"sent": 3}
    assert_each_once(smtp, ids, app)
    assert drain(app).claimed == 0


def test_a_4xx_answer_is_retried_after_the_backoff_and_sent_once(app, smtp, clock):
    smtp.handler.rcpt_replies.append("451 4.3.0 Greylisted, try later")
    smtp.handler.data_replies.append("452 4.3.1 Out of space")
    ids = queue(app)
    drain(app)
    [row] = rows(app)
    assert (row.state, row.smtp_reply, row.handed_at) == (
        "queued",
        "451 4.3.0 Greylisted, try later",
        None,
    )
    clock.advance(minutes=1)
    drain(app)  # the recipient is taken, the message refused after DATA: still not delivered
    [row] = rows(app)
    assert (row.state, row.attempts, row.smtp_reply) == ("queued", 2, "452 4.3.1 Out of space")
    assert row.next_attempt_at > clock.now + timedelta(seconds=59)
    assert smtp.received == []
    clock.advance(minutes=2)
    drain(app)
    [row] = rows(app)
    assert (row.state, row.attempts) == ("sent", 3)
    assert_each_once(smtp, ids, app)


def test_temporary_failures_give_up_after_the_last_attempt(app, smtp, clock):
    app.config["TALK_MAIL_MAX_ATTEMPTS"] = 2
    smtp.stop()
    queue(app)
    drain(app)
    clock.advance(hours=1)
    drain(app)
    [row] = rows(app)
    assert (row.state, row.reason, row.attempts) == ("failed", "gave-up", 2)
    smtp.start()
    clock.advance(hours=7)
    assert drain(app).claimed == 0
    assert smtp.received == []


def test_a_5xx_answer_fails_the_message_and_stops_mail_to_the_address(app, smtp, clock):
    smtp.handler.rcpt_replies.append("550 5.1.1 No such user here")
    queue(app, to_address="Gone@Example.org")
    drain(app)
    [row] = rows(app)
    assert (row.state, row.reason, row.smtp_reply) == (
        "failed",
        "rejected",
        "550 5.1.1 No such user here",
    )
    with app.app_context():
        status = outbox.address_status("gone@example.org")
        assert status.state == "disabled"
        assert "550 5.1.1 No such user here" in status.reason
    skipped = queue(app, to_address="gone@example.org")
    clock.advance(days=1)
    assert drain(app).claimed == 0
    with app.app_context():
        assert db.session.get(OutboxMessage, skipped[0]).reason == "address-disabled"
        outbox.enable_address("gone@example.org")
        db.session.commit()
    again = queue(app, to_address="gone@example.org")
    drain(app)
    assert_each_once(smtp, again, app)


def test_a_5xx_answer_to_the_message_fails_it_without_blaming_the_address(app, smtp):
    smtp.handler.data_replies.append("554 5.7.1 Message refused")
    queue(app)
    drain(app)
    [row] = rows(app)
    assert (row.state, row.reason) == ("failed", "rejected")
    with app.app_context():
        assert outbox.address_status("volunteer@example.org") is None


def test_repeated_bounces_disable_an_address(app):
    with app.app_context():
        for _ in range(outbox.BOUNCES_TO_DISABLE - 1):
            assert outbox.record_bounce("a@example.org", "mailbox full").state == "bouncing"
        assert outbox.record_bounce("a@example.org", "mailbox full").state == "disabled"


def test_a_slow_server_before_the_message_is_retried_and_sent_once(app, smtp, clock):
    """Waits out one 1-second SMTP timeout."""
    smtp.handler.rcpt_delay = 1.5
    ids = queue(app)
    drain(app)
    [row] = rows(app)
    assert (row.state, row.reason, row.handed_at) == ("queued", "deferred", None)
    smtp.handler.rcpt_delay = 0
    clock.advance(minutes=1)
    drain(app)
    assert rows(app)[0].state == "sent"
    assert_each_once(smtp, ids, app)


def test_no_answer_after_the_message_makes_it_uncertain_never_resent(app, smtp, clock):
    """The server stores the message, then answers too late (one 1-second timeout): it may
    have been delivered, so Talk marks it uncertain and does not send it again."""
    smtp.handler.data_delay = 1.5
    ids = queue(app, 2)
    report = drain(app)
    assert report.outcomes == {"uncertain": 1}
    first, second = rows(app)
    assert (first.state, first.reason) == ("uncertain", "connection-lost")
    assert second.state == "queued"  # released untried, due at once
    smtp.handler.data_delay = 0
    clock.advance(hours=7)
    drain(app)
    assert [r.state for r in rows(app)] == ["uncertain", "sent"]
    assert_each_once(smtp, ids, app)


def test_a_batch_costs_one_commit_a_message(app, smtp):
    """Each message's outcome is committed with the next message's handed_at: besides the
    batch's own commits (recover, the claim, which returns what composing reads, and the first
    message's mark), one a message.
    Counted on the engine: the drain writes its messages' outcomes on a connection of its own
    (inside the test's transaction a commit is a savepoint released)."""
    from sqlalchemy import event

    ids = queue(app, 5)
    commits: list[str] = []
    with app.app_context():
        listeners = {
            name: lambda *_args, name=name: commits.append(name)
            for name in ("commit", "release_savepoint")
        }
        for name, listener in listeners.items():
            event.listen(db.engine, name, listener)
        try:
            report = delivery.drain(W, rng=random.Random(1))
        finally:
            for name, listener in listeners.items():
                event.remove(db.engine, name, listener)
    assert report.outcomes == {"sent": 5}
    assert len(commits) == 3 + len(ids)
    assert_each_once(smtp, ids, app)


def test_without_an_smtp_url_mail_goes_to_the_local_mailbox(app, client, make):
    admin = make.admin()
    ids = queue(app, subject="A reply to your comment — “Ŵyn”")
    assert drain(app).outcomes == {"sent": 1}
    with app.app_context():
        [kept] = db.session.scalars(select(MailboxMessage)).all()
        assert kept.outbox_id == ids[0]
        assert kept.subject == "A reply to your comment — “Ŵyn”"  # decoded, as a reader sees it
        assert outbox.message_id(ids[0]) in kept.raw
        kept_id = kept.id
    from tests.conftest import login

    login(client, admin.username)
    page = client.get("/admin/mailbox").get_data(as_text=True)
    assert "A reply to your comment" in page and "Someone replied." in page
    assert "&lt;em&gt;replied&lt;/em&gt;" in page  # the HTML source, escaped
    assert f'sandbox src="/admin/mailbox/{kept_id}/html"' in page
    frame = client.get(f"/admin/mailbox/{kept_id}/html")
    assert frame.status_code == 200
    assert frame.headers["Content-Security-Policy"].startswith("sandbox;")
    assert "<em>replied</em>" in frame.get_data(as_text=True)


def test_the_delivery_log_shows_states_reasons_and_replies_to_site_admins_only(
    app, client, make, smtp
):
    admin, volunteer = make.admin(), make.user()
    smtp.handler.rcpt_replies.append("550 5.1.1 No such user here")
    queue(app, to_address="gone@example.org")
    drain(app)
    from tests.conftest import login

    login(client, volunteer.username)
    assert client.get("/admin/outbox").status_code == 403
    assert client.get("/admin/mailbox").status_code == 403
    client.post("/logout", data={})
    client = app.test_client()
    login(client, admin.username)
    page = client.get("/admin/outbox?state=failed").get_data(as_text=True)
    assert "gone@example.org" in page and "550 5.1.1 No such user here" in page
    assert "rejected" in page
    answer = client.get("/admin/outbox?state=lost")
    assert answer.status_code == 422
    assert "No state &#39;lost&#39;" in answer.get_data(as_text=True)


# --- the worker's leases and command ------------------------------------------------------


def test_a_periodic_job_runs_once_per_period_whatever_the_workers(app, clock):
    with app.app_context():
        assert worker.claim_period("digest", 60, "a")
        assert not worker.claim_period("digest", 60, "b")
        clock.advance(seconds=59)
        assert not worker.claim_period("digest", 60, "b")
        clock.advance(seconds=1)
        assert worker.claim_period("digest", 60, "b")
        assert not worker.claim_period("digest", 60, "a")


def test_a_second_worker_on_sqlite_refuses_to_start(app, runner, clock):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite only: PostgreSQL runs several workers")
    with app.app_context():
        assert worker.take_worker_lease("first")
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 1
    assert "Another worker (first) is running on this SQLite database" in result.output
    assert "Several workers need PostgreSQL" in result.output
    clock.advance(seconds=61)  # the first worker's lease lapsed: it was killed
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.get(WorkerLease, "worker").holder is None  # released on the way out


def test_worker_once_drains_the_outbox(app, runner, smtp):
    ids = queue(app, 2)
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert_each_once(smtp, ids, app)


@pytest.mark.parametrize("statement", ["one", "in several"])
def test_many_emails_queue_at_once_in_order_and_a_disabled_address_gets_none(
    app, monkeypatch, statement
):
    """The ids come back in the order of the mails, also when SQLite's INSERT is cut in parts
    (of 2 here) to stay within its limit of bound values."""
    from notifications import batch_sql

    if statement == "in several":
        monkeypatch.setattr(batch_sql, "SQLITE_ROWS", 2)
    mails = [
        outbox.Mail(f"v{n}@example.org", f"Update {n}", "Hello.\n", "newsletter") for n in range(3)
    ]
    with app.app_context():
        outbox.disable_address("V1@example.org", "refused")
        ids = outbox.enqueue_many(mails)
        db.session.commit()
    found = {row.id: row for row in rows(app)}
    assert [found[i].to_address for i in ids] == [m.to_address for m in mails]
    assert [(found[i].state, found[i].reason) for i in ids] == [
        ("queued", None),
        ("skipped", "address-disabled"),
        ("queued", None),
    ]


def test_a_batch_queued_at_a_moment_is_due_at_that_very_moment(app, clock):
    """A batch's times go in on the driver's own statement, written as SQLAlchemy writes them
    (SQLite compares times as text: in another form, "+00:00" added, a row would not be due at
    the moment it was queued, and would sort apart from rows queued one by one)."""
    clock.advance(seconds=0.25)  # a moment with microseconds: "12:00:00.250000"
    with app.app_context():
        [one] = queue(app)
        ids = outbox.enqueue_many([outbox.Mail("a@example.org", "Update", "Hi.\n", "newsletter")])
        db.session.commit()
        assert delivery.claim(W, 10) == [one, *ids]


def test_a_bad_email_in_a_batch_queues_none_of_it(app):
    good = outbox.Mail("v@example.org", "Update", "Hello.\n", "newsletter")
    bad = outbox.Mail("v2@example.org", "Two\nlines", "Hello.\n", "newsletter")
    with app.app_context(), pytest.raises(InvalidInput, match="one line"):
        outbox.enqueue_many([good, bad])
    assert rows(app) == []


def test_an_address_no_email_can_carry_fails_alone_and_the_rest_go(app, smtp):
    """A mailbox name outside ASCII (stored before Talk refused them) cannot be written into a
    message without SMTPUTF8: that row fails saying why; it neither stops the worker nor
    holds back the others."""
    [bad] = queue(app, to_address="josé@example.org")
    [good] = queue(app, to_address="jose@example.org")
    assert drain(app).outcomes == {"failed": 1, "sent": 1}
    found = {row.id: row for row in rows(app)}
    assert (found[bad].state, found[bad].reason) == ("failed", "unsendable")
    assert "could not be written as an email" in found[bad].smtp_reply
    assert found[good].state == "sent"
    assert_each_once(smtp, [good], app)


def test_a_batch_of_emails_is_stored_exactly_as_given(app, make):
    """A batch goes in as one document on PostgreSQL: every column reads back as given."""
    person = make.user("vol")
    odd = 'Quotes " \\ backslash, {braces}, tabs\tand é, 漢字, emoji 🌿\nsecond line\n'
    with app.app_context():
        user = db.session.get(User, person.id)
        mails = [
            outbox.Mail("a@example.org", 'Näme "quoted"', odd, "newsletter", "<p>é \\</p>"),
            outbox.Mail("b@example.org", "Plain", "Text.\n", "newsletter", None, user, {"X": 'b"'}),
        ]
        ids = outbox.enqueue_many(mails)
        db.session.commit()
    found = {row.id: row for row in rows(app)}
    assert [
        (r.to_address, r.user_id, r.category, r.subject, r.text_body, r.html_body, r.headers)
        for r in (found[i] for i in ids)
    ] == [
        ("a@example.org", None, "newsletter", 'Näme "quoted"', odd, "<p>é \\</p>", {}),
        ("b@example.org", person.id, "newsletter", "Plain", "Text.\n", None, {"X": 'b"'}),
    ]
    assert {(found[i].state, found[i].attempts) for i in ids} == {("queued", 0)}
