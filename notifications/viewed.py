"""Opening the thing a notification is about reads it, without the core knowing this package:
the core sends ``discussion_viewed``, ``item_viewed`` and ``project_viewed`` on a logged-in GET
of the page.

- a discussion's page reads every notification about that discussion;
- an item's page reads the expert verdicts on it (the other kinds about an item are about one
  of its discussions, read there);
- a project's home reads its welcome.

Every view sends the signal, so each receiver is one indexed read (``ix_notifications_unread``,
partial on ``read_at IS NULL``) and writes only when something is unread: most views, and every
view by someone with nothing unread, stay read-only (on SQLite a GET never takes the write lock
for nothing).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, exists, select, update

from notifications.follows import is_person
from notifications.inbox_models import Notification
from talk import signals
from talk.clock import utcnow
from talk.extensions import db
from talk.models import Discussion, Item, Project


def _read(actor: Any, *about: ColumnElement[bool]) -> None:
    """Mark ``actor``'s unread notifications matching ``about`` read, if there are any."""
    if not is_person(actor):
        return
    unread = (Notification.user_id == actor.id, Notification.read_at.is_(None), *about)
    if db.session.scalar(select(exists().where(*unread))):
        db.session.execute(update(Notification).where(*unread).values(read_at=utcnow()))


@signals.discussion_viewed.connect
def _discussion_viewed(discussion: Discussion, *, actor: Any, **_: Any) -> None:
    _read(actor, Notification.discussion_id == discussion.id)


@signals.item_viewed.connect
def _item_viewed(item: Item, *, actor: Any, **_: Any) -> None:
    _read(actor, Notification.kind == "verdict", Notification.item_id == item.id)


@signals.project_viewed.connect
def _project_viewed(project: Project, *, actor: Any, **_: Any) -> None:
    _read(actor, Notification.kind == "welcome", Notification.project_id == project.id)
