"""Prevention, per project: watched words, historical terms, new volunteers' limits and trust.

Nothing here is on for a new project: a project without rules or limits rows is unchecked.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from talk.extensions import Model
from talk.models._types import UTCDateTime

#: How a watched word's pattern is read.
WORD_KINDS = ("word", "wildcard", "regex")
#: What a match does: refuse the text, hold it for approval, post it and flag it for the
#: queue, or link the term to a help page.
WORD_ACTIONS = ("block", "hold", "flag", "link")
MAX_PATTERN = 200
MAX_CATEGORY = 40
MAX_TERM = 100
MAX_URL = 500


class WatchedWord(Model):
    """One watched word (or wildcard, or regular expression) of a project."""

    __tablename__ = "moderation_watched_words"
    __table_args__ = (UniqueConstraint("project_id", "kind", "pattern"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    pattern: Mapped[str] = mapped_column(String(MAX_PATTERN))
    kind: Mapped[str] = mapped_column(String(10))
    action: Mapped[str] = mapped_column(String(10))
    #: what the writer is told the rule is about ("abuse", "spam"); never the pattern
    category: Mapped[str] = mapped_column(String(MAX_CATEGORY))
    #: the help page a ``link`` rule links to
    url: Mapped[str] = mapped_column(String(MAX_URL), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HistoricalTerm(Model):
    """A word of the collection's records: never a watched word inside a quotation or a
    transcription block. ``key`` is its normalised form (see :mod:`moderation.matching`)."""

    __tablename__ = "moderation_historical_terms"
    __table_args__ = (UniqueConstraint("project_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    term: Mapped[str] = mapped_column(String(MAX_TERM))
    key: Mapped[str] = mapped_column(String(4 * MAX_TERM))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class VolunteerLimits(Model):
    """A project's limits on volunteers not yet trusted (no row: no limits). A None column is
    that limit off."""

    __tablename__ = "moderation_volunteer_limits"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    #: the first N comments of a volunteer wait for approval
    held_comments: Mapped[int | None] = mapped_column(Integer)
    #: at most K links in one comment
    max_links: Mapped[int | None] = mapped_column(Integer)
    #: no group mentions and no images until trusted
    restrict_untrusted: Mapped[bool] = mapped_column(default=False)
    #: approved (shown) comments in the project that make a volunteer trusted
    trust_after: Mapped[int] = mapped_column(Integer, default=3)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TrustGrant(Model):
    """A moderator trusted this volunteer in this project before they earned it."""

    __tablename__ = "moderation_trust_grants"
    __table_args__ = (UniqueConstraint("project_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)
