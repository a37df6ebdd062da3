"""Comments held for a moderator's approval: approving posts them, rejecting keeps them hidden.

A content check (``policy.check_content``) may hold a new reply; :func:`talk.services.discussions.
post_comment` then writes it hidden and held (and ``start_discussion`` a new discussion's first
comment, below). Approving is the moment it is posted: it joins the
counters, its tags and mentions are recorded and ``comment_approved`` is sent, so nobody is
notified of a comment that was never shown. Rejecting leaves it hidden, with the reason.

A new discussion whose text was held waits with its first comment (``Discussion.held_at``):
approving that comment approves the discussion too — counted on its board, project and item,
listed and found from now, and announced by ``discussion_created`` as if started now (with
``approved_by``, the moderator), so followers of its item or board hear of it then and never
before. Rejecting it keeps the whole discussion unlisted, seen by its author (with the reason)
and its moderators only.
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
from talk.services import counting, discussions, mentions
from talk.services.discussions import clean_reason


def approve_comment(actor: Actor, comment: Comment) -> Comment:
    """Show a held comment: counted, tagged, searchable and notified from now, as if posted now
    (the discussion's activity moves to now; its place in the thread stays). The first comment
    of a held discussion approves the discussion with it (see the module's docstring)."""
    counting.lock_comment(comment)
    policy.require(actor, "comment.approve", comment)
    discussion = comment.discussion
    opens = discussion.is_held
    now = utcnow()
    comment.held_at = None
    comment.hidden_at = None
    comment.hidden_by_id = None
    comment.hidden_reason = ""
    bumps: counting.Bumps = {}
    if opens:
        discussion.held_at = None
        counting.count_discussion(discussion, +1, bumps)
    counting.count_comment(comment, +1, bumps, now=now)
    counting.bump(bumps, discussion, last_comment_at=now)
    counting.apply(bumps)
    db.session.flush()
    links = mentions.comment_links(
        comment.author, discussion, comment.body, editing=comment, check_limits=False
    )
    changes = discussions.record_links(comment, links, visible=True, now=now)
    if opens:
        signals.discussion_created.send(
            discussion,
            comment=comment,
            board=discussion.board,
            item=discussion.item,
            actor=comment.author,
            approved_by=actor,
            **changes.as_kwargs(),
        )
    else:
        signals.comment_approved.send(comment, actor=actor, **changes.as_kwargs())
    return comment


def reject_comment(actor: Actor, comment: Comment, reason: str = "") -> Comment:
    """Keep a held comment from being shown: it becomes a comment hidden by ``actor`` with
    ``reason`` (its author sees the reason; a moderator may still show it again later)."""
    counting.lock_comment(comment)
    policy.require(actor, "comment.approve", comment)
    reason = clean_reason(reason)
    comment.held_at = None
    comment.hidden_by_id = actor.id
    comment.hidden_reason = reason
    db.session.flush()
    signals.comment_rejected.send(comment, actor=actor, reason=reason)
    return comment


def opening_comment(discussion: Discussion) -> Comment | None:
    """A held discussion's first comment (the one approving approves it); one query."""
    return db.session.scalars(
        select(Comment).where(Comment.discussion_id == discussion.id).order_by(Comment.id).limit(1)
    ).first()


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
