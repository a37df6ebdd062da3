"""The hourly cap on a person's immediate notification emails (``TALK_EMAIL_HOURLY_LIMIT``).

A busy discussion can otherwise mail someone every minute. Over the cap nothing is lost or
skipped: the notifications are held (:func:`notifications.email_waits.hold`) until the hour
allows another email, and then go together in that one email with whatever came meanwhile.
The delivery log says so once per deferral (a ``deferred`` entry, reason ``rate-limited``,
written when the first email is held back after the last one sent), not once per notification.

Counted: the immediate notification emails queued for the person in the last hour (whatever
became of them after). Not counted, and never held: account mail (sign-up, password, address),
digests (one a day or a week already) and the delivery log's own entries.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import ColumnElement, func, select

from notifications.models import OutboxMessage
from notifications.preferences import skip
from talk.extensions import db
from talk.models import User

HOUR = timedelta(hours=1)

#: What the delivery log writes for mail that was never sent as such.
NOT_EMAILS = ("skipped", "deferred")


def _immediate(user: User, categories: tuple[str, ...]) -> tuple[ColumnElement[bool], ...]:
    return (
        OutboxMessage.user_id == user.id,
        OutboxMessage.category.in_(categories),
        OutboxMessage.state.not_in(NOT_EMAILS),
    )


def next_allowed(user: User, categories: tuple[str, ...], now: datetime) -> datetime | None:
    """None when ``user`` may get an immediate email (of ``categories``) at ``now``; else when
    they may next: when the oldest email that keeps them at the cap is an hour old."""
    limit = current_app.config["TALK_EMAIL_HOURLY_LIMIT"]
    times = db.session.scalars(
        select(OutboxMessage.created_at)
        .where(*_immediate(user, categories), OutboxMessage.created_at > now - HOUR)
        .order_by(OutboxMessage.created_at)
    ).all()
    if len(times) < limit:
        return None
    oldest: datetime = times[len(times) - limit]
    return oldest + HOUR


def note_deferral(
    user: User, categories: tuple[str, ...], category: str, subject: str, now: datetime
) -> None:
    """Say in ``user``'s delivery log that their emails wait for the cap: once between two
    emails (nothing when this deferral is already noted)."""
    last_email = db.session.scalar(
        select(func.max(OutboxMessage.created_at)).where(*_immediate(user, categories))
    )
    noted = select(OutboxMessage.id).where(
        OutboxMessage.user_id == user.id,
        OutboxMessage.state == "deferred",
        OutboxMessage.reason == "rate-limited",
    )
    if last_email is not None:
        noted = noted.where(OutboxMessage.created_at >= last_email)
    if db.session.scalar(noted.limit(1)) is None:
        skip(user, category, "rate-limited", subject, state="deferred", now=now)
