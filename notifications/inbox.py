"""The inbox: events written in the request, fanned out by the worker, read by their people.

**In the request** the receivers below write one :class:`NotificationEvent` per change
(``comment_posted``, ``comment_edited``, ``discussion_created``, ``verdict_set``,
``role_changed``; ``notice`` in :mod:`notifications.notices`): one insert, however many
people follow the discussion.

**In the worker** :func:`deliver_events` (the ``notify`` job) claims events under a lease
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL, as the outbox), and turns each into notifications
in one transaction with the event's delete, so an event is fanned out once; the unique
``(user_id, event_id)`` keeps a second worker that took an expired claim from doubling it.
Who hears, decided at delivery time:

- the most specific reason wins, one notification per person per event (:data:`KINDS` order);
- never the actor, never someone who muted the actor, never about a thing they muted (their
  most specific follow of the discussion, item, board or project is a mute);
- only who may read it then (``discussion.read`` of :mod:`talk.policy`), and only while the
  comment is still visible.

**Reading**: :func:`unread_count` (the header), :func:`inbox_page` and :func:`consolidate`
(the page), :func:`mark_read`; opening the thing a notification is about reads it
(:mod:`notifications.viewed`). Reading never touches ``emailed_at``; :func:`due_for_email` is what
the email side asks.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from notifications.follow_models import Follow
from notifications.follows import interested, is_person, muted_by, muted_things
from notifications.inbox_models import KINDS, Notification, NotificationEvent
from notifications.notices import notice_rows
from talk import policy, signals
from talk.clock import utcnow
from talk.errors import InvalidInput
from talk.extensions import db
from talk.models import (
    MENTION_GROUPS,
    Comment,
    Discussion,
    Item,
    Membership,
    Project,
    Tag,
    TagVerdict,
    User,
)
from talk.pagination import Page, keyset_page
from talk.policy import Actor

log = logging.getLogger(__name__)

#: How long a worker's claim on events lasts; a worker that died frees them after this.
EVENT_LEASE = timedelta(minutes=5)

_RANK = {kind: i for i, kind in enumerate(KINDS)}


# --------------------------------------------------------------------------- receivers


#: Every column a receiver may set: one statement for all of them, built once, so a post does
#: not build an INSERT and its cache key anew (a fifth of a post's statement building).
_EVENT_COLUMNS = ("kind", "actor_id", "project_id", "discussion_id", "comment_id", "item_id")
_INSERT_EVENT = insert(NotificationEvent.__table__)  # Core: the ORM would make it a bulk insert


def _record(kind: str, *, actor: Any, project_id: int, **values: Any) -> None:
    """One event row, in the change's transaction (one statement)."""
    row: dict[str, Any] = dict.fromkeys(_EVENT_COLUMNS)
    row.update(
        values,
        kind=kind,
        actor_id=actor.id if is_person(actor) else None,
        project_id=project_id,
        created_at=utcnow(),
        payload=values.get("payload", {}),
    )
    db.session.execute(_INSERT_EVENT, row)


def _comment_event(
    kind: str,
    comment: Comment,
    actor: Any,
    *,
    tags_added: Sequence[Tag] = (),
    mentioned_users: Sequence[User] = (),
    mentioned_groups: Sequence[str] = (),
    **_: Any,
) -> None:
    """The event of a comment written: its new tags and the people and groups it mentions
    (what the signal carries; the worker needs no diff of the body)."""
    _record(
        kind,
        actor=actor,
        project_id=comment.project_id,
        discussion_id=comment.discussion_id,
        comment_id=comment.id,
        item_id=comment.discussion.item_id,
        payload={
            "tag_ids": sorted({tag.id for tag in tags_added}),
            "user_ids": sorted({user.id for user in mentioned_users}),
            "groups": sorted(set(mentioned_groups)),
        },
    )


@signals.comment_posted.connect
def _comment_posted(comment: Comment, *, actor: Any, **changes: Any) -> None:
    _comment_event("comment", comment, actor, **changes)


