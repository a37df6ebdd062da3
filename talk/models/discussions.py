"""Discussions (threads) and their comments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    and_,
    or_,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from talk.extensions import Model
from talk.limits import MAX_DISCUSSION_TITLE, MAX_HIDE_REASON, MAX_MODERATOR_NOTE
from talk.models._types import UTCDateTime
from talk.models.accounts import User
from talk.models.projects import Board, Item, Project

#: :meth:`Discussion.unlisted`, as the partial index on it says it.
UNLISTED = "merged_into_id IS NOT NULL OR held_at IS NOT NULL"


class Discussion(Model):
    """A thread. Moderators lock it (no replies), pin it (listed first) or merge it into another
    (``merged_into_id``: its comments moved there and its address answers with a redirect; a
    merged discussion is listed nowhere and counted nowhere). See :mod:`talk.services.threads`.

    A discussion whose first comment a content check held (``held_at``) waits for a moderator
    the same way: listed, counted and found nowhere, readable by its author and moderators only,
    until approving that comment approves it (:mod:`talk.services.held`); a rejected one stays
    so. :meth:`listed` is the one condition every list, count and search applies."""

    __tablename__ = "discussions"
    __table_args__ = (
        Index("ix_discussions_board_activity", "board_id", "pinned", "last_comment_at", "id"),
        Index("ix_discussions_item_activity", "item_id", "pinned", "last_comment_at", "id"),
        Index("ix_discussions_project_activity", "project_id", "last_comment_at", "id"),
        # The few unlisted ones (every search leaves out what is in them): partial, as
        # :meth:`Discussion.unlisted` writes its condition, so SQLite's planner can use it.
        Index(
            "ix_discussions_unlisted",
            "id",
            sqlite_where=text(UNLISTED),
            postgresql_where=text(UNLISTED),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), nullable=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(MAX_DISCUSSION_TITLE))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    comment_count: Mapped[int] = mapped_column(Integer, default=0)
    last_comment_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # A bool, not a time: the lists' keyset cursors carry it (pinned first, then by activity).
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    # No ON DELETE: a project's discussions go together (see migration 0024).
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("discussions.id"), nullable=True)
    # Started with a held first comment and not approved (yet): see the class docstring.
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    project: Mapped[Project] = relationship()
    board: Mapped[Board] = relationship()
    item: Mapped[Item | None] = relationship()
    author: Mapped[User] = relationship()

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None

    @property
    def is_held(self) -> bool:
        """Not approved by a moderator yet (or rejected): see ``held_at``."""
        return self.held_at is not None

    @property
    def is_listed(self) -> bool:
        """Shown in lists, counts and search: :meth:`listed` for one row."""
        return self.merged_into_id is None and self.held_at is None

    @classmethod
    def listed(cls) -> ColumnElement[bool]:
        """SQL: the discussions lists, counters and search show (neither merged away nor
        held). Every query over discussions for others to see applies this, not its parts."""
        return and_(cls.merged_into_id.is_(None), cls.held_at.is_(None))

    @classmethod
    def unlisted(cls) -> ColumnElement[bool]:
        """SQL: not :meth:`listed`, written as the partial index ``ix_discussions_unlisted``
        is, so finding the few unlisted discussions reads that index, not every discussion."""
        return or_(cls.merged_into_id.is_not(None), cls.held_at.is_not(None))


class Comment(Model):
    """A comment. ``body_html`` is rendered and sanitised once, when the body is written."""

    __tablename__ = "comments"
    __table_args__ = (
        Index("ix_comments_discussion_id", "discussion_id", "id"),
        Index("ix_comments_project_id", "project_id", "id"),
        Index("ix_comments_author_id", "author_id", "id"),
        # The held posts of a project (its queue, the moderators' count on every queue page):
        # partial, since almost no comment is held, and a full scan of a big project's comments
        # took 0.6 s at 1,000,000 (bench/RESULTS.md).
        Index(
            "ix_comments_held",
            "project_id",
            "held_at",
            "id",
            sqlite_where=text("held_at IS NOT NULL"),
            postgresql_where=text("held_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    discussion_id: Mapped[int] = mapped_column(ForeignKey("discussions.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reply_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="SET NULL"), nullable=True
    )
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Hidden by a moderator: out of counts, tags, mentions and search, like a deleted comment,
    # but moderators still read it and may show it again. (No ON DELETE: see migration 0005.)
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    hidden_reason: Mapped[str] = mapped_column(String(MAX_HIDE_REASON), default="")
    # Held for a moderator's approval (a content check said so): also hidden (``hidden_at``
    # set, ``hidden_by_id`` None, the hold's reason in ``hidden_reason``), so it stays out of
    # counts, tags, mentions and search until approved; only its author and moderators see it.
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Shown under the comment ("Edited by a moderator: …") once a moderator edited it.
    moderator_note: Mapped[str] = mapped_column(String(MAX_MODERATOR_NOTE), default="")

    discussion: Mapped[Discussion] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    reply_to: Mapped[Comment | None] = relationship(remote_side=[id])
    revisions: Mapped[list[CommentRevision]] = relationship(
        back_populates="comment", order_by="CommentRevision.id"
    )

    hidden_by: Mapped[User | None] = relationship(foreign_keys=[hidden_by_id])

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def is_held(self) -> bool:
        """Waiting for a moderator's approval (see ``held_at``)."""
        return self.held_at is not None

    @property
    def is_visible(self) -> bool:
        """Counted, tagged and searchable: neither deleted nor hidden."""
        return self.deleted_at is None and self.hidden_at is None


class CommentRevision(Model):
    """An earlier body of an edited comment (the edit history)."""

    __tablename__ = "comment_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    editor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime)

    comment: Mapped[Comment] = relationship(back_populates="revisions")
    editor: Mapped[User] = relationship()
