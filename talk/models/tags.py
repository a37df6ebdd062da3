"""Hashtags found in comments, and the aggregates pages read.

A ``#hashtag`` in a comment is a :class:`TagUse` (one per tag and comment: who, which comment,
when). What pages read is kept beside it as exact aggregates, changed by SQL-side arithmetic as
uses come and go and never recounted per request:

- :class:`Tag` — one per name and project, with its stored counters;
- :class:`ItemTag` — the tags of an item with how often each was used (item page, tag grid);
- :class:`DiscussionTag` — the same for discussions (a general board's thread is tagged itself);
- :class:`TagUser` — who used a tag how often (``Tag.user_count`` is its number of rows);
- :class:`TagDay` — uses per tag and UTC day, for trending tags.

An aggregate row exists only while its count is above zero.

Curation (experts' vocabulary) lives on the same rows: a curated tag has ``curated_at`` set and
may carry a description and an authority URI; a **synonym** is a tag row whose ``canonical_id``
names the curated (or surviving) tag. Uses never point at a synonym: a ``#variant`` is resolved
to its canonical tag when a comment is saved, and merging moves the variant's uses over, so
every counter, page, search and export sees one tag. Verdicts and the record of curation
actions are in :mod:`talk.models.curation`, saved tag queries in :mod:`talk.models.tag_groups`,
mentions in :mod:`talk.models.mentions`.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from talk.extensions import Model
from talk.limits import MAX_AUTHORITY_URI, TAG_NAME_COLUMN
from talk.models._types import UTCDateTime
from talk.models.accounts import User
from talk.models.discussions import Discussion
from talk.models.projects import Item, Project


class Tag(Model):
    __tablename__ = "tags"
    __table_args__ = (
        UniqueConstraint("project_id", "name", name="uq_tags_project_name"),
        Index("ix_tags_project_popular", "project_id", "use_count", "id"),
        Index("ix_tags_project_folded", "project_id", "folded"),
        # A tag's synonyms. Partial: almost every tag has no canonical_id, and SQLite's planner,
        # seeing one NULL value for the whole column, would not use a full index at all.
        Index(
            "ix_tags_synonyms",
            "canonical_id",
            "name",
            sqlite_where=text("canonical_id IS NOT NULL"),
            postgresql_where=text("canonical_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    # Normalised (see talk.markdown.normalise_tag): '#Église' and '#église' are one tag.
    name: Mapped[str] = mapped_column(String(TAG_NAME_COLUMN))
    # The name without accents ('eglise'), so autocomplete finds 'église' for a typed '#egl'.
    folded: Mapped[str] = mapped_column(String(TAG_NAME_COLUMN), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Stored counters, kept exact by talk.services.tags.
    use_count: Mapped[int] = mapped_column(Integer, default=0)  # comments using it
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    discussion_count: Mapped[int] = mapped_column(Integer, default=0)
    user_count: Mapped[int] = mapped_column(Integer, default=0)
    # Curation (talk.services.curation). A synonym points at its canonical tag; chains are
    # never longer than one step.
    # (No ON DELETE on these two: see migration 0004.)
    canonical_id: Mapped[int | None] = mapped_column(ForeignKey("tags.id"), nullable=True)
    curated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    curated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    description: Mapped[str] = mapped_column(Text, default="")
    authority_uri: Mapped[str | None] = mapped_column(String(MAX_AUTHORITY_URI), nullable=True)
    # Bumped by every curation change, so the search index refreshes the tag's document.
    revision: Mapped[int] = mapped_column(Integer, default=0)

    project: Mapped[Project] = relationship()
    curated_by: Mapped[User | None] = relationship(foreign_keys=[curated_by_id])

    @property
    def is_curated(self) -> bool:
        return self.curated_at is not None


class TagUse(Model):
    """A tag in one comment. ``item_id`` is the discussion's item (None on a general board)."""

    __tablename__ = "tag_uses"
    __table_args__ = (
        UniqueConstraint("tag_id", "comment_id", name="uq_tag_uses_tag_comment"),
        Index("ix_tag_uses_comment_id", "comment_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"))
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    discussion_id: Mapped[int] = mapped_column(ForeignKey("discussions.id", ondelete="CASCADE"))
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), nullable=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    tag: Mapped[Tag] = relationship()


class ItemTag(Model):
    """An item's tag and how many comments about the item use it."""

    __tablename__ = "item_tags"
    __table_args__ = (
        # The tag page's item grid: newest-tagged first, keyset by (first_used_at, item_id).
        Index("ix_item_tags_tag_recent", "tag_id", "first_used_at", "item_id"),
    )

    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)
    use_count: Mapped[int] = mapped_column(Integer, default=0)
    first_used_at: Mapped[datetime] = mapped_column(UTCDateTime)

    item: Mapped[Item] = relationship()
    tag: Mapped[Tag] = relationship()


class DiscussionTag(Model):
    """A discussion's tag and how many of its comments use it."""

    __tablename__ = "discussion_tags"
    __table_args__ = (
        Index("ix_discussion_tags_tag_recent", "tag_id", "first_used_at", "discussion_id"),
    )

    discussion_id: Mapped[int] = mapped_column(
        ForeignKey("discussions.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)
    use_count: Mapped[int] = mapped_column(Integer, default=0)
    first_used_at: Mapped[datetime] = mapped_column(UTCDateTime)

    discussion: Mapped[Discussion] = relationship()
    tag: Mapped[Tag] = relationship()


class TagUser(Model):
    """How many comments by one person use a tag."""

    __tablename__ = "tag_users"
    __table_args__ = (Index("ix_tag_users_user_id", "user_id"),)

    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    use_count: Mapped[int] = mapped_column(Integer, default=0)


class TagDay(Model):
    """Uses of a tag made on one UTC day (by live comments): trending tags sum recent days."""

    __tablename__ = "tag_daily"
    __table_args__ = (Index("ix_tag_daily_project_day", "project_id", "day"),)

    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    uses: Mapped[int] = mapped_column(Integer, default=0)
