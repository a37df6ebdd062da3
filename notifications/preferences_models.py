"""Email preferences: how often each kind of email reaches a person, site-wide and per project,
and their "no email at all" switch (:mod:`notifications.preferences` reads and writes them)."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from talk.extensions import Model
from talk.models import Project


def _site_wide() -> Index:
    where = text("project_id IS NULL")
    return Index(
        "uq_email_preferences_site",
        "user_id",
        "category",
        unique=True,
        sqlite_where=where,
        postgresql_where=where,
    )


class EmailPreference(Model):
    """One choice of one person for one category: site-wide (no project) or for one project,
    where it overrides the site-wide one. No row: the category's default."""

    __tablename__ = "email_preferences"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(40))
    #: ``immediately``, ``daily``, ``weekly`` or ``never``.
    choice: Mapped[str] = mapped_column(String(16))

    project: Mapped[Project | None] = relationship()

    __table_args__ = (
        _site_wide(),
        Index("uq_email_preferences_project", "user_id", "project_id", "category", unique=True),
    )


class EmailSwitch(Model):
    """A person's "no email from Talk" switch (account mail still comes); no row: off."""

    __tablename__ = "email_switches"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    everything_off: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
