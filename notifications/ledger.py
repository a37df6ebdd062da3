"""What a worker writes about its claimed batch of outbox rows while it sends it
(:class:`Ledger`: ``handed_at``, each outcome, the lease), and what an outcome makes of a row
(a retry's backoff). :mod:`notifications.delivery` drains the outbox with it; the guarantee is
``docs/decisions.md``, "Delivery"."""

from __future__ import annotations

import random
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Connection, Engine, Executable
from sqlalchemy.engine import Transaction

from notifications import outbox
from notifications.ledger_sql import Sql, update_sql
from notifications.models import OutboxMessage
from notifications.smtp import Envelope, Outcome
from talk import page_cache_writes, sqlite_writes
from talk.clock import utcnow
from talk.extensions import db

#: The table the Ledger writes: on no kept page (talk/page_cache_writes.py, UNSHOWN_TABLES).
_OUTBOX = OutboxMessage.__tablename__

#: Delay before the first retry; each further retry waits twice as long (with jitter), up to
#: :data:`MAX_BACKOFF`.
FIRST_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=6)


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
        page_cache_writes.wrote_directly(self._connection, _OUTBOX)
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
            page_cache_writes.committed_directly(_OUTBOX)
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
