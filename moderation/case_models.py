"""Reports and the cases they gather into (issue 10).

One case per reported thing per project: every report of the same comment, discussion or
person joins it, so moderators see one row with a count and every reporter's note instead of a
pile of duplicates (Zooniverse keeps one case per target too). A case's priority is stored,
recomputed when a report arrives, so the queue is one indexed, cursor-paged query.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from talk.errors import InvalidInput
from talk.extensions import Model
from talk.models import Board, Project, User
from talk.models._types import UTCDateTime

#: What may be reported.
REPORT_TARGETS = ("comment", "discussion", "user")
#: Why, with the words shown to people; the order is the form's.
REASONS = {
    "spam": "Spam",
    "harassment": "Harassment or abuse",
    "personal_information": "Personal information about a living person",
    "off_topic": "Off-topic",
    "other": "Something else",
}
#: A case's states: ``open`` (in the queue), ``watched`` (kept in view, not urgent),
#: ``actioned`` and ``dismissed`` (resolved).
STATES = ("open", "watched", "actioned", "dismissed")
MAX_NOTE = 2000
#: The longest an action may last (a mute, a suspension), in days.
MAX_DAYS = 3650


def require_choice(field: str, value: str, choices: Iterable[str], suffix: str = "") -> None:
    """A 422 naming ``field`` and its choices unless ``value`` is one of them."""
    allowed = list(choices)
    if value not in allowed:
        raise InvalidInput(
            f"{field} must be one of {', '.join(allowed)}{suffix}.",
            {field: [f"One of {', '.join(allowed)}."]},
        )


class Case(Model):
    """Everything reported about one target in one project, and what moderators did."""

    __tablename__ = "moderation_cases"
    __table_args__ = (
        UniqueConstraint("project_id", "target_type", "target_id"),
        Index("ix_moderation_cases_queue", "project_id", "state", "priority", "id"),
        Index("ix_moderation_cases_subject", "subject_user_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    target_type: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int] = mapped_column(Integer)
    #: whose content (or account) it is: "earlier cases of this author"
    subject_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: the board of a reported comment or discussion (the queue's board filter)
    board_id: Mapped[int | None] = mapped_column(ForeignKey("boards.id"))
    state: Mapped[str] = mapped_column(String(20), default="open")
    #: the most urgent reason among the open round's reports
    reason: Mapped[str] = mapped_column(String(40))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    report_count: Mapped[int] = mapped_column(Integer, default=0)
    #: when it last (re)entered the queue: reports since then are this round's
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: personal information must be dealt with by then (``TALK_MODERATION_PI_DUE_HOURS``)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the action that resolved it (``hide``, ``dismiss``…) and the moderator's reason and note
    resolution: Mapped[str] = mapped_column(String(40), default="")
    resolution_reason: Mapped[str] = mapped_column(String(40), default="")
    resolution_note: Mapped[str] = mapped_column(Text, default="")

    project: Mapped[Project] = relationship()
    board: Mapped[Board | None] = relationship()
    subject_user: Mapped[User] = relationship(foreign_keys=[subject_user_id])
    claimed_by: Mapped[User | None] = relationship(foreign_keys=[claimed_by_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])
    reports: Mapped[list[Report]] = relationship(
        back_populates="case", order_by="Report.id", cascade="all, delete-orphan"
    )

    @property
    def is_open(self) -> bool:
        return self.state in ("open", "watched")

    @property
    def reason_label(self) -> str:
        return REASONS.get(self.reason, self.reason)


class Report(Model):
    """One person's report: their reason, their note, and how much their word weighs."""

    __tablename__ = "moderation_reports"
    __table_args__ = (Index("ix_moderation_reports_reporter", "reporter_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("moderation_cases.id", ondelete="CASCADE"), index=True
    )
    #: None for the system's report (a ``flag`` watched word matched): "Flagged by a watched word"
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(Text, default="")
    #: the reporter's standing when they reported (role, past accurate reports)
    weight: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    case: Mapped[Case] = relationship(back_populates="reports")
    reporter: Mapped[User | None] = relationship()

    @property
    def reason_label(self) -> str:
        return REASONS.get(self.reason, self.reason)

    @property
    def reporter_name(self) -> str:
        """Who reported it, as pages show it (the system's report has no person)."""
        return "Flagged by a watched word" if self.reporter is None else self.reporter.display_name
