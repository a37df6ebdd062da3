"""Experts' curation of tags: their verdicts on an item's tags and the record of every
curation action (:mod:`talk.services.curation` changes both)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from talk.extensions import Model
from talk.limits import MAX_VERDICT_NOTE, TAG_NAME_COLUMN
from talk.models._types import UTCDateTime
from talk.models.accounts import User
from talk.models.projects import Item
from talk.models.tags import Tag


class Verdict(enum.StrEnum):
    VERIFIED = "verified"
    REJECTED = "rejected"


class TagVerdict(Model):
    """An expert's verdict on a tag of an item: verified (catalogue-ready) or rejected. It is the
    expert's statement and outlives the comments that put the tag on the item."""

    __tablename__ = "tag_verdicts"
    __table_args__ = (
        # Exports walk a project's verdicts in order.
        Index("ix_tag_verdicts_project", "project_id", "verdict", "item_id", "tag_id"),
        Index("ix_tag_verdicts_tag", "tag_id", "item_id"),
    )

    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    verdict: Mapped[Verdict] = mapped_column(
        Enum(Verdict, native_enum=False, length=8, values_callable=lambda e: [m.value for m in e])
    )
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(String(MAX_VERDICT_NOTE), default="")

    item: Mapped[Item] = relationship()
    tag: Mapped[Tag] = relationship()
    decided_by: Mapped[User | None] = relationship()


class TagAction(Model):
    """One curation action, kept for the record: who did what to which tag, and when.

    ``action`` is one of :data:`TAG_ACTIONS`; ``details`` holds what the action changed (old and
    new values, counts moved) so the record reads on its own after the tags change again."""

    __tablename__ = "tag_actions"
    __table_args__ = (
        Index("ix_tag_actions_project", "project_id", "id"),
        Index("ix_tag_actions_tag", "tag_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    action: Mapped[str] = mapped_column(String(32))
    tag_id: Mapped[int | None] = mapped_column(
        ForeignKey("tags.id", ondelete="SET NULL"), nullable=True
    )
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("items.id", ondelete="SET NULL"), nullable=True
    )
    tag_name: Mapped[str] = mapped_column(String(TAG_NAME_COLUMN))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    actor: Mapped[User | None] = relationship()
    item: Mapped[Item | None] = relationship()


#: What a :class:`TagAction` can record.
TAG_ACTIONS = (
    "curate",  # a tag joins the vocabulary
    "edit",  # description or authority changed
    "uncurate",  # a tag leaves the vocabulary (its synonyms stay)
    "add-synonym",
    "remove-synonym",
    "rename",
    "merge",
    "verify",
    "reject",
    "clear-verdict",
)
