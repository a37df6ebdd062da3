"""Draining the outbox: claim due rows under a lease, hand each to the transport, record what
happened. ``docs/decisions.md`` ("Delivery") states the guarantee; in short:

* a claim is committed before any message goes out (``sending``, ``claimed_by``,
  ``lease_until``); rows are claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several
  workers never take the same row (SQLite has one worker, :mod:`notifications.worker`);
* ``handed_at`` is committed before a message may reach the server: the next message's with
  the previous one's outcome (one commit a message, one statement committed on its own), the
  first's after the server accepted its recipient (and, pipelined, ``DATA``); the outcome is
  committed after the server's answer;
* a row whose lease ran out is taken back by :func:`recover`: without ``handed_at`` nothing
  reached the server and it is queued again; with it, it may have been delivered, so it is
  marked ``uncertain`` for the site admins, never sent again.

No database transaction is held open while talking to the mail server.
"""

from __future__ import annotations

import os
import random
import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, Executable, Row, select, update

from notifications import batch_sql, outbox
from notifications.ledger import Claimed, Ledger, lease_length
from notifications.models import OutboxMessage
from notifications.smtp import Envelope, Outcome, open_transport
from talk.clock import utcnow
from talk.extensions import db

#: Test hook: ``TALK_TEST_WORKER_PAUSE=<point>:<folder>`` makes the worker write
#: ``<folder>/<point>`` on reaching ``claimed`` (rows claimed, nothing sent), ``sent`` (the
#: server accepted a message, nothing recorded) or ``recorded`` (a message's outcome recorded,
#: the next not sent yet) and then wait for ever, so that a test can kill it there with
#: SIGKILL. Never set in production.
PAUSE_ENV = "TALK_TEST_WORKER_PAUSE"

#: What composing a message reads of its row (no ORM object: read once, never written back).
_COMPOSED = tuple(
    OutboxMessage.__table__.c[name]
    for name in (
        "id",
        "to_address",
        "subject",
        "text_body",
        "html_body",
        "headers",
        "created_at",
        "attempts",
    )
)

#: The outbox's table: its statements are run as the table's (Core), not through the ORM's
#: UPDATE path, which cost more than the statements (``bench/newsletters.py``).
_TABLE = OutboxMessage.__table__


@dataclass
class DrainReport:
    """What one run of :func:`drain` did (counts by outcome)."""

    claimed: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str) -> None:
        self.outcomes[kind] = self.outcomes.get(kind, 0) + 1


def _pauses() -> Callable[[str], None]:
    """The test hook (:data:`PAUSE_ENV`) as read once for a drain (it was the environment
    read three times a message): a pause at the point it names, else nothing."""
    wanted, _, folder = os.environ.get(PAUSE_ENV, "").partition(":")
    if not wanted or not folder:
        return _go_on

    def pause(point: str) -> None:
        if point != wanted:
            return
        (Path(folder) / point).write_text(str(os.getpid()))
        while True:  # killed here by the test
            time.sleep(1)

    return pause


def _go_on(point: str) -> None:
    """No pause (the test hook is not set)."""


def changed(statement: Executable) -> int:
    """Run an ``UPDATE`` and return how many rows it changed."""
    result = db.session.execute(statement)
    return int(cast("CursorResult[Any]", result).rowcount)


def recover(now: datetime | None = None) -> tuple[int, int]:
    """Take back the rows of workers whose lease ran out (they died, or hung): queued again
    when nothing reached the server, ``uncertain`` when it may have. Returns (requeued,
    uncertain); commits (which expires whatever the session held of these rows)."""
    now = now or utcnow()
    expired = (_TABLE.c.state == "sending", _TABLE.c.lease_until < now)
    taken_back = {"claimed_by": None, "lease_until": None}
    requeued = changed(
        update(_TABLE)
        .where(*expired, _TABLE.c.handed_at.is_(None))
        .values(state="queued", reason="lease-expired", **taken_back)
    )
    uncertain = changed(
        update(_TABLE)
        .where(*expired, _TABLE.c.handed_at.is_not(None))
        .values(state="uncertain", reason="worker-died", **taken_back)
    )
    db.session.commit()
    return requeued, uncertain


def claim(worker: str, limit: int) -> list[int]:
    """Claim up to ``limit`` due rows for ``worker`` and commit; their ids, in order."""
    return [row.id for row in _claim(worker, limit)]


