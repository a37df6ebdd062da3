"""Content warnings and workflow flags: the heritage tables of :mod:`moderation`.

**Content warnings.** A :class:`ContentWarning` is a notice a project's staff write once ("This
record contains language about mental illness that was common in the 1910s") and attach to any
number of items, discussions and boards (:class:`ContentWarningAttachment`, one foreign key
column per kind, exactly one set: deletes cascade as for follows). A person's
:class:`ContentWarningAcknowledgement` remembers the ``version`` of the notice they read: editing
the text raises the version, so a changed notice is shown again.

**Workflow flags.** A :class:`WorkflowFlag` is a hashtag a project chose (``#help``) that puts
the item (or the board discussion) on the staff's review list: a :class:`WorkflowRequest` per
flag and discussion while unanswered, closed by a later comment of staff or an expert or marked
answered by hand. It is not a moderation case: nobody did anything wrong.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from talk.extensions import Model
from talk.limits import TAG_NAME_COLUMN
from talk.models import Board, Comment, Discussion, Item, Project, User
from talk.models._types import UTCDateTime

MAX_WARNING_TITLE = 120
MAX_WARNING_TEXT = 2000
MAX_FLAG_DESCRIPTION = 200
#: What a warning can be attached to.
ATTACHMENT_KINDS: tuple[str, ...] = ("item", "discussion", "board")


class ContentWarning(Model):
    __tablename__ = "content_warnings"
    __table_args__ = (UniqueConstraint("project_id", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(MAX_WARNING_TITLE))
    text: Mapped[str] = mapped_column(Text)
    #: Raised when the title or text changes: acknowledgements of an older version lapse.
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    project: Mapped[Project] = relationship()
    created_by: Mapped[User | None] = relationship()


class ContentWarningAttachment(Model):
    __tablename__ = "content_warning_attachments"
    __table_args__ = (
        CheckConstraint(
            " + ".join(f"(CASE WHEN {k}_id IS NULL THEN 0 ELSE 1 END)" for k in ATTACHMENT_KINDS)
            + " = 1",
            name="one_target",
        ),
        # Once per warning and place; led by the place, so "what is shown here?" reads them.
        *(
            UniqueConstraint(f"{k}_id", "warning_id", name=f"uq_content_warning_attachments_{k}")
            for k in ATTACHMENT_KINDS
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    warning_id: Mapped[int] = mapped_column(ForeignKey("content_warnings.id", ondelete="CASCADE"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    discussion_id: Mapped[int | None] = mapped_column(
        ForeignKey("discussions.id", ondelete="CASCADE")
    )
    board_id: Mapped[int | None] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    warning: Mapped[ContentWarning] = relationship()
    item: Mapped[Item | None] = relationship()
    discussion: Mapped[Discussion | None] = relationship()
    board: Mapped[Board | None] = relationship()

    @property
    def kind(self) -> str:
        return next(k for k in ATTACHMENT_KINDS if getattr(self, f"{k}_id") is not None)

    @property
    def target(self) -> Item | Discussion | Board:
        found: Item | Discussion | Board | None = self.item or self.discussion or self.board
        assert found is not None
        return found


class ContentWarningAcknowledgement(Model):
    __tablename__ = "content_warning_acknowledgements"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    warning_id: Mapped[int] = mapped_column(
        ForeignKey("content_warnings.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer)
    acknowledged_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WorkflowFlag(Model):
    __tablename__ = "workflow_flags"
    __table_args__ = (UniqueConstraint("project_id", "tag_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    #: The hashtag's stored (normalised) name, without ``#``.
    tag_name: Mapped[str] = mapped_column(String(TAG_NAME_COLUMN))
    description: Mapped[str] = mapped_column(String(MAX_FLAG_DESCRIPTION), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    project: Mapped[Project] = relationship()


#: How a request left the review list.
ANSWERED_HOW: tuple[str, ...] = ("answer", "marked")


class WorkflowRequest(Model):
    __tablename__ = "workflow_requests"
    __table_args__ = (
        # The open list, oldest first; and "is anything open in this discussion?" on each post.
        Index(
            "ix_workflow_requests_open",
            "project_id",
            "asked_at",
            "id",
            sqlite_where=sql_text("answered_at IS NULL"),
            postgresql_where=sql_text("answered_at IS NULL"),
        ),
        Index(
            "ix_workflow_requests_open_discussion",
            "discussion_id",
            sqlite_where=sql_text("answered_at IS NULL"),
            postgresql_where=sql_text("answered_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    flag_id: Mapped[int] = mapped_column(ForeignKey("workflow_flags.id", ondelete="CASCADE"))
    discussion_id: Mapped[int] = mapped_column(ForeignKey("discussions.id", ondelete="CASCADE"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    asked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answer_comment_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="SET NULL")
    )
    answered_how: Mapped[str | None] = mapped_column(String(8))

    flag: Mapped[WorkflowFlag] = relationship()
    discussion: Mapped[Discussion] = relationship()
    item: Mapped[Item | None] = relationship()
    comment: Mapped[Comment] = relationship(foreign_keys=[comment_id])
    asked_by: Mapped[User | None] = relationship(foreign_keys=[asked_by_id])
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])
