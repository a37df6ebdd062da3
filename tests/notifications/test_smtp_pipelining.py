"""SMTP PIPELINING (RFC 2920) against a real server (aiosmtpd, ``conftest.py``) that offers it:
``MAIL FROM``, ``RCPT TO`` and ``DATA`` go in one write, and every reply is still checked, so
a refused recipient or a server hanging up ends each message as it does one command at a time."""

from __future__ import annotations

import pytest

from notifications import outbox
from tests.notifications.test_outbox import assert_each_once, drain, queue, rows

MODES = ["one by one", "pipelined"]


@pytest.mark.parametrize("mode", MODES)
def test_the_commands_go_in_one_write_only_to_a_server_that_offers_it(app, smtp, mode):
    smtp.handler.pipelining = mode == "pipelined"
    ids = queue(app, 3)
    assert drain(app).outcomes == {"sent": 3}
    assert smtp.handler.pipelined == [mode == "pipelined"] * 3
    assert_each_once(smtp, ids, app)


@pytest.mark.parametrize("mode", MODES)
def test_a_recipient_refused_mid_batch_fails_alone_and_the_others_go_once(app, smtp, mode):
    smtp.handler.pipelining = mode == "pipelined"
    smtp.handler.refuse["gone@example.org"] = "550 5.1.1 No such user here"
    first = queue(app, to_address="one@example.org")
    queue(app, to_address="gone@example.org")
    last = queue(app, to_address="three@example.org")
    assert drain(app).outcomes == {"sent": 2, "failed": 1}
    assert [(r.state, r.reason, r.smtp_reply) for r in rows(app)] == [
        ("sent", None, "250 2.0.0 Ok: queued as 1"),
        ("failed", "rejected", "550 5.1.1 No such user here"),
        ("sent", None, "250 2.0.0 Ok: queued as 2"),
    ]
    assert rows(app)[1].handed_at is not None  # marked with the first one's outcome
    with app.app_context():
        assert outbox.address_status("gone@example.org").state == "disabled"
    assert_each_once(smtp, first + last, app)


@pytest.mark.parametrize("mode", MODES)
def test_a_server_hanging_up_before_a_message_leaves_it_and_the_rest_to_retry(
    app, smtp, clock, mode
):
    """The connection closes at the second message's MAIL FROM (in a pipeline, before any
    reply): nothing of that message reached the server, so it and the one after it are
    queued again, never uncertain, and each is sent once later."""
    smtp.handler.pipelining = mode == "pipelined"
    smtp.handler.hang_up_at_mail = 2
    ids = queue(app, 3)
    assert drain(app).outcomes == {"sent": 1, "queued": 2}
    found = rows(app)
    assert [(r.state, r.reason, r.handed_at) for r in found[1:]] == [
        ("queued", "deferred", None)
    ] * 2
    assert all("could not talk to the mail server" in r.smtp_reply for r in found[1:])
    clock.advance(minutes=1)
    assert drain(app).outcomes == {"sent": 2}
    assert_each_once(smtp, ids, app)
    assert drain(app).claimed == 0


def test_a_failed_hand_over_in_a_pipeline_drops_the_connection_and_sends_nothing(app, smtp):
    """The server has answered DATA and waits for the message; recording ``handed_at`` failed,
    so nothing may go: the connection is closed at once (a QUIT would be read as the message's
    text and answered only at the timeout)."""
    from notifications.smtp import Envelope, parse_smtp_url, smtp_connection

    smtp.handler.pipelining = True
    envelope = Envelope(
        1, "talk@example.org", "one@example.org", "Hi", b"Subject: Hi\r\n\r\nHi\r\n"
    )

    def failing() -> None:
        raise RuntimeError("the database went away")

    with smtp_connection(parse_smtp_url(smtp.url), timeout=1) as connection:
        with pytest.raises(RuntimeError):
            connection.send(envelope, failing)
        assert connection.smtp.sock is None
    assert smtp.handler.pipelined == [True]
    assert smtp.received == []