def _claim(worker: str, limit: int) -> list[Row[Any]]:
    """Claim up to ``limit`` due rows for ``worker`` and commit; what composing them reads
    (:data:`_COMPOSED`), in the order of their ids, from the claim's own ``RETURNING`` (not
    read again). On PostgreSQL the candidate rows are locked with ``SKIP LOCKED``, so
    concurrent workers take disjoint rows; the ``UPDATE`` is conditional on the state either
    way. Nothing due: no ``UPDATE`` (an idle worker's poll writes nothing). The candidates go
    back as one parameter (:func:`batch_sql.among`), not bound one by one."""
    now = utcnow()
    candidates = list(
        db.session.scalars(
            select(_TABLE.c.id)
            .where(_TABLE.c.state == "queued", _TABLE.c.next_attempt_at <= now)
            .order_by(_TABLE.c.next_attempt_at, _TABLE.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not candidates:
        db.session.commit()
        return []
    claimed = db.session.execute(
        update(_TABLE)
        .where(batch_sql.among(_TABLE.c.id, candidates), _TABLE.c.state == "queued")
        .values(
            state="sending",
            claimed_by=worker,
            lease_until=now + lease_length(),
            handed_at=None,
        )
        .returning(*_COMPOSED)
    ).all()
    db.session.commit()
    return sorted(claimed, key=lambda row: int(row.id))


def _release(worker: str, ids: list[int]) -> None:
    """Give back claimed rows that were not tried (the connection broke before them)."""
    if ids:
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.claimed_by == worker)
            .where(OutboxMessage.state == "sending", OutboxMessage.handed_at.is_(None))
            .values(state="queued", claimed_by=None, lease_until=None)
        )
        db.session.commit()


def _compose(rows: list[Row[Any]]) -> list[Claimed]:
    """The claimed rows' messages (committed: no transaction is held while the server
    answers). A row that cannot be written as an email (an address stored before Talk refused
    non-ASCII mailboxes) fails alone, saying why, and never stops the others."""
    sender = outbox.sender_address()
    composer = outbox.Composer.of_site()
    claimed = []
    for row in rows:
        try:
            email = composer.compose(row)
        except (ValueError, LookupError) as exc:  # UnicodeError is a ValueError
            db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id)
                .values(
                    state="failed",
                    reason="unsendable",
                    claimed_by=None,
                    lease_until=None,
                    smtp_reply=f"could not be written as an email: {exc}"[:2000],
                )
            )
            continue
        envelope = Envelope(row.id, sender, row.to_address, row.subject, email)
        claimed.append(Claimed(envelope, row.attempts))
    db.session.commit()
    return claimed


def drain(worker: str, *, limit: int = 200, rng: random.Random | None = None) -> DrainReport:
    """Send what is due: recover expired leases, claim a batch, send it over one connection.
    Each message costs one commit: its outcome, with the next message's ``handed_at`` (so a
    worker killed between two messages leaves that next one ``uncertain``, never more)."""
    recover()
    report = DrainReport()
    claimed_at = utcnow()  # no later than the claim's own start
    rows = _claim(worker, limit)
    report.claimed = len(rows)
    if not rows:
        return report
    pause = _pauses()
    pause("claimed")
    pending = _compose(rows)
    for _ in range(len(rows) - len(pending)):
        report.count("failed")  # could not be written as an email (_compose says why)
    with Ledger(worker, claimed_at) as ledger:
        try:
            with open_transport(ledger.execute) as transport:
                while pending:
                    envelope = pending[0].envelope
                    outcome = transport.send(
                        envelope, partial(ledger.handing_over, envelope.outbox_id)
                    )
                    pause("sent")
                    claimed = pending.pop(0)
                    go_on = outcome.kind != "uncertain"  # else the session is in an unknown state
                    then = None
                    if go_on and pending and transport.doubt:
                        then = pending[0].envelope.outbox_id
                    state = ledger.record(claimed, outcome, rng, then=then)
                    pause("recorded")
                    report.count(state)
                    if not go_on or state == "lost-lease":
                        break  # reconnect next time; a lost lease's rows are recover()'s
        except (OSError, smtplib.SMTPException) as exc:
            # Connecting (or the session between messages) failed: nothing of these was
            # handed over, so each is a temporary failure, retried after its backoff.
            reply = f"could not talk to the mail server: {exc}"[:2000]
            ledger.rollback()
            for untried in pending:
                report.count(ledger.record(untried, Outcome("temporary", reply), rng))
            pending = []
    _release(worker, [untried.envelope.outbox_id for untried in pending])
    return report
