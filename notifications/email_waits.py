"""What the email jobs read, and what they write on a notification that must wait.

The email side used to read every notification with ``emailed_at IS NULL`` at each run, and
sort each person's in Python: at tens of thousands of people, each with notifications waiting
a week for a weekly digest, that grows without bound. So a notification says what it waits for:

- ``waits_for`` (``daily`` or ``weekly``): the immediate job sorted it to that digest. The
  immediate job reads only rows without it (:func:`due_now`); the digest job reads only the rows
  of the people whose digest is due (:mod:`notifications.digests`). Changing an email choice or
  the "everything off" switch clears it for that person's waiting rows (:func:`resort`), so the
  next run sorts them again by the new choice: changed from daily to immediately, they go out
  within a minute rather than at the next digest hour.
- ``email_after``: the hourly cap (:mod:`notifications.email_limit`) held it back; the immediate
  job reads it again from that time.

``emailed_at`` stays the one mark of "decided": every mark here is a conditional ``UPDATE … WHERE
emailed_at IS NULL`` (:func:`claim`, :func:`wait`, :func:`hold`), and one that falls short
raises :class:`Decided`, so a worker that lost a race rolls back and nothing goes twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from notifications.inbox_models import Notification
from talk.extensions import db
from talk.models import Item, User

#: People whose notifications are read in one query (and their users in another).
BATCH = 200


class Decided(Exception):
    """Another worker decided some of these notifications first."""


def due_now(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """The rows the immediate job may act on at ``now``: undecided, waiting for no digest,
    not held back by the hourly cap (the partial index ``ix_notifications_email_now``)."""
    return (
        Notification.emailed_at.is_(None),
        Notification.waits_for.is_(None),
        or_(Notification.email_after.is_(None), Notification.email_after <= now),
    )


def waiting_for(cadence: str) -> tuple[ColumnElement[bool], ...]:
    """The rows waiting for ``cadence``'s digest (the partial index
    ``ix_notifications_digest_waiting``)."""
    return (Notification.emailed_at.is_(None), Notification.waits_for == cadence)


def people_with(*where: ColumnElement[bool]) -> Select[Any]:
    """The ids of the people with notifications matching ``where``, in order."""
    return select(Notification.user_id).where(*where).distinct().order_by(Notification.user_id)


def per_person(
    people: Select[Any], *where: ColumnElement[bool]
) -> Iterator[tuple[User, list[Notification]]]:
    """Each of ``people`` (a query of user ids) with their notifications matching ``where``,
    oldest first, read :data:`BATCH` people at a time."""
    ids = list(db.session.scalars(people))
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        fresh = select(User).where(User.id.in_(chunk)).execution_options(populate_existing=True)
        users = {u.id: u for u in db.session.scalars(fresh)}
        rows: dict[int, list[Notification]] = defaultdict(list)
        query = (
            select(Notification)
            .where(Notification.user_id.in_(chunk), *where)
            .order_by(Notification.user_id, Notification.id)
            .execution_options(populate_existing=True)  # as stored now, not as last seen
            .options(
                selectinload(Notification.project),
                selectinload(Notification.discussion),
                selectinload(Notification.comment),
                selectinload(Notification.item).selectinload(Item.project),
                selectinload(Notification.tag),
                selectinload(Notification.actor),
            )
        )
        for notification in db.session.scalars(query):
            rows[notification.user_id].append(notification)
        for user_id in chunk:
            if user_id in users and rows.get(user_id):
                yield users[user_id], rows[user_id]


@contextmanager
def kept_loaded() -> Iterator[None]:
    """Keep what a batch read loaded across each person's commit: without this, every commit
    expires the rest of the batch and each of its rows is read again, one query per row. What
    must be current when decided is read again where it is used (a digest's unread rows)."""
    session = db.session()
    before = session.expire_on_commit
    session.expire_on_commit = False
    try:
        yield
    finally:
        session.expire_on_commit = before


def _mark(notifications: Sequence[Notification], **values: Any) -> None:
    """Set ``values`` on ``notifications`` if none was decided meanwhile (else :class:`Decided`)."""
    ids = sorted({n.id for n in notifications})
    if not ids:
        return
    result = db.session.execute(
        update(Notification)
        .where(Notification.id.in_(ids), Notification.emailed_at.is_(None))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", len(ids)) != len(ids):
        raise Decided
    for notification in notifications:  # as stored, without making them dirty
        for name, value in values.items():
            set_committed_value(notification, name, value)


def claim(notifications: Sequence[Notification], now: datetime) -> None:
    """Mark ``notifications`` emailed (decided), all or none: raises :class:`Decided` when
    another worker got to one of them first (the caller rolls back)."""
    _mark(notifications, emailed_at=now)


def wait(notifications: Sequence[Notification], cadence: str | None) -> None:
    """``notifications`` wait for ``cadence``'s digest (None: for the immediate job again)."""
    _mark([n for n in notifications if n.waits_for != cadence], waits_for=cadence)


def hold(notifications: Sequence[Notification], until: datetime) -> None:
    """The immediate job leaves ``notifications`` alone until ``until`` (the hourly cap)."""
    _mark([n for n in notifications if n.email_after != until], email_after=until)


def resort(user: User) -> None:
    """``user``'s choices changed: their notifications waiting for a digest are sorted again by
    the next run of the immediate job (which sends, skips or puts them back to wait)."""
    db.session.execute(
        update(Notification)
        .where(
            Notification.user_id == user.id,
            Notification.emailed_at.is_(None),
            Notification.waits_for.is_not(None),
        )
        .values(waits_for=None)
        .execution_options(synchronize_session=False)
    )
