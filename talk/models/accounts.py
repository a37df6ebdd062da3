"""People and their API tokens."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from talk.extensions import Model
from talk.limits import MAX_DISPLAY_NAME, MAX_EMAIL, MAX_TOKEN_NAME, MAX_USERNAME
from talk.models._types import UTCDateTime


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, Model):
    """An account. Its login sessions (session and remember-me cookies) carry :meth:`get_id`,
    which includes ``session_token``: a new token (``accounts.end_sessions``) ends them all."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(MAX_USERNAME))
    # Lower-cased copy: usernames are unique regardless of case, and look-ups ignore case.
    username_key: Mapped[str] = mapped_column(String(MAX_USERNAME), unique=True)
    display_name: Mapped[str] = mapped_column(String(MAX_DISPLAY_NAME))
    email: Mapped[str] = mapped_column(String(MAX_EMAIL), unique=True)
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

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")

    def get_id(self) -> str:
        """Flask-Login's alternative id, kept in the session and the remember-me cookie."""
        return f"{self.id}:{self.session_token}"

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class ApiToken(Model):
    """A bearer token; only its SHA-256 is stored, so a leaked database leaks no tokens."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(MAX_TOKEN_NAME), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    user: Mapped[User] = relationship(back_populates="tokens")
