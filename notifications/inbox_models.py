"""The notification inbox: the events that wait for fan-out, and each person's notifications.

A request that posts a comment writes one :class:`NotificationEvent` row (in its transaction,
from a signal receiver), whatever the number of followers; the worker's ``notify`` job turns
events into :class:`Notification` rows (:mod:`notifications.inbox`). ``read_at`` (seen in the
inbox or on the page) and ``emailed_at`` (sent in an email) are separate states: reading never
touches ``emailed_at``, and the email side picks rows with ``emailed_at IS NULL`` (and what
they wait for: :mod:`notifications.email_waits`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from talk.extensions import Model
from talk.models import Comment, Discussion, Item, Project, Tag, User
from talk.models._types import UTCDateTime

#: What an event is: a comment posted (or edited: mentions only), a discussion started, an
#: expert's verdict on a tag of an item, a person joining a project, a notice said to one
#: person (the core's ``notice`` signal: :mod:`notifications.notices`).
EVENT_KINDS = ("comment", "edit", "discussion", "verdict", "welcome", "notice")

#: A notification's kinds, most specific first: when one event concerns a person in several
#: ways, the first of these wins (a comment that replies to me and mentions me: ``mention``).
KINDS = (
    "mention",
    "reply",
    "group_mention",
    "followed_reply",
    "new_discussion",
    "tag_used",
    "verdict",
    "welcome",
    "notice",
)


class NotificationEvent(Model):
    """Something that happened, waiting for the worker to fan it out (then deleted).

    ``claimed_by``/``lease_until`` are the worker's claim, as the outbox's: a worker that died
    holding events leaves them to another once the lease runs out. Ids are never reused
    (``AUTOINCREMENT`` on SQLite, a sequence on PostgreSQL): a notification names its event,
    and ``(user_id, event_id)`` is unique."""

    __tablename__ = "notification_events"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    discussion_id: Mapped[int | None] = mapped_column(
        ForeignKey("discussions.id", ondelete="CASCADE")
    )
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    #: kind-specific: ``tag_ids`` (added), ``user_ids`` (mentioned), ``groups`` (mentioned),
    #: ``verdict``, ``member_id``; a notice's ``user_id``, ``notice`` (its kind), ``text``, ``url``
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


#: The partial indexes' conditions (the migration repeats them).
EMAIL_NOW = "emailed_at IS NULL AND waits_for IS NULL"
DIGEST_WAITING = "emailed_at IS NULL AND waits_for IS NOT NULL"


class Notification(Model):
    """One thing one person is told about, made from one event (at most one per event)."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "event_id", name="uq_notifications_user_event"),
        # The inbox, newest first, in cursor pages.
        Index("ix_notifications_user_recent", "user_id", "id"),
        # The header's unread count and "opening a discussion reads its notifications".
        Index(
            "ix_notifications_unread",
            "user_id",
            "discussion_id",
            sqlite_where=text("read_at IS NULL"),
            postgresql_where=text("read_at IS NULL"),
        ),
        # What the immediate email job may act on (notifications.email_waits.due_now).
        Index(
            "ix_notifications_email_now",
            "user_id",
            "id",
            sqlite_where=text(EMAIL_NOW),
            postgresql_where=text(EMAIL_NOW),
        ),
        # What waits for a digest, by cadence (notifications.email_waits.waiting_for).
        Index(
            "ix_notifications_digest_waiting",
            "waits_for",
            "user_id",
            "id",
            sqlite_where=text(DIGEST_WAITING),
            postgresql_where=text(DIGEST_WAITING),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[int] = mapped_column(Integer)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    discussion_id: Mapped[int | None] = mapped_column(
        ForeignKey("discussions.id", ondelete="CASCADE")
    )
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    tag_id: Mapped[int | None] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: kind-specific words: the group mentioned, the verdict given, a notice's own kind
    #: (``moderation.hidden``)
    detail: Mapped[str] = mapped_column(String(40), default="")
    #: a notice's sentence and the path on the site it leads to (other kinds: "" and None;
    #: their words and links are made from what they are about)
    text: Mapped[str] = mapped_column(String(500), default="", server_default="")
    url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The digest (``daily``, ``weekly``) it waits for, undecided: the immediate job skips it.
    waits_for: Mapped[str | None] = mapped_column(String(8))
    #: Held back by the hourly email cap until then (notifications.email_limit).
    email_after: Mapped[datetime | None] = mapped_column(UTCDateTime)

    project: Mapped[Project] = relationship()
    discussion: Mapped[Discussion | None] = relationship()
    comment: Mapped[Comment | None] = relationship()
    item: Mapped[Item | None] = relationship()
    tag: Mapped[Tag | None] = relationship()
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
