"""The notification tables: the email outbox and what the worker keeps beside it.

Models defined here share :data:`talk.extensions.db`, so Alembic sees them alongside the core's.
``docs/decisions.md`` ("Delivery") explains the states and the guarantee they give.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from talk.extensions import Model
from talk.limits import MAX_EMAIL
from talk.models._types import UTCDateTime

#: An outbox row's states. ``queued`` → ``sending`` (claimed under a lease) → ``sent`` |
#: ``failed`` | ``uncertain``; a temporary failure puts it back to ``queued`` for later, and a
#: message Talk decided not to send is written straight as ``skipped`` (``deferred``: not yet,
#: the hourly cap held its notifications back; they come in a later email).
STATES = ("queued", "sending", "sent", "failed", "uncertain", "skipped", "deferred")

#: A recipient address's states: ``ok``, or ``disabled`` (no mail until the owner fixes it).
ADDRESS_STATES = ("ok", "bouncing", "disabled")


class OutboxMessage(Model):
    """One email: written in the transaction of the change it reports, sent by the worker.

    The rows are also the delivery log: each says what became of its email (``state``), why
    (``reason``, a short code) and what the mail server last answered (``smtp_reply``).
    """

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(MAX_EMAIL))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    category: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(400))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    #: Why it is in its state: ``deferred``, ``rejected``, ``gave-up``, ``address-disabled``,
    #: ``worker-died``, ``connection-lost``… (docs/decisions.md lists them).
    reason: Mapped[str | None] = mapped_column(String(40))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Set (and committed) once the server accepted the recipient, just before the message is
    #: handed over: a row found ``sending`` with this set may have been delivered.
    handed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    smtp_reply: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_outbox_messages_due", "state", "next_attempt_at"),)

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.state} to {self.to_address}>"


class MailAddress(Model):
    """What Talk knows of one recipient address: whether it may still be mailed, and why not."""

    __tablename__ = "mail_addresses"

    address: Mapped[str] = mapped_column(String(MAX_EMAIL), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default="ok")
    bounces: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WorkerLease(Model):
    """A named lease among workers: ``worker`` (the one worker SQLite allows) and one
    ``job:<name>`` per periodic job that must run once per period whatever the workers."""

    __tablename__ = "worker_leases"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(120))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MailboxMessage(Model):
    """A message delivered to the local mailbox (no ``TALK_SMTP_URL``): the demo's inbox."""

    __tablename__ = "mailbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="SET NULL")
    )
    to_address: Mapped[str] = mapped_column(String(MAX_EMAIL))
    subject: Mapped[str] = mapped_column(String(400))
    raw: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
