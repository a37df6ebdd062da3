"""Sanctions on people (warn, mute, suspend, ban), moderators' private notes on a person, and
appeals (issue 10).

A sanction is never deleted or rewritten: lifting one (early, or by an overturned appeal) sets
``lifted_at``; expiry is by time alone (``ends_at`` compared with :func:`talk.clock.utcnow`),
so no job has to run for a suspension to end.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from moderation.case_models import REASONS as CASE_REASONS
from talk.extensions import Model
from talk.models import Project, User
from talk.models._types import UTCDateTime

#: What a sanction is. ``warn`` is a recorded, private notice; ``mute`` and ``suspend`` make the
#: person read-only in one project for a while (a suspension may be indefinite); ``ban`` makes
#: them read-only on the whole site.
KINDS = ("warn", "mute", "suspend", "ban")
#: Each kind as a noun, as pages name a decision ("Appeal this suspension").
NOUNS = {"warn": "warning", "mute": "mute", "suspend": "suspension", "ban": "ban"}
#: The kinds that stop a person writing while they last.
BLOCKING = ("mute", "suspend", "ban")
#: Why, as a category the person is shown (the moderator's own words go in ``note``).
REASONS = tuple(CASE_REASONS)  # the report reasons: one list of reason categories
REASON_LABELS = {
    "spam": "spam",
    "harassment": "harassment or abuse",
    "personal_information": "personal information about a living person",
    "off_topic": "off-topic",
    "other": "other",
}
#: An appeal's outcome.
APPEAL_STATES = ("open", "upheld", "overturned")


class Sanction(Model):
    """One decision about a person: who decided, why, and until when."""

    __tablename__ = "moderation_sanctions"
    __table_args__ = (Index("ix_moderation_sanctions_person", "user_id", "project_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: None for a site-wide ban
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(40))
    #: the moderator's words to the person
    note: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: None: indefinite (and for a warning, which lasts no time)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: None when the operator decided
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: the case it resolved (no foreign key: cases are another table, added separately)
    case_id: Mapped[int | None] = mapped_column(Integer)
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    project: Mapped[Project | None] = relationship()
    person: Mapped[User] = relationship(foreign_keys=[user_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    appeal: Mapped[Appeal | None] = relationship(back_populates="sanction", uselist=False)

    def active_at(self, moment: datetime) -> bool:
        """Whether it stops the person writing at ``moment``."""
        return (
            self.kind in BLOCKING
            and self.lifted_at is None
            and self.starts_at <= moment
            and (self.ends_at is None or moment < self.ends_at)
        )

    @property
    def noun(self) -> str:
        """The decision as a noun: "suspension", "warning"."""
        return NOUNS.get(self.kind, self.kind)

    @property
    def overturned(self) -> bool:
        return self.appeal is not None and self.appeal.state == "overturned"


class ModeratorNote(Model):
    """A moderator's private note on a person, seen by that project's moderators only."""

    __tablename__ = "moderation_notes"
    __table_args__ = (Index("ix_moderation_notes_person", "project_id", "user_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])


class Appeal(Model):
    """A person's one appeal against one sanction (unique per sanction: "once")."""

    __tablename__ = "moderation_appeals"
    __table_args__ = (Index("ix_moderation_appeals_state", "state", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sanction_id: Mapped[int] = mapped_column(ForeignKey("moderation_sanctions.id"), unique=True)
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(12), default="open")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(Text, default="")

    sanction: Mapped[Sanction] = relationship(back_populates="appeal")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