@signals.comment_approved.connect
def _comment_approved(comment: Comment, *, actor: Any, **changes: Any) -> None:
    """A held comment notifies when a moderator approves it, as its author's comment."""
    _comment_event("comment", comment, comment.author, **changes)


@signals.comment_edited.connect
def _comment_edited(comment: Comment, *, actor: Any, **changes: Any) -> None:
    """An edit tells only whom it newly mentions (nothing when it mentions nobody new)."""
    if changes.get("mentioned_users") or changes.get("mentioned_groups"):
        _comment_event("edit", comment, actor, **{**changes, "tags_added": ()})


@signals.discussion_created.connect
def _discussion_created(
    discussion: Discussion, *, comment: Comment, actor: Any, **changes: Any
) -> None:
    _comment_event("discussion", comment, actor, **changes)


@signals.verdict_set.connect
def _verdict_set(verdict: TagVerdict, *, actor: Any, **_: Any) -> None:
    _record(
        "verdict",
        actor=actor,
        project_id=verdict.project_id,
        item_id=verdict.item_id,
        payload={"tag_ids": [verdict.tag_id], "verdict": str(verdict.verdict)},
    )


@signals.role_changed.connect
def _role_changed(
    membership: Membership, *, actor: Any, previous_role: str | None, removed: bool, **_: Any
) -> None:
    if previous_role is None and not removed:
        _record(
            "welcome",
            actor=actor,
            project_id=membership.project_id,
            payload={"member_id": membership.user_id},
        )


# --------------------------------------------------------------------------- fan-out


@dataclass
class _Fanout:
    """Who gets what from one event: the most specific kind per person."""

    kinds: dict[int, tuple[str, str]] = field(default_factory=dict)  # user: (kind, detail)

    def offer(self, user_ids: Iterable[int], kind: str, detail: str = "") -> None:
        for user_id in user_ids:
            held = self.kinds.get(user_id)
            if held is None or _RANK[kind] < _RANK[held[0]]:
                self.kinds[user_id] = (kind, detail)


def _group_members(project_id: int, groups: Iterable[str]) -> dict[str, list[int]]:
    wanted = {group: MENTION_GROUPS[group] for group in groups if group in MENTION_GROUPS}
    members: dict[str, list[int]] = {group: [] for group in wanted}
    if not wanted:
        return members
    roles = sorted({role for roles in wanted.values() for role in roles})
    for user_id, role in db.session.execute(
        select(Membership.user_id, Membership.role).where(
            Membership.project_id == project_id, Membership.role.in_(roles)
        )
    ):
        for group, group_roles in wanted.items():
            if role in group_roles:
                members[group].append(user_id)
    return members


def _tag_followers(tag_ids: Sequence[int]) -> set[int]:
    if not tag_ids:
        return set()
    return set(
        db.session.scalars(
            select(Follow.user_id).where(
                Follow.tag_id.in_(sorted(tag_ids)), Follow.level == "follow"
            )
        )
    )


def _comment_fanout(event: NotificationEvent, fanout: _Fanout) -> Discussion | None:
    comment = db.session.get(Comment, event.comment_id) if event.comment_id else None
    if comment is None or not comment.is_visible:
        return None  # deleted or hidden before the worker came: nobody is told
    discussion = comment.discussion
    payload = event.payload or {}
    tag_ids: list[int] = list(payload.get("tag_ids", []))
    fanout.offer(payload.get("user_ids", []), "mention")
    for group, members in _group_members(event.project_id, payload.get("groups", [])).items():
        fanout.offer(members, "group_mention", group)
    if event.kind == "edit":
        return discussion
    if comment.reply_to is not None and event.kind == "comment":
        fanout.offer([comment.reply_to.author_id], "reply")
    tag_fans = _tag_followers(tag_ids)
    for interest in interested(discussion, tag_ids).values():
        if interest.kind == "discussion" and event.kind == "comment":
            fanout.offer([interest.user_id], "followed_reply")
        elif interest.kind in ("item", "board", "project") and event.kind == "discussion":
            fanout.offer([interest.user_id], "new_discussion")
        elif interest.kind == "tag" or interest.user_id in tag_fans:
            fanout.offer([interest.user_id], "tag_used")
    return discussion


