"""People and their API tokens."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from talk.extensions import Model
from talk.limits import MAX_DISPLAY_NAME, MAX_EMAIL, MAX_TOKEN_NAME, MAX_USERNAME
from talk.models._types import UTCDateTime

if TYPE_CHECKING:
    from talk.models.projects import Project


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, Model):
    """An account. Its login sessions (session and remember-me cookies) carry :meth:`get_id`,
    which includes ``session_token``: a new token (``accounts.end_sessions``) ends them all."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(MAX_USERNAME))
    # NFKC + casefold copy (``accounts.identity_key``): usernames are unique on it, and
    # look-ups use it, so a fullwidth 'jsmith', 'JSMITH' and 'jsmith' are one account.
    username_key: Mapped[str] = mapped_column(String(MAX_USERNAME), unique=True)
    # The username's confusable skeleton (``accounts.username_skeleton``): a new username
    # whose skeleton an account already has ('jsrnith' beside 'jsmith') is refused. Not
    # unique: accounts from before migration 0009 may share one.
    username_skeleton: Mapped[str] = mapped_column(
        String(4 * MAX_USERNAME), index=True, server_default=""
    )
    display_name: Mapped[str] = mapped_column(String(MAX_DISPLAY_NAME))
    email: Mapped[str] = mapped_column(String(MAX_EMAIL), unique=True)
    # NFKC + casefold copy of the address: unique, and what logins and registration compare.
    # (A unique index, which migration 0009 adds without rebuilding the table.)
    email_key: Mapped[str] = mapped_column(
        String(4 * MAX_EMAIL), unique=True, index=True, server_default=""
    )
    password_hash: Mapped[str] = mapped_column(String(255))
    is_site_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    comment_count: Mapped[int] = mapped_column(Integer, default=0)
    # Random, replaced to end every session of the account (migration 0006 gives existing
    # accounts one; the server default only keeps the column NOT NULL for rows added by hand,
    # and an empty token logs nobody in).
    session_token: Mapped[str] = mapped_column(
        String(64), default=new_session_token, server_default=""
    )

    # When the account's address was last confirmed by following an emailed link (or made by
    # the operator: ``talk create-user``, the demo). None: unconfirmed, and only verification
    # mail goes to it (``email_verified``). Migration 0011 leaves older accounts unconfirmed,
    # except site admins (only the operator makes those).
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # An IANA time zone name ("Europe/Paris"), checked with zoneinfo; digests are sent by it.
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    # Set by a site admin (``accounts.disable_user``): no login, no session, no API token.
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")

    @property
    def email_verified(self) -> bool:
        """Whether mail other than address verification may be sent to :attr:`email`."""
        return self.email_verified_at is not None

    @property
    def is_disabled(self) -> bool:
        return self.disabled_at is not None

    def get_id(self) -> str:
        """Flask-Login's alternative id, kept in the session and the remember-me cookie."""
        return f"{self.id}:{self.session_token}"

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class PendingRegistration(Model):
    """A sign-up waiting for its address to be confirmed: the account is made only when the
    emailed link is followed (``accounts.confirm_registration``), so registering reveals
    nothing about which addresses have accounts, and claims no username before that. Rows
    past their expiry are useless and deleted by the next registration."""

    __tablename__ = "pending_registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(MAX_USERNAME))
    display_name: Mapped[str] = mapped_column(String(MAX_DISPLAY_NAME))
    email: Mapped[str] = mapped_column(String(MAX_EMAIL))
    password_hash: Mapped[str] = mapped_column(String(255))
    # Random, part of the emailed link's signed payload: the link names this row and no other.
    nonce: Mapped[str] = mapped_column(String(64), default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class ApiToken(Model):
    """A bearer token; only its SHA-256 is stored, so a leaked database leaks no tokens.

    ``expires_at`` (optional) ends it; ``project_id`` (optional) limits it to one project
    (``talk.policy``: it acts only there and reads elsewhere as an anonymous visitor)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(MAX_TOKEN_NAME), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), nullable=True, index=True
    )

    user: Mapped[User] = relationship(back_populates="tokens")
    project: Mapped[Project | None] = relationship()
