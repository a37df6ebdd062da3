"""Daily and weekly digests: one email per person per period with what is still unread.

The ``digests`` job (:func:`send_digests`, every few minutes) looks at the people with
undecided notifications (``emailed_at IS NULL``). A person's daily digest is due from
``TALK_DIGEST_HOUR`` in their own time zone (``users.time_zone``), for :data:`WINDOW`; the
weekly one likewise on ``TALK_DIGEST_WEEKDAY``. It holds their notifications whose choice
(category and project, :func:`notifications.emails.sort_out`) is that cadence, grouped by project
and discussion, and lists those still unread at that moment; all of them are marked emailed.

- **Never twice**: the period's :class:`~notifications.digests_models.Digest` row (unique
  person, cadence and local date) is written in the transaction that marks them and queues
  the email; a second run (or worker) in the same period finds it, or fails on the key and
  rolls back.
- **Never empty**: with nothing unread no email goes; the delivery log says ``empty-digest``.
- **Not to the long gone**: with no sign of a visit for ``TALK_DIGEST_INACTIVE_DAYS``
  (:func:`last_seen`), no digest; the log says ``inactive``. A digest sent does not count
  as a visit, or digests would keep themselves going for ever.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from functools import partial

from flask import current_app
from sqlalchemy import func, select

from notifications import emails
from notifications.digests_models import Digest
from notifications.emails import claim, committed, each_person, render, zone_of
from notifications.inbox_models import Notification
from notifications.outbox import enqueue
from notifications.preferences import skip
from talk.clock import utcnow
from talk.extensions import db
from talk.models import ApiToken, Comment, User

log = logging.getLogger(__name__)

CADENCES = ("daily", "weekly")

#: How long after ``TALK_DIGEST_HOUR`` a period's digest may still go (a worker that was down
#: then sends it late); past it, what waited goes in the next period's.
WINDOW = timedelta(hours=3)


def period_due(cadence: str, local: datetime) -> date | None:
    """The period (its local date) whose ``cadence`` digest is due at ``local``, or None."""
    config = current_app.config
    start = local.replace(hour=config["TALK_DIGEST_HOUR"], minute=0, second=0, microsecond=0)
    if not start <= local < start + WINDOW:
        return None
    if cadence == "weekly" and local.weekday() != config["TALK_DIGEST_WEEKDAY"]:
        return None
    return local.date()


def last_seen(user: User) -> datetime:
    """The last sign that ``user`` visited: Talk keeps no login times, so the latest of
    signing up, confirming the address, reading a notification, writing a comment and
    using an API token."""
    signs = [user.created_at, user.email_verified_at]
    for query in (
        select(func.max(Notification.read_at)).where(Notification.user_id == user.id),
        select(func.max(Comment.created_at)).where(Comment.author_id == user.id),
        select(func.max(ApiToken.last_used_at)).where(ApiToken.user_id == user.id),
    ):
        signs.append(db.session.scalar(query))
    return max(sign for sign in signs if sign is not None)


def _already(user: User, cadence: str, period: date) -> bool:
    return (
        db.session.scalar(
            select(Digest.id).where(
                Digest.user_id == user.id, Digest.cadence == cadence, Digest.period_start == period
            )
        )
        is not None
    )


def build_digest(
    user: User,
    cadence: str,
    period: date,
    notifications: Sequence[Notification],
    now: datetime,
) -> Digest | None:
    """Decide ``user``'s ``cadence`` digest for ``period``: None when nothing is for it.
    The caller commits."""
    picked = emails.sort_out(user, notifications).by_choice.get(cadence, [])
    if not picked:
        return None
    row = Digest(
        user_id=user.id,
        cadence=cadence,
        period_start=period,
        notifications=len(picked),
        outcome="sent",
        created_at=now,
    )
    db.session.add(row)
    db.session.flush()  # the unique key: a digest already decided for this period
    claim(picked, now)
    unread = [n for n in picked if n.read_at is None]
    subject = f"Your {cadence} Talk digest: " + (
        "1 new notification" if len(unread) == 1 else f"{len(unread)} new notifications"
    )
    inactive_days = current_app.config["TALK_DIGEST_INACTIVE_DAYS"]
    if last_seen(user) < now - timedelta(days=inactive_days):
        row.outcome = "inactive"
        skip(user, "digest", "inactive", subject)
    elif not unread:
        row.outcome = "empty"
        skip(user, "digest", "empty-digest", f"Your {cadence} Talk digest")
    else:
        heading = f"Your {cadence} digest"
        intro = f"What you have not read yet on Talk, {period.strftime('%A %-d %B %Y')}:"
        text, html = render(user, subject, heading, intro, unread)
        message = enqueue(
            to_address=user.email,
            subject=subject,
            text=text,
            html=html,
            category="digest",
            user=user,
            headers=emails.headers_for(user, unread),
        )
        row.outbox_id = message.id
    db.session.flush()
    return row


def send_digests(_worker_id: str = "", now: datetime | None = None) -> int:
    """The ``digests`` job: each person's due digests, each in its own transaction. Returns
    how many were decided (sent, empty or inactive). Commits."""
    when = now or utcnow()

    def decide(user: User, notifications: list[Notification]) -> int:
        local, decided = when.astimezone(zone_of(user)), 0
        for cadence in CADENCES:
            period = period_due(cadence, local)
            if period is not None and not _already(user, cadence, period):
                decided += committed(
                    f"the {cadence} digest of user {user.id}",
                    partial(build_digest, user, cadence, period, notifications, when),
                )
        return decided

    return each_person(decide)
