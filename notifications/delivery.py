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
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, cast

from flask import current_app
from sqlalchemy import Connection, CursorResult, Engine, Executable, Row, select, update
from sqlalchemy.engine import Transaction

from notifications import batch_sql, outbox
from notifications.ledger_sql import Sql, update_sql
from notifications.models import OutboxMessage
from notifications.smtp import Envelope, Outcome, open_transport
from talk import page_cache_writes, sqlite_writes
from talk.clock import utcnow
from talk.extensions import db

#: Delay before the first retry; each further retry waits twice as long (with jitter), up to
#: :data:`MAX_BACKOFF`.
FIRST_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=6)

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


def backoff(attempts: int, rng: random.Random | None = None) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: doubling from
    :data:`FIRST_BACKOFF`, capped at :data:`MAX_BACKOFF`, then a random 50–100% of it (jitter,
    so that messages deferred together do not all come back together)."""
    ceiling: timedelta = min(FIRST_BACKOFF * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)
    factor: float = (rng or random).uniform(0.5, 1.0)
    return ceiling * factor


def lease_length() -> timedelta:
    """How long a claim lasts without news: three SMTP timeouts and a margin. It is renewed
    before each message of a batch."""
    return timedelta(seconds=3 * current_app.config["TALK_SMTP_TIMEOUT"] + 30)


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


#: How long after its last renewal a lease is renewed again, before the next message.
RENEW_AFTER = timedelta(seconds=15)


class Ledger:
    """What a worker writes about its claimed batch while it sends it: ``handed_at`` before a
    message may reach the server, each outcome after, and its lease renewed.

    Each write is a short transaction of its own on one connection held for the batch (on SQLite
    first in this process's queue of writers, and out of it again at each commit); a message's
    outcome with the next one's ``handed_at`` is one statement committed alone (autocommit,
    :meth:`_both_or_neither`). The statements run straight on the DBAPI cursor: the session's
    and SQLAlchemy's statement machinery cost several times the one small ``UPDATE`` a message
    needs (``bench/newsletters.py``). Inside an outer transaction (a test's) it takes savepoints
    on that connection, as the session does. Every ``UPDATE`` is conditional on the row still
    being claimed by the worker. Before each message the lease must still cover the longest
    exchange (three SMTP timeouts: :func:`lease_length` keeps 30 s more); it is renewed only
    once :data:`RENEW_AFTER` of that margin is used."""

    def __init__(self, worker: str, claimed_at: datetime) -> None:
        self.worker = worker
        self.renewed_at = claimed_at
        self.marked: int | None = None
        bind = db.session.get_bind()
        self._own = isinstance(bind, Engine)
        self._connection: Connection = bind.connect() if isinstance(bind, Engine) else bind
        self._transaction: Transaction | None = None
        self._cursor: Any = None
        # A message's outcome and the next one's handed_at are one statement that commits on
        # its own (autocommit), not BEGIN, UPDATE and COMMIT: SQLAlchemy's transaction events,
        # on SQLite the lock's PRAGMAs, on PostgreSQL three round trips; most of the drain's
        # CPU time a message. Not inside an outer transaction (a test's): savepoints there.
        self._alone: Any = self._connection.connection.driver_connection if self._own else None
        # PostgreSQL: the connection is in autocommit between the batch's transactions (set
        # once, not on and off around each message: that was a tenth of recording one), and
        # its cursor for those statements is made once.
        postgresql = self._own and self._connection.dialect.name == "postgresql"
        self._autocommitting: Any = self._alone if postgresql else None
        self._alone_cursor: Any = None
        self._autocommit(True)
        sqlite = self._own and self._connection.dialect.name == "sqlite"
        self._first_in_line: AbstractContextManager[None] = (
            sqlite_writes.FirstInLine(self._connection) if sqlite else nullcontext()
        )

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.rollback()
        finally:
            if self._own:
                if self._alone_cursor is not None:
                    self._alone_cursor.close()
                try:
                    self._autocommit(False)  # lent by the pool so, given back so
                except self._connection.dialect.loaded_dbapi.Error:
                    self._connection.invalidate()  # a broken connection: never lent again
                self._connection.close()

    def _autocommit(self, on: bool) -> None:
        connection = self._autocommitting
        if connection is not None and not connection.closed and connection.autocommit != on:
            connection.autocommit = on

    def _begin(self) -> None:
        if self._transaction is None:
            connection = self._connection
            nested = connection.in_transaction()
            self._autocommit(False)
            self._transaction = connection.begin_nested() if nested else connection.begin()
            self._cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]

    def _end(self, transaction: Transaction, commit: bool) -> None:
        self._transaction = self._cursor = None
        if commit:
            transaction.commit()
            page_cache_writes.after_commit()
        else:
            transaction.rollback()
        if self._own:
            sqlite_writes.leave_queue(self._connection)

    def commit(self) -> None:
        if self._transaction is not None:
            self._end(self._transaction, commit=True)

    def rollback(self) -> None:
        if self._transaction is not None:
            self._end(self._transaction, commit=False)

    def execute(self, statement: Executable) -> None:
        """Run a statement in the current write (the mailbox's delivery: one transaction with
        its outcome)."""
        self._begin()
        self._connection.execute(statement)

    def _update(
        self,
        values: dict[str, object],
        row: int | None,
        then: int | None = None,
        handed_at: datetime | None = None,
    ) -> int:
        """Set ``values`` on ``row`` (None: all the worker's rows) while the worker holds it,
        and with ``then`` mark that row handed over at ``handed_at`` in the same statement;
        how many rows changed."""
        self._begin()
        rows = "all" if row is None else "one" if then is None else "one-then-next"
        sql = update_sql(self._connection.dialect, tuple(sorted(values)), rows)
        self._cursor.execute(sql.text, self._params(sql, values, row, then, handed_at))
        page_cache_writes.wrote_directly(self._connection)
        return int(self._cursor.rowcount)

    def _params(
        self,
        sql: Sql,
        values: dict[str, object],
        row: int | None,
        then: int | None,
        handed_at: datetime | None,
    ) -> dict[str, object]:
        params: dict[str, object] = {"row": row, "worker": self.worker, "then": then}
        if then is not None:
            params["then_handed_at"] = handed_at
        params |= values
        for name, process in sql.processors.items():
            if params.get(name) is not None:
                params[name] = process(params[name])
        return params

    def _both_or_neither(
        self, values: dict[str, object], row: int, then: int, handed_at: datetime
    ) -> bool:
        """No write open: ``row``'s outcome and ``then``'s ``handed_at`` as one statement
        committed on its own; whether it changed both (else it changed neither). On SQLite
        first in this process's queue of writers, as a write transaction would be."""
        sql = update_sql(self._connection.dialect, tuple(sorted(values)), "both-or-neither")
        params = self._params(sql, values, row, then, handed_at)
        connection = self._alone
        if self._connection.dialect.name == "sqlite":  # no BEGIN: autocommit already
            with self._first_in_line:
                cursor = connection.execute(sql.text, params)
                both: bool = cursor.rowcount == 2
        else:
            self._autocommit(True)  # on since __init__, or again after a write (_begin)
            if self._alone_cursor is None:
                self._alone_cursor = connection.cursor()
            self._alone_cursor.execute(sql.text, params)
            both = self._alone_cursor.rowcount == 2
        if both:
            page_cache_writes.committed_directly()
        return both

    def _renew(self, now: datetime) -> None:
        """Renew the lease of the worker's claimed rows once :data:`RENEW_AFTER` is used."""
        if now - self.renewed_at >= RENEW_AFTER:
            self._update({"lease_until": now + lease_length()}, None)
            self.renewed_at = now

    def mark(self, outbox_id: int, now: datetime | None = None) -> None:
        """Mark this row handed over (``handed_at``) in the current write, renewing the lease
        of the worker's claimed rows when it is due; the caller commits."""
        now = now or utcnow()
        self._update({"handed_at": now}, outbox_id)
        self._renew(now)
        self.marked = outbox_id

    def handing_over(self, outbox_id: int) -> None:
        """Commit that this message is about to reach the server (see the module's
        docstring), unless that was committed already with the previous message's outcome."""
        if self.marked != outbox_id:
            self.mark(outbox_id)
            self.commit()

    def record(
        self,
        claimed: Claimed,
        outcome: Outcome,
        rng: random.Random | None = None,
        *,
        then: int | None = None,
    ) -> str:
        """Record one attempt's outcome (and commit); returns the row's new state, or
        ``lost-lease``, changing nothing, once the row is no longer the worker's (its lease
        ran out: the row is :func:`recover`'s or another worker's, and a late answer must not
        count). ``then`` (the next row to send) is marked handed over in the same commit: one
        commit a message instead of two."""
        now = utcnow()  # read once: the outcome's, the next one's handed_at, the lease's
        values = _outcome_values(claimed, outcome, rng, now)
        row = claimed.envelope.outbox_id
        if then is not None and self._alone is not None and self._transaction is None:
            both = self._both_or_neither(values, row, then, now)
        else:
            both = then is not None and self._update(values, row, then, now) == 2
        if both:
            self._renew(now)
            self.marked = then
        else:
            if then is not None:  # one of the two is no longer the worker's: which one?
                self.rollback()
            if not self._update(values, row):
                self.rollback()
                return "lost-lease"
            if then is not None:
                self.mark(then, now)
        self.commit()
        if outcome.kind == "rejected-recipient":  # after the outcome: see "Delivery"
            refused = f"The mail server refused it: {outcome.reply}"
            outbox.disable_address(claimed.envelope.recipient, refused)
            db.session.commit()
        return str(values["state"])


@dataclass(frozen=True)
class Claimed:
    """A claimed row, read and composed once: no one else changes a row while it is claimed,
    so its attempts so far are known without reading it again."""

    envelope: Envelope
    attempts: int


def _outcome_values(
    claimed: Claimed, outcome: Outcome, rng: random.Random | None, now: datetime
) -> dict[str, object]:
    """What an attempt's outcome makes of its row (at ``now``): sent; failed (refused, or the
    last attempt); uncertain (no answer after the message was handed over); or queued again
    after its backoff (a temporary failure), not handed over."""
    attempts = claimed.attempts + 1
    values: dict[str, object] = {
        "attempts": attempts,
        "smtp_reply": outcome.reply[:2000],
        "claimed_by": None,
        "lease_until": None,
    }
    if outcome.kind == "sent":
        values |= {"state": "sent", "reason": None, "sent_at": now}
    elif outcome.kind == "uncertain":
        values |= {"state": "uncertain", "reason": "connection-lost"}
    elif outcome.kind == "temporary" and attempts >= current_app.config["TALK_MAIL_MAX_ATTEMPTS"]:
        values |= {"state": "failed", "reason": "gave-up"}
    elif outcome.kind == "temporary":
        values |= {
            "state": "queued",
            "reason": "deferred",
            "next_attempt_at": now + backoff(attempts, rng),
            "handed_at": None,
        }
    else:
        values |= {"state": "failed", "reason": "rejected"}
    return values


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
