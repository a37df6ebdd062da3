"""People and their API tokens."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from talk.extensions import Model
from talk.limits import MAX_DISPLAY_NAME, MAX_EMAIL, MAX_TOKEN_NAME, MAX_USERNAME
from talk.models._types import UTCDateTime


class User(UserMixin, Model):
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

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")

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
