"""Follows, muted people and the notification preferences of :mod:`notifications.follows`.

**One table for every kind of follow, one foreign key column per kind.** A row follows (or
mutes) exactly one discussion, item, board, tag or project: the other four columns are NULL (a
CHECK says so). Each kind has a partial unique index on ``(<kind>_id, user_id)``, which is both
"one follow per person and thing" and the index fan-out reads. So the question a new comment
asks — who follows discussion D, item I, board B, project P or tags T1..Tn — is one indexed
query, ``discussion_id = D OR item_id = I OR board_id = B OR project_id = P OR tag_id IN (T..)``:
PostgreSQL ORs five index scans (BitmapOr), SQLite runs a MULTI-INDEX OR. A polymorphic pair
(``target_type``, ``target_id``) would have been as quick to read but could not have foreign
keys: deleting a discussion would leave follows pointing at nothing, and a tag merge would have
to find its rows by a type string. With real foreign keys, deletes cascade, and a merge moves a
tag's follows with one UPDATE of ``tag_id``.

Tags are followed by id, and always the canonical tag (a synonym's page is its canonical tag's):
a rename keeps the id, a merge moves the follows to the tag that stays
(:mod:`notifications.follows` receives ``tag_merged`` and ``tag_synonym_added``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from talk.extensions import Model
from talk.models import Board, Discussion, Item, Project, Tag, User
from talk.models._types import UTCDateTime

#: What can be followed, from the most specific to the least: when several follows of one
#: person match an event, the first kind in this order decides (a muted discussion stays quiet
#: in a followed project; a followed discussion speaks on a muted board).
FOLLOW_KINDS: tuple[str, ...] = ("discussion", "item", "board", "tag", "project")
#: ``follow``: tell me about it; ``mute``: never, even when something broader is followed.
LEVELS: tuple[str, ...] = ("follow", "mute")
#: Why the row exists: the person chose it, or they took part (posting follows a discussion).
ORIGINS: tuple[str, ...] = ("chosen", "posted")


def _one_target() -> str:
    return (
        " + ".join(f"(CASE WHEN {k}_id IS NULL THEN 0 ELSE 1 END)" for k in FOLLOW_KINDS) + " = 1"
    )


def _kind_index(kind: str) -> Index:
    column = f"{kind}_id"
    where = text(f"{column} IS NOT NULL")
    return Index(
        f"uq_follows_{kind}_user",
        column,
        "user_id",
        unique=True,
        sqlite_where=where,
        postgresql_where=where,
    )


class Follow(Model):
    """One person's follow (or mute) of one thing."""

    __tablename__ = "follows"
    __table_args__ = (
        CheckConstraint(_one_target(), name="one_target"),
        CheckConstraint("level IN ('follow', 'mute')", name="level"),
        *(_kind_index(kind) for kind in FOLLOW_KINDS),
        # "What I follow", newest first, in cursor pages.
        Index("ix_follows_user_recent", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    level: Mapped[str] = mapped_column(String(8), default="follow")
    origin: Mapped[str] = mapped_column(String(8), default="chosen")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    discussion_id: Mapped[int | None] = mapped_column(
        ForeignKey("discussions.id", ondelete="CASCADE"), nullable=True
    )
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), nullable=True
    )
    board_id: Mapped[int | None] = mapped_column(
        ForeignKey("boards.id", ondelete="CASCADE"), nullable=True
    )
    tag_id: Mapped[int | None] = mapped_column(
        ForeignKey("tags.id", ondelete="CASCADE"), nullable=True
    )
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), nullable=True
    )

    user: Mapped[User] = relationship()
    discussion: Mapped[Discussion | None] = relationship()
    item: Mapped[Item | None] = relationship()
    board: Mapped[Board | None] = relationship()
    tag: Mapped[Tag | None] = relationship()
    project: Mapped[Project | None] = relationship()

    @property
    def kind(self) -> str:
        return next(k for k in FOLLOW_KINDS if getattr(self, f"{k}_id") is not None)

    @property
    def target(self) -> Discussion | Item | Board | Tag | Project:
        target: Discussion | Item | Board | Tag | Project = getattr(self, self.kind)
        return target


class UserMute(Model):
    """``user`` hears nothing from ``muted_user``: no notification, no email (fan-out skips
    events whose actor a recipient muted; it asks by ``muted_user_id``)."""

    __tablename__ = "user_mutes"
    __table_args__ = (Index("ix_user_mutes_muted_user", "muted_user_id", "user_id"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    muted_user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    muted_user: Mapped[User] = relationship(foreign_keys=[muted_user_id])


class NotificationPreference(Model):
    """A person's notification choices; no row means the defaults."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    #: "Follow discussions I take part in": posting in or starting a discussion follows it.
    follow_on_posting: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default=text("true")
    )
