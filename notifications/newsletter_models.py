"""Newsletters (project updates) and the consent to receive them.

Consent is per person and project: :class:`UpdatesConsent` holds the current answer (the
audience query reads only it), :class:`ConsentEvent` every answer ever given, with its source
and the wording shown (append-only: the record a data-protection request asks for).

A newsletter is written as a draft, scheduled or sent now; when its sending starts, its
recipients are fixed as one :class:`NewsletterDelivery` row each (unique per newsletter and
person), and each row then goes through the outbox exactly once (``docs/newsletters.md``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from talk.extensions import Model
from talk.limits import MAX_EMAIL
from talk.models import Project, User
from talk.models._types import UTCDateTime

#: Where a consent was given or withdrawn.
CONSENT_SOURCES = (
    "registration",
    "join",
    "project-page",
    "settings",
    "api",
    "unsubscribe",
    "account-closed",
)

#: A newsletter's life: ``draft`` → ``scheduled`` (a time, possibly now) → ``sending`` (its
#: recipients fixed) → ``sent``; ``cancelled`` from ``scheduled``, back to ``draft`` by editing.
NEWSLETTER_STATES = ("draft", "scheduled", "sending", "sent", "cancelled")

#: A delivery's life: ``queued`` → ``sending`` → ``sent`` | ``failed`` | ``uncertain``, or
#: ``skipped`` (consent withdrawn, address disabled or person suspended after the list was fixed).
DELIVERY_STATES = ("queued", "sending", "sent", "failed", "uncertain", "skipped")

MAX_SUBJECT = 200
MAX_SENDER_NAME = 100


class UpdatesConsent(Model):
    """Whether a person currently wants a project's updates (no row: never asked, so no)."""

    __tablename__ = "newsletter_consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    opted_in: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
    project: Mapped[Project] = relationship()

    __table_args__ = (
        UniqueConstraint("user_id", "project_id", name="uq_newsletter_consents_person"),
        Index("ix_newsletter_consents_audience", "project_id", "opted_in", "user_id"),
    )


class ConsentEvent(Model):
    """One answer a person gave (append-only): in or out, where, when, and the words shown."""

    __tablename__ = "newsletter_consent_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    opted_in: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(20))
    wording: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class NewsletterSender(Model):
    """A project's sender identity for its newsletters (no row: the site's sender, the
    project's title as the name, no reply-to)."""

    __tablename__ = "newsletter_senders"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    sender_name: Mapped[str] = mapped_column(String(MAX_SENDER_NAME), default="")
    reply_to: Mapped[str] = mapped_column(String(MAX_EMAIL), default="")


class Newsletter(Model):
    __tablename__ = "newsletters"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(String(MAX_SUBJECT))
    #: Markdown, rendered by the comment sanitiser (:mod:`notifications.newsletter_mail`).
    body: Mapped[str] = mapped_column(Text)
    #: Who it goes to (:mod:`notifications.newsletter_segments`): ``{"kind": "everyone"}``, …
    segment: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: Whether each email carries the recipient's greeting and contribution summary.
    personal: Mapped[bool] = mapped_column(Boolean, default=True)
    state: Mapped[str] = mapped_column(String(12), default="draft")
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: How many deliveries were fixed when sending started.
    recipient_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    project: Mapped[Project] = relationship()
    author: Mapped[User | None] = relationship()

    __table_args__ = (
        Index("ix_newsletters_project_state", "project_id", "state", "id"),
        Index("ix_newsletters_due", "state", "scheduled_at"),
    )


class NewsletterDelivery(Model):
    """One newsletter to one person: fixed when sending starts, sent through one outbox row."""

    __tablename__ = "newsletter_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    newsletter_id: Mapped[int] = mapped_column(ForeignKey("newsletters.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(12), default="queued")
    reason: Mapped[str | None] = mapped_column(String(200))
    #: The outbox row that carries it, once written (one per delivery, never a second).
    outbox_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="SET NULL"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    newsletter: Mapped[Newsletter] = relationship()
    user: Mapped[User] = relationship()

    __table_args__ = (
        UniqueConstraint("newsletter_id", "user_id", name="uq_newsletter_deliveries_person"),
        Index("ix_newsletter_deliveries_state", "newsletter_id", "state", "id"),
    )
