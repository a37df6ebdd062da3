"""Daily and weekly digests: one email per person per period with what is still unread.

The ``digests`` job (:func:`send_digests`, every few minutes) reads only the people whose
digest is due. A person's daily digest is due from ``TALK_DIGEST_HOUR`` in their own time zone
(``users.time_zone``), for :data:`WINDOW`; the weekly one likewise on ``TALK_DIGEST_WEEKDAY``.
The job works out which of the time zones people have are at that moment (:func:`due_periods`,
one small query), then reads the notifications waiting for that cadence
(``waits_for``, set by the immediate job when it sorted them there:
:mod:`notifications.email_waits`) of the people in those zones with no digest yet for the
period. The digest sorts them again by the person's choice now (one changed meanwhile moves
them to where they now belong), holds those whose choice is that cadence, grouped by project
and discussion, and lists those still unread at that moment (read again from the database, not
from when the job started); all of them are marked emailed.

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
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, Select, func, or_, select

from notifications import emails
from notifications.digests_models import Digest
from notifications.email_waits import claim, people_with, waiting_for
from notifications.emails import committed, each_person, render, zone_named
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


def due_periods(now: datetime) -> dict[tuple[str, date], list[str | None]]:
    """The digests due at ``now``: (cadence, period) → the ``users.time_zone`` values (as
    stored, None included) whose people are due for it."""
    due: dict[tuple[str, date], list[str | None]] = defaultdict(list)
    for name in db.session.scalars(select(User.time_zone).distinct()):
        local = now.astimezone(zone_named(name))
        for cadence in CADENCES:
            period = period_due(cadence, local)
            if period is not None:
                due[(cadence, period)].append(name)
    return due


def due_people(cadence: str, period: date, zones: Sequence[str | None]) -> Select[Any]:
    """The people in ``zones`` with notifications waiting for ``cadence`` and no digest decided
    for ``period`` yet."""
    names = [name for name in zones if name is not None]
    in_zones: ColumnElement[bool] = User.time_zone.in_(names)
    if None in zones:
        in_zones = or_(in_zones, User.time_zone.is_(None))
    decided = select(Digest.id).where(
        Digest.user_id == Notification.user_id,
        Digest.cadence == cadence,
        Digest.period_start == period,
    )
    return people_with(*waiting_for(cadence), in_zones, ~decided.exists()).join(
        User, User.id == Notification.user_id
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
    # sorted again: a choice changed since they were sorted moves them where they now belong
    picked = emails.settle(user, emails.sort_out(user, notifications), cadence, now)
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
    unread_ids = set(
        db.session.scalars(
            select(Notification.id).where(
                Notification.id.in_([n.id for n in picked]), Notification.read_at.is_(None)
            )
        )
    )
    unread = [n for n in picked if n.id in unread_ids]
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


def _decide(cadence: str, period: date, now: datetime) -> Callable[[User, list[Notification]], int]:
    """Build one person's ``cadence`` digest for ``period`` in a transaction of its own."""
    return lambda user, notifications: committed(
        f"the {cadence} digest of user {user.id}",
        partial(build_digest, user, cadence, period, notifications, now),
    )


def send_digests(_worker_id: str = "", now: datetime | None = None) -> int:
    """The ``digests`` job: the digests due at ``now``, each in its own transaction. Returns
    how many were decided (sent, empty or inactive). Commits."""
    when = now or utcnow()
    return sum(
        each_person(
            due_people(cadence, period, zones), waiting_for(cadence), _decide(cadence, period, when)
        )
        for (cadence, period), zones in due_periods(when).items()
    )
