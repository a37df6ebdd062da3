"""The outbox's Ledger: what a worker writes about its claimed batch while it sends it (leases,
``handed_at``, outcomes), each write only while the worker still holds the row."""

from __future__ import annotations

import random

import pytest

from notifications import delivery
from notifications.ledger import RENEW_AFTER, Claimed, Ledger, backoff, lease_length
from notifications.models import OutboxMessage
from talk.extensions import db
from tests.notifications.test_outbox import W, queue, rows


def test_expired_leases_are_requeued_or_marked_uncertain(app, clock):
    ids = queue(app, 2)
    with app.app_context():
        assert delivery.claim("dead-worker", 10) == ids
        db.session.get(OutboxMessage, ids[1]).handed_at = clock.now
        db.session.commit()
        assert delivery.recover() == (0, 0)  # the lease still runs
        clock.advance(seconds=3 * app.config["TALK_SMTP_TIMEOUT"] + 31)
        assert delivery.recover() == (1, 1)
        assert delivery.claim("other", 10) == ids[:1]
        # The dead worker's late answer changes nothing: the row is no longer its own.
        from notifications.smtp import Envelope, Outcome

        late = Claimed(Envelope(ids[1], "talk@localhost", "v@example.org", "", b""), 0)
        with Ledger("dead-worker", clock.now) as ledger:
            assert ledger.record(late, Outcome("sent", "250 ok")) == "lost-lease"
    assert [(r.state, r.reason) for r in rows(app)] == [
        ("sending", "lease-expired"),
        ("uncertain", "worker-died"),
    ]


@pytest.mark.parametrize(
    "connection",
    ["the test's", pytest.param("its own", marks=pytest.mark.commits)],
)
def test_an_outcome_and_the_next_mark_apply_only_to_rows_the_worker_still_holds(
    app, clock, connection
):
    """The outcome of one message and the next one's handed_at are one statement: when either
    row is no longer the worker's, neither is written that way; the outcome still lands alone
    if its own row is held, and nothing at all if it is not (its lease was lost). On a
    connection of its own (a worker's) PostgreSQL commits that statement alone (autocommit),
    so the statement itself must change both rows or neither."""
    from notifications.smtp import Envelope, Outcome

    def claimed(outbox_id):
        return Claimed(Envelope(outbox_id, "t@localhost", "v@example.org", "", b""), 0)

    ids = queue(app, 6)
    with app.app_context():
        assert delivery.claim(W, 10) == ids
        db.session.get(OutboxMessage, ids[1]).claimed_by = "another"  # no longer W's
        db.session.get(OutboxMessage, ids[2]).claimed_by = "another"
        db.session.commit()
        with Ledger(W, clock.now) as ledger:
            assert ledger.record(claimed(ids[0]), Outcome("sent", "250"), then=ids[1]) == "sent"
            assert ledger.record(claimed(ids[2]), Outcome("sent", "250"), then=ids[3]) == (
                "lost-lease"
            )
            assert ledger.record(claimed(ids[4]), Outcome("sent", "250"), then=ids[5]) == "sent"
            assert ledger.marked == ids[5]
    found = rows(app)
    assert [(r.state, r.handed_at is not None) for r in found] == [
        ("sent", False),
        ("sending", False),  # the next one, not W's: not marked by W
        ("sending", False),  # the lost one: no outcome
        ("sending", False),  # and the next of the lost one: not marked either
        ("sent", False),
        ("sending", True),  # both held: the outcome and the next one's mark, together
    ]


def test_a_lease_is_renewed_before_a_message_only_once_its_margin_is_used(app, clock):
    """Before each message the claim must still outlast one whole exchange (three timeouts);
    renewing it costs an UPDATE of the batch, so it is renewed every RENEW_AFTER, not per
    message."""
    ids = queue(app, 3)
    with app.app_context():
        assert delivery.claim(W, 10) == ids
        first_end = clock.now + lease_length()
        with Ledger(W, clock.now) as lease:
            lease.handing_over(ids[0])
            clock.advance(seconds=RENEW_AFTER.total_seconds() - 1)
            lease.handing_over(ids[1])
            assert {row.lease_until for row in rows(app)} == {first_end}
            clock.advance(seconds=1)
            lease.handing_over(ids[2])
            now_end = clock.now + lease_length()
            assert {row.lease_until for row in rows(app)} == {now_end}
            assert all(row.handed_at is not None for row in rows(app))