def _verdict_fanout(event: NotificationEvent, fanout: _Fanout) -> None:
    """The people who discussed the item hear that an expert verified or rejected its tag."""
    discussed = db.session.scalars(
        select(Comment.author_id)
        .join(Discussion, Comment.discussion_id == Discussion.id)
        .where(Discussion.item_id == event.item_id, Comment.deleted_at.is_(None))
        .distinct()
    )
    fanout.offer(discussed, "verdict", str((event.payload or {}).get("verdict", "")))


def _welcome_fanout(event: NotificationEvent, fanout: _Fanout) -> None:
    """Welcome on first joining: not again after leaving and coming back."""
    member_id = (event.payload or {}).get("member_id")
    welcomed = db.session.scalar(
        select(
            exists().where(
                Notification.user_id == member_id,
                Notification.project_id == event.project_id,
                Notification.kind == "welcome",
            )
        )
    )
    if member_id is not None and not welcomed:
        fanout.offer([member_id], "welcome")


def _may_see(user: User, event: NotificationEvent, discussion: Discussion | None) -> bool:
    if user.is_disabled:
        return False
    if discussion is not None:
        return policy.may(user, "discussion.read", discussion)
    project = db.session.get(Project, event.project_id)
    if project is None:
        return False
    if event.kind == "verdict":
        return policy.may(user, "board.read", policy.items_board(project))
    return True


def fan_out(event: NotificationEvent) -> list[dict[str, Any]]:
    """The notifications ``event`` makes, as rows to insert (nothing written)."""
    if event.kind == "notice":
        return notice_rows(event)  # one person, chosen by the sender; mutes do not apply
    fanout = _Fanout()
    discussion: Discussion | None = None
    if event.kind in ("comment", "edit", "discussion"):
        discussion = _comment_fanout(event, fanout)
        if discussion is None:
            return []
    elif event.kind == "verdict":
        _verdict_fanout(event, fanout)
    elif event.kind == "welcome":
        _welcome_fanout(event, fanout)
    recipients = set(fanout.kinds)
    if event.actor_id is not None:
        recipients.discard(event.actor_id)
        recipients -= muted_by(recipients, event.actor_id)
    tag_ids = list((event.payload or {}).get("tag_ids", []))
    item_id = discussion.item_id if discussion is not None else event.item_id
    recipients -= muted_things(
        recipients,
        project_id=event.project_id,
        discussion=discussion,
        item_id=item_id,
        tag_ids=tag_ids,
    )
    if not recipients:
        return []
    people = db.session.scalars(select(User).where(User.id.in_(sorted(recipients))))
    now = utcnow()
    rows = []
    for user in people:
        if not _may_see(user, event, discussion):
            continue
        kind, detail = fanout.kinds[user.id]
        rows.append(
            {
                "user_id": user.id,
                "kind": kind,
                "event_id": event.id,
                "project_id": event.project_id,
                "discussion_id": discussion.id if discussion is not None else None,
                "comment_id": event.comment_id,
                "item_id": item_id,
                "tag_id": tag_ids[0] if kind in ("tag_used", "verdict") and tag_ids else None,
                "actor_id": event.actor_id,
                "detail": detail,
                "created_at": now,
            }
        )
    return rows


