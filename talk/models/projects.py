"""Projects, their members, items and boards."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from talk.extensions import Model
from talk.limits import (
    MAX_BOARD_TITLE,
    MAX_ITEM_EXTERNAL_ID,
    MAX_ITEM_TITLE,
    MAX_MEMBER_LABEL,
    MAX_PROJECT_SLUG,
    MAX_PROJECT_TITLE,
    MAX_URL,
)
from talk.models._types import UTCDateTime

# Project roles from least to most powerful. Experts and team are both staff ("team" level);
# an expert additionally carries a visible label such as "Herbarium curator".
ROLES: tuple[str, ...] = ("volunteer", "team", "expert", "moderator", "admin", "owner")

# Board read/write levels, from most open to most closed.
ACCESS_LEVELS: tuple[str, ...] = ("everyone", "logged-in", "team", "moderators", "admins")


class BoardKind(enum.StrEnum):
    GENERAL = "general"
    ITEMS = "items"  # the one board per project that holds every item's threads


class Project(Model):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(MAX_PROJECT_SLUG), unique=True)
    title: Mapped[str] = mapped_column(String(MAX_PROJECT_TITLE))
    description: Mapped[str] = mapped_column(Text, default="")
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Hosts whose images comments show inline ("images.example.org", ".example.org" with its
    # subdomains); images from elsewhere render as links (talk.markdown).
    image_hosts: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Stored counters, kept exact by the services.
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    discussion_count: Mapped[int] = mapped_column(Integer, default=0)
    comment_count: Mapped[int] = mapped_column(Integer, default=0)
    #: A new random token whenever the project's moderation rules (watched words, limits…)
    #: change; the per-process caches of them key on it (talk.services.project_rules).
    rules_version: Mapped[str] = mapped_column(
        String(16), default=lambda: secrets.token_hex(8), server_default=""
    )

    boards: Mapped[list[Board]] = relationship(
        back_populates="project", order_by="Board.position, Board.id"
    )


class Membership(Model):
    """A user's role in one project (absent means an ordinary volunteer)."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("project_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(MAX_MEMBER_LABEL), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    project: Mapped[Project] = relationship()
    user: Mapped[Any] = relationship("User")


class Item(Model):
    """An object volunteers work on, known to the crowdsourcing platform by ``external_id``."""

    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("project_id", "external_id", name="uq_items_project_external_id"),
        Index("ix_items_project_activity", "project_id", "last_activity_at", "id"),
        # The item list's other orders (talk.services.listing.project_items): as registered or
        # newest first, and most discussed first.
        Index("ix_items_project_order", "project_id", "id"),
        Index("ix_items_project_discussed", "project_id", "discussion_count", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(MAX_ITEM_EXTERNAL_ID))
    title: Mapped[str] = mapped_column(String(MAX_ITEM_TITLE))
    image_url: Mapped[str] = mapped_column(String(MAX_URL), default="")
    thumbnail_url: Mapped[str] = mapped_column(String(MAX_URL), default="")
    iiif_manifest_uri: Mapped[str] = mapped_column(String(MAX_URL), default="")
    iiif_canvas_uri: Mapped[str] = mapped_column(String(MAX_URL), default="")
    source_url: Mapped[str] = mapped_column(String(MAX_URL), default="")
    item_metadata: Mapped[dict[str, str]] = mapped_column("metadata", JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    discussion_count: Mapped[int] = mapped_column(Integer, default=0)
    comment_count: Mapped[int] = mapped_column(Integer, default=0)
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    project: Mapped[Project] = relationship()


class Board(Model):
    __tablename__ = "boards"
    __table_args__ = (Index("ix_boards_project_position", "project_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    kind: Mapped[BoardKind] = mapped_column(
        Enum(
            BoardKind, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]
        )
    )
    title: Mapped[str] = mapped_column(String(MAX_BOARD_TITLE))
    description: Mapped[str] = mapped_column(Text, default="")
    read_level: Mapped[str] = mapped_column(String(16), default="everyone")
    write_level: Mapped[str] = mapped_column(String(16), default="logged-in")
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    discussion_count: Mapped[int] = mapped_column(Integer, default=0)
    comment_count: Mapped[int] = mapped_column(Integer, default=0)
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    project: Mapped[Project] = relationship(back_populates="boards")
