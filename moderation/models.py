"""The moderation tables. The audit log is here; reports, cases and sanctions join it.

Models defined here share :data:`talk.extensions.db`, so Alembic sees them alongside the core's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from talk.extensions import Model
from talk.models import Project, User
from talk.models._types import UTCDateTime

#: What an audit entry's target is.
TARGET_TYPES = ("comment", "discussion", "user", "project", "case", "report", "setting")


class AuditEntry(Model):
    """One thing a moderator (or the system) did, written in the action's transaction and
    never changed: the ORM refuses updates and deletes of these rows, and on PostgreSQL a
    trigger refuses them too (migration ``0017_moderation_audit``), whoever connects.

    Foreign keys carry no ``ON DELETE``: Talk never deletes users or projects, and an audit
    row must not silently go with them. ``before``/``after`` hold what changed, where it
    matters (a comment's text before an edit, a suspension's end)."""

    __tablename__ = "moderation_audit"
    __table_args__ = (
        Index("ix_moderation_audit_project", "project_id", "id"),
        Index("ix_moderation_audit_subject", "subject_user_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: None for site-wide actions (a site ban)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    #: None when the operator (a command, the worker) acted
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: e.g. ``comment.hide``, ``user.suspend``, ``case.dismiss``
    action: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int | None] = mapped_column(Integer)
    #: whose content or account the action was about, for "this person's history"
    subject_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: the case it resolved, if any (no foreign key: cases are their own table, and an audit
    #: row outlives anything)
    case_id: Mapped[int | None] = mapped_column(Integer)
    #: a reason category (``spam``, ``harassment``…), or empty
    reason: Mapped[str] = mapped_column(String(40), default="")
    #: the moderator's words
    note: Mapped[str] = mapped_column(Text, default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    project: Mapped[Project | None] = relationship()
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    subject_user: Mapped[User | None] = relationship(foreign_keys=[subject_user_id])


class AuditImmutable(Exception):
    """Something tried to change or delete an audit entry."""


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse(_mapper: Any, _connection: Any, entry: AuditEntry) -> None:
    raise AuditImmutable(f"audit entry {entry.id} is append-only")
