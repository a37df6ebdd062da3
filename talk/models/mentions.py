"""Mentions: an ``@user``, an ``@moderators``-style group or a ``^item`` reference that a
comment makes; notifications deliver them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from talk.extensions import Model
from talk.limits import MAX_MENTION_GROUP
from talk.models._types import UTCDateTime
from talk.models.accounts import User
from talk.models.discussions import Comment, Discussion
from talk.models.projects import Item


class MentionKind(enum.StrEnum):
    USER = "user"
    GROUP = "group"
    ITEM = "item"


#: The groups ``@group`` may name, and who belongs to each (project roles).
MENTION_GROUPS: dict[str, tuple[str, ...]] = {
    "moderators": ("moderator", "admin", "owner"),
    "experts": ("expert",),
    "team": ("team", "expert", "moderator", "admin", "owner"),
    "admins": ("admin", "owner"),
}


class Mention(Model):
    """Someone, a group of staff or an item named in a comment (exactly one of ``user_id``,
    ``group_name``, ``item_id`` is set, as ``kind`` says)."""

    __tablename__ = "mentions"
    __table_args__ = (
        Index("ix_mentions_comment_id", "comment_id"),
        Index("ix_mentions_user", "user_id", "id"),
        Index("ix_mentions_item", "item_id", "discussion_id"),
        # The group-mention rate limit counts an author's recent mentions in a project.
        Index("ix_mentions_author_recent", "project_id", "author_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    discussion_id: Mapped[int] = mapped_column(ForeignKey("discussions.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[MentionKind] = mapped_column(
        Enum(
            MentionKind,
            native_enum=False,
            length=8,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True
    )
    group_name: Mapped[str | None] = mapped_column(String(MAX_MENTION_GROUP), nullable=True)
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    comment: Mapped[Comment] = relationship()
    discussion: Mapped[Discussion] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    item: Mapped[Item | None] = relationship()
