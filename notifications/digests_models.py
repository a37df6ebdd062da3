"""The digests sent (or decided against): one row per person, cadence and period, whose unique
key is what keeps a digest from going twice (:mod:`notifications.digests`)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from talk.extensions import Model
from talk.models._types import UTCDateTime

#: What became of a period's digest: ``sent`` (queued in the outbox), ``empty`` (everything
#: in it had been read), ``inactive`` (its person had not visited for too long).
OUTCOMES = ("sent", "empty", "inactive")


class Digest(Model):
    """One person's daily or weekly digest for one period (the local date it is due on)."""

    __tablename__ = "digests"
    __table_args__ = (
        UniqueConstraint("user_id", "cadence", "period_start", name="uq_digests_user_period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: ``daily`` or ``weekly``.
    cadence: Mapped[str] = mapped_column(String(8))
    period_start: Mapped[date] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(String(16))
    notifications: Mapped[int] = mapped_column(Integer, default=0)
    outbox_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
