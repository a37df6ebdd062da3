"""People a person blocked (issue 10): their comments collapse for the blocker, and nothing
they write (a mention, a reply, a quotation) notifies the blocker."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column, relationship

from talk.extensions import Model
from talk.models._types import UTCDateTime
from talk.models.accounts import User


class UserBlock(Model):
    """``user`` blocked ``blocked_user``. Keyed by the blocker, whose pages ask "whom did I
    block?"; indexed by the blocked person too, for the notifications' "who blocked the author
    of this?"."""

    __tablename__ = "user_blocks"
    __table_args__ = (
        Index("ix_user_blocks_blocked_user", "blocked_user_id", "user_id"),
        CheckConstraint("user_id <> blocked_user_id", name="not_self"),
    )

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    blocked_user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    blocked_user: Mapped[User] = relationship(foreign_keys=[blocked_user_id])
