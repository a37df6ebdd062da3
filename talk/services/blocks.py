"""Blocking a person (issue 10): stronger than the notifications package's mute.

A block hides nothing from anyone else and tells the blocked person nothing. For the blocker,
the blocked person's comments collapse on every page that lists comments (a ``<details>``
"You blocked … — show comment", which works without JavaScript), and nothing they write — a
mention, a reply, a quotation of the blocker's words, a group mention — notifies the blocker:
the notifications package's fan-out counts a block as a mute of the person
(``notifications.follows.muted_by`` reads ``user_blocks`` too, in the same query). Rule:
``user.block`` (:mod:`talk.policy`).
"""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from talk import policy
from talk.clock import utcnow
from talk.errors import Conflict, InvalidInput, NotFound
from talk.extensions import db
from talk.models import User, UserBlock
from talk.pagination import Page, keyset_page


def block_user(actor: policy.Actor, person: User) -> UserBlock:
    """``actor`` blocks ``person`` (409 if blocked already; 422 for oneself)."""
    if getattr(actor, "id", None) == person.id:
        raise InvalidInput("You cannot block yourself.", {"username": ["That is you."]})
    policy.require(actor, "user.block", person)
    assert isinstance(actor, User)  # the rule admits people only
    if db.session.get(UserBlock, (actor.id, person.id)) is not None:
        raise Conflict(f"You have blocked {person.display_name} already.")
    row = UserBlock(user_id=actor.id, blocked_user_id=person.id, created_at=utcnow())
    db.session.add(row)
    db.session.flush()
    _forget(actor)
    return row


def unblock_user(actor: policy.Actor, person: User) -> None:
    """``actor`` unblocks ``person`` (404 if not blocked)."""
    policy.require(actor, "user.block", person)
    assert isinstance(actor, User)
    row = db.session.get(UserBlock, (actor.id, person.id))
    if row is None:
        raise NotFound(f"You have not blocked {person.display_name}.")
    db.session.delete(row)
    db.session.flush()
    _forget(actor)


def has_blocked(user: Any, person: User) -> bool:
    """Whether ``user`` (any viewer) blocked ``person``."""
    return person.id in blocked_people(user)


def blocked_people(user: Any) -> dict[int, str]:
    """Whom ``user`` blocked, by id (their usernames as values, for lists that name authors
    by username): one query per request for a logged-in person (kept on ``g``), none for a
    visitor or the operator, so a page's cost does not grow with its comments."""
    if not policy.is_logged_in(user) or policy.is_operator(user):
        return {}
    cached: dict[int, dict[int, str]] | None = (
        g.setdefault("talk_blocked_people", {}) if has_request_context() else None
    )
    if cached is not None and user.id in cached:
        return cached[user.id]
    rows = db.session.execute(
        select(UserBlock.blocked_user_id, User.username)
        .join(User, User.id == UserBlock.blocked_user_id)
        .where(UserBlock.user_id == user.id)
    )
    found: dict[int, str] = {row[0]: row[1] for row in rows}
    if cached is not None:
        cached[user.id] = found
    return found


def _forget(user: User) -> None:
    if has_request_context():
        g.get("talk_blocked_people", {}).pop(user.id, None)


def blocks_page(actor: policy.Actor, user: User, *, cursor: str | None, limit: int) -> Page[Any]:
    """The people ``user`` blocked, latest first: for ``user`` alone."""
    policy.require(actor, "account.settings", user)
    return keyset_page(
        select(UserBlock)
        .where(UserBlock.user_id == user.id)
        .options(selectinload(UserBlock.blocked_user)),
        [UserBlock.created_at, UserBlock.blocked_user_id],
        cursor=cursor,
        limit=limit,
        descending=True,
    )