def claim_events(worker_id: str, limit: int, now: datetime | None = None) -> list[int]:
    """Claim up to ``limit`` events (unclaimed, or whose claim lapsed) and commit."""
    now = now or utcnow()
    free = or_(NotificationEvent.lease_until.is_(None), NotificationEvent.lease_until < now)
    candidates = list(
        db.session.scalars(
            select(NotificationEvent.id)
            .where(free)
            .order_by(NotificationEvent.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if candidates:
        db.session.execute(
            update(NotificationEvent)
            .where(NotificationEvent.id.in_(candidates), free)
            .values(claimed_by=worker_id, lease_until=now + EVENT_LEASE)
        )
    db.session.commit()
    return list(
        db.session.scalars(
            select(NotificationEvent.id)
            .where(NotificationEvent.id.in_(candidates), NotificationEvent.claimed_by == worker_id)
            .order_by(NotificationEvent.id)
        )
    )


def deliver_events(worker_id: str, limit: int = 200, now: datetime | None = None) -> int:
    """The ``notify`` job: fan out claimed events, each in its own transaction with its
    delete. Returns how many notifications were written. Commits."""
    written = 0
    for event_id in claim_events(worker_id, limit, now):
        event = db.session.get(NotificationEvent, event_id)
        if event is None or event.claimed_by != worker_id:
            continue
        try:
            rows = fan_out(event)
            if rows:
                db.session.execute(insert(Notification), rows)
            db.session.execute(
                delete(NotificationEvent).where(
                    NotificationEvent.id == event_id, NotificationEvent.claimed_by == worker_id
                )
            )
            db.session.commit()
            written += len(rows)
        except IntegrityError:  # another worker delivered it after our claim lapsed
            db.session.rollback()
            log.warning("notification event %s was delivered by another worker", event_id)
        policy.forget_roles()
    return written


# --------------------------------------------------------------------------- reading


@policy.rule("notifications.read", read=True)
def _may_read_notifications(user: Any, account: Any) -> bool:
    """One's own notifications only (a read: a suspension does not hide them)."""
    return is_person(user) and isinstance(account, User) and user.id == account.id


def unread_count(user: User) -> int:
    """The header's number: one indexed count."""
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        )
        or 0
    )


def inbox_page(
    actor: Actor, user: User, *, cursor: str | None, limit: int, unread: bool = False
) -> Page[Notification]:
    """``user``'s notifications, newest first (``unread``: only those not read)."""
    policy.require(actor, "notifications.read", user)
    query = (
        select(Notification)
        .where(Notification.user_id == user.id)
        .options(
            selectinload(Notification.project),
            selectinload(Notification.discussion),
            selectinload(Notification.item).selectinload(Item.project),
            selectinload(Notification.tag),
            selectinload(Notification.actor),
        )
    )
    if unread:
        query = query.where(Notification.read_at.is_(None))
    return keyset_page(query, [Notification.id], cursor=cursor, limit=limit, descending=True)


def mark_read(
    actor: Actor, user: User, ids: Iterable[int] | None = None, *, everything: bool = False
) -> int:
    """Mark ``ids`` (``user``'s own; others' are left alone) or ``everything`` read; returns
    how many were unread. ``emailed_at`` is not touched."""
    policy.require(actor, "notifications.read", user)
    wanted = sorted(set(ids or ()))
    if not everything and not wanted:
        raise InvalidInput("Name the notifications to mark read.", {"ids": ["Required."]})
    statement = update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    if not everything:
        statement = statement.where(Notification.id.in_(wanted))
    result = db.session.execute(statement.values(read_at=utcnow()))
    return int(getattr(result, "rowcount", 0))


def due_for_email(limit: int = 500) -> list[Notification]:
    """What the email side (immediate mail or digests) still has to consider, oldest first:
    notifications never emailed. Mark them with :func:`mark_emailed` once handled."""
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.emailed_at.is_(None))
            .order_by(Notification.id)
            .limit(limit)
        )
    )


def mark_emailed(ids: Iterable[int], when: datetime | None = None) -> None:
    db.session.execute(
        update(Notification)
        .where(Notification.id.in_(sorted(set(ids))))
        .values(emailed_at=when or utcnow())
    )