@pytest.mark.parametrize(
    "connection",
    ["the test's", pytest.param("its own", marks=pytest.mark.commits)],
)
def test_the_ledgers_own_writes_are_noticed_but_move_no_generation(app, clock, connection):
    """The Ledger writes on the DBAPI cursor, past SQLAlchemy's events: a request that did so
    is still not kept by the page cache, but the outbox is on no kept page
    (``UNSHOWN_TABLES``), so neither the private generation nor anybody's moves, a statement
    committed alone (PostgreSQL, a connection of its own) included."""
    from flask import request

    from notifications.smtp import Envelope, Outcome
    from talk.page_cache_personal import WROTE_HERE
    from talk.page_cache_writes import EXTENSION

    ids = queue(app, 2)
    with app.test_request_context("/notifications"):
        generation = app.extensions[EXTENSION].personal.backend.generation
        assert delivery.claim(W, 10) == ids
        db.session.commit()
        before = generation.read(), generation.read_for(1)
        with Ledger(W, clock.now) as ledger:
            ledger.handing_over(ids[0])
            assert request.environ.get(WROTE_HERE)
            sent = Claimed(Envelope(ids[0], "t@localhost", "v@example.org", "", b""), 0)
            assert ledger.record(sent, Outcome("sent", "250"), then=ids[1]) == "sent"
        assert (generation.read(), generation.read_for(1)) == before


@pytest.mark.commits
def test_the_ledger_gives_its_connection_back_as_the_pool_lent_it(app, clock):
    """On PostgreSQL the Ledger's own connection stays in autocommit while it sends a batch
    (its messages' records commit alone); it must go back to the pool out of it, or the next
    session to borrow it would commit each statement as it runs and could not roll back."""
    from sqlalchemy import event

    from notifications.smtp import Envelope, Outcome

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("PostgreSQL's autocommit: SQLite's driver has no such mode to leave on")

    def claimed(outbox_id):
        return Claimed(Envelope(outbox_id, "t@localhost", "v@example.org", "", b""), 0)

    returned: list[bool] = []

    def checked_in(dbapi_connection, _record):
        returned.append(dbapi_connection.autocommit)

    ids = queue(app, 3)
    with app.app_context():
        assert delivery.claim(W, 10) == ids
        event.listen(db.engine, "checkin", checked_in)
        try:
            with Ledger(W, clock.now) as ledger:
                ledger.handing_over(ids[0])  # a transaction of its own (autocommit off)
                sent = ledger.record(claimed(ids[0]), Outcome("sent", "250"), then=ids[1])
                assert sent == "sent"  # one statement alone, the last: autocommit on
        finally:
            event.remove(db.engine, "checkin", checked_in)
    assert returned == [False]
    assert [(row.state, row.handed_at is not None) for row in rows(app)] == [
        ("sent", True),
        ("sending", True),
        ("sending", False),
    ]


def test_backoff_doubles_with_jitter_up_to_a_ceiling():
    rng = random.Random(7)
    for attempts, ceiling in [(1, 60), (2, 120), (3, 240), (20, 6 * 3600)]:
        wait = backoff(attempts, rng).total_seconds()
        assert ceiling / 2 <= wait <= ceiling


def test_a_deferred_row_is_due_at_the_very_moment_of_its_next_attempt(app, clock, monkeypatch):
    """The Ledger writes its times as SQLAlchemy's statements do (SQLite compares them as
    text: with sqlite3's "+00:00" a row deferred to a moment was due only after it)."""
    from datetime import timedelta

    from notifications import ledger
    from notifications.smtp import Envelope, Outcome

    monkeypatch.setattr(ledger, "backoff", lambda attempts, rng=None: timedelta(minutes=1))
    clock.advance(seconds=0.25)
    [one] = queue(app)
    with app.app_context():
        assert delivery.claim(W, 10) == [one]
        with Ledger(W, clock.now) as book:
            claimed = Claimed(Envelope(one, "t@localhost", "v@example.org", "", b""), 0)
            assert book.record(claimed, Outcome("temporary", "451 later")) == "queued"
        clock.advance(seconds=60)
        assert delivery.claim(W, 10) == [one]
