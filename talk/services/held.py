"""Comments held for a moderator's approval: approving posts them, rejecting keeps them hidden.

A content check (``policy.check_content``) may hold a new reply; :func:`talk.services.discussions.
post_comment` then writes it hidden and held. Approving is the moment it is posted: it joins the
counters, its tags and mentions are recorded and ``comment_approved`` is sent, so nobody is
notified of a comment that was never shown. Rejecting leaves it hidden, with the reason.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from talk import policy, signals
from talk.clock import utcnow
from talk.extensions import db
from talk.models import Comment, Discussion, Project
from talk.pagination import Page, keyset_page
from talk.policy import Actor
from talk.services import mentions
from talk.services.discussions import (
    Bumps,
    _apply,
    _bump,
    _count,
    _lock,
    _sync_links,
    clean_reason,
)


def approve_comment(actor: Actor, comment: Comment) -> Comment:
    """Show a held comment: counted, tagged, searchable and notified from now, as if posted now
    (the discussion's activity moves to now; its place in the thread stays)."""
    _lock(comment)
    policy.require(actor, "comment.approve", comment)
    now = utcnow()
    comment.held_at = None
    comment.hidden_at = None
    comment.hidden_by_id = None
    comment.hidden_reason = ""
    bumps: Bumps = {}
    _count(comment, +1, bumps, now=now)
    _bump(bumps, comment.discussion, last_comment_at=now)
    _apply(bumps)
    db.session.flush()
    links = mentions.comment_links(
        comment.author, comment.discussion, comment.body, editing=comment, check_limits=False
    )
    changes = _sync_links(comment, links, visible=True, now=now)
    signals.comment_approved.send(comment, actor=actor, **changes.as_kwargs())
    return comment


def reject_comment(actor: Actor, comment: Comment, reason: str = "") -> Comment:
    """Keep a held comment from being shown: it becomes a comment hidden by ``actor`` with
    ``reason`` (its author sees the reason; a moderator may still show it again later)."""
    _lock(comment)
    policy.require(actor, "comment.approve", comment)
    reason = clean_reason(reason)
    comment.held_at = None
    comment.hidden_by_id = actor.id
    comment.hidden_reason = reason
    db.session.flush()
    signals.comment_rejected.send(comment, actor=actor, reason=reason)
    return comment


def held_comments(project: Project, *, limit: int = 200) -> list[Comment]:
    """A project's comments waiting for approval, oldest first (the queue)."""
    return list(db.session.scalars(_held(project).order_by(*HELD_ORDER).limit(limit)))


#: The queue's order, oldest first: its cursor pages' sort key too.
HELD_ORDER = (Comment.held_at, Comment.id)


def held_page(project: Project, *, cursor: str | None, limit: int) -> Page[Comment]:
    """:func:`held_comments` as a cursor page (the API's)."""
    return keyset_page(_held(project), HELD_ORDER, cursor=cursor, limit=limit)


def _held(project: Project) -> Select[Any]:
    return (
        select(Comment)
        .where(
            Comment.project_id == project.id,
            Comment.held_at.is_not(None),
            Comment.deleted_at.is_(None),
        )
        .options(
            selectinload(Comment.author),
            selectinload(Comment.discussion).selectinload(Discussion.item),
        )
    )
