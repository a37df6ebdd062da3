"""Tag groups: saved tag queries (``#nurse AND #smallpox``) shown as live collections."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from talk.extensions import Model
from talk.limits import GROUP_SLUG_COLUMN, MAX_GROUP_QUERY, MAX_GROUP_TITLE
from talk.models._types import UTCDateTime
from talk.models.accounts import User
from talk.models.projects import Project


class TagGroup(Model):
    """A saved tag query (``#nurse AND #smallpox``): a live collection of the items matching it,
    with its own page, link and export (talk.services.tag_groups)."""

    __tablename__ = "tag_groups"
    __table_args__ = (UniqueConstraint("project_id", "slug", name="uq_tag_groups_project_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(GROUP_SLUG_COLUMN))
    title: Mapped[str] = mapped_column(String(MAX_GROUP_TITLE))
    description: Mapped[str] = mapped_column(Text, default="")
    query: Mapped[str] = mapped_column(String(MAX_GROUP_QUERY))
    # Only items whose tags in the query are verified by an expert.
    verified_only: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    project: Mapped[Project] = relationship()
    created_by: Mapped[User | None] = relationship()
