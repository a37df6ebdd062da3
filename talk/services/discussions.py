"""Discussions and comments: starting, replying, editing, deleting — and the counters they keep.

A comment's hashtags and mentions are resolved before it is written (:mod:`talk.services.mentions`
may refuse it), rendered as links into its stored HTML, and recorded in the same transaction
(:func:`sync_links`), so tags, counters and mentions always match the visible comments.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import make_transient_to_detached, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from talk import markdown, policy, rate_limits, signals
from talk.clock import utcnow
from talk.errors import Conflict, InvalidInput, NotFound
from talk.extensions import db
from talk.limits import MAX_DISCUSSION_TITLE, MAX_HIDE_REASON, MAX_MODERATOR_NOTE
from talk.models import (
    Board,
    Comment,
    CommentRevision,
    Discussion,
    Item,
    MentionKind,
    Project,
    Tag,
    User,
)
from talk.services import counting, mentions, tag_sync
from talk.services.mentions import CommentLinks
from talk.services.validation import clean_text


@dataclass(frozen=True)
class CommentChanges:
    """What writing a comment changed beyond its text, as its signal announces it: the tags it
    added and removed, and whom it newly mentioned (only people who may read it; never its
    author). Receivers (notifications) need not re-parse the body or diff the old one."""

    tags_added: tuple[Tag, ...] = ()
    tags_removed: tuple[Tag, ...] = ()
    mentioned_users: tuple[User, ...] = ()
    mentioned_groups: tuple[str, ...] = ()

    def as_kwargs(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _clean_body(body: str) -> str:
    limit = current_app.config["TALK_MAX_COMMENT_LENGTH"]
    return clean_text(body, "body", max_length=limit)


def get_discussion(discussion_id: int) -> Discussion:
    discussion = db.session.get(
        Discussion,
        discussion_id,
        options=[selectinload(Discussion.board), selectinload(Discussion.item)],
    )
    if discussion is None:
        raise NotFound(f"No discussion {discussion_id}.")
    return discussion


def get_comment(comment_id: int) -> Comment:
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        raise NotFound(f"No comment {comment_id}.")
    return comment


def start_discussion(
    author: User, board: Board, title: str, body: str, *, item: Item | None = None
) -> Discussion:
    """Open a discussion on a general board, or (with ``item``) on the item's own threads.

    When a content check holds its text, the discussion is written held with its first comment
    (:func:`_hold_comment`): listed, counted and notified nowhere, seen by its author and
    moderators only, until approving that comment approves it (:mod:`talk.services.held`)."""
    if item is not None:
        board = policy.items_board(item.project)
        policy.require(author, "item.start_discussion", item)
    else:
        if board.kind == "items":
            raise InvalidInput(
                "Discussions on the item board belong to an item.", {"item": ["Required."]}
            )
        policy.require(author, "board.start_discussion", board)
    title = clean_text(title, "title", max_length=MAX_DISCUSSION_TITLE)
    body = _clean_body(body)
    project: Project = board.project
    held = policy.check_content(
        author, "discussion", item or board, f"{title}\n{body}", can_hold=True
    )
    now = utcnow()
    discussion = Discussion(
        project=project,
        board=board,
        item=item,
        author=author,
        title=title,
        created_at=now,
        comment_count=0,
        last_comment_at=now,
        held_at=now if held else None,
    )
    links = mentions.comment_links(author, discussion, body)  # may refuse; nothing written yet
    people = mentions.people_named(links, author)
    rate_limits.hit_many(author, {"discussion": 1, "comment": 1, "mention": people})
    db.session.add(discussion)
    if held:
        _hold_comment(discussion, author, body, links, reply_to=None, now=now, reason=held)
        return discussion
    bumps: counting.Bumps = {}
    counting.count_discussion(discussion, +1, bumps)
    comment = _add_comment(discussion, author, body, links, bumps, now=now)
    db.session.flush()
    changes = record_links(comment, links, visible=True, now=now, fresh=True)
    signals.discussion_created.send(
        discussion,
        comment=comment,
        board=board,
        item=item,
        actor=author,
        **changes.as_kwargs(),
    )
    return discussion


def post_comment(
    author: User, discussion: Discussion, body: str, *, reply_to: Comment | None = None
) -> Comment:
    """Reply in a discussion; ``reply_to`` points at the earlier comment being answered."""
    policy.require(author, "discussion.reply", discussion)
    body = _clean_body(body)
    if reply_to is not None and reply_to.discussion_id != discussion.id:
        raise InvalidInput(
            "You can only reply to a comment in the same discussion.",
            {"reply_to": ["Not a comment in this discussion."]},
        )
    held = policy.check_content(author, "comment", discussion, body, can_hold=True)
    links = mentions.comment_links(author, discussion, body)
    now = utcnow()
    _refuse_duplicate(author, discussion, body, now)
    people = mentions.people_named(links, author)
    rate_limits.hit_many(author, {"comment": 1, "mention": people})
    if held:
        return _hold_comment(
            discussion, author, body, links, reply_to=reply_to, now=now, reason=held
        )
    comment = _insert_comment(discussion, author, body, links, reply_to=reply_to, now=now)
    changes = record_links(comment, links, visible=True, now=now, fresh=True)
    signals.comment_posted.send(comment, actor=author, **changes.as_kwargs())
    return comment


class DuplicateComment(Conflict):
    """The same text posted again by its author in the same discussion within a few minutes."""

    code = "duplicate_comment"


def _refuse_duplicate(author: User, discussion: Discussion, body: str, now: Any) -> None:
    """Refuse ``body`` when ``author`` posted the same text (spacing aside) in ``discussion``
    within ``TALK_DUPLICATE_COMMENT_MINUTES``: a double-clicked button, a resent form or a
    pasted flood. A deleted comment does not count (posting it again is a correction); a
    hidden one does (posting it again would go around the moderator)."""
    minutes = current_app.config["TALK_DUPLICATE_COMMENT_MINUTES"]
    if not minutes or discussion.id is None:
        return
    since = now - timedelta(minutes=minutes)
    recent = db.session.scalars(
        _RECENT_BODIES, {"discussion_id": discussion.id, "author_id": author.id, "since": since}
    )
    wanted = " ".join(body.split())
    if any(" ".join(earlier.split()) == wanted for earlier in recent):
        raise DuplicateComment(
            f"You posted this same comment in this discussion less than {minutes} minutes "
            "ago, so it was not posted again.",
            {"body": ["The same as your last comment here; change it or wait a few minutes."]},
        )


#: Built once with bind parameters: every post runs it (docs/performance-notes.md, "Posting").
_RECENT_BODIES = select(Comment.body).where(
    Comment.discussion_id == bindparam("discussion_id"),
    Comment.author_id == bindparam("author_id"),
    Comment.deleted_at.is_(None),
    Comment.created_at >= bindparam("since"),
)


def _new_comment(
    discussion: Discussion, author: User, body: str, links: CommentLinks, **values: Any
) -> Comment:
    return Comment(
        project_id=discussion.project.id,
        discussion=discussion,
        author=author,
        body=body,
        body_html=markdown.render(body, links, image_hosts=discussion.project.image_hosts),
        **values,
    )


def _hold_comment(
    discussion: Discussion,
    author: User,
    body: str,
    links: CommentLinks,
    *,
    reply_to: Comment | None,
    now: Any,
    reason: str,
) -> Comment:
    """Write a reply that waits for a moderator: hidden from the start (no counter, tag or
    mention), marked held, and announced by ``comment_held`` instead of ``comment_posted``;
    :func:`talk.services.held.approve_comment` makes it a posted comment."""
    comment = _new_comment(
        discussion,
        author,
        body,
        links,
        reply_to=reply_to,
        created_at=now,
        held_at=now,
        hidden_at=now,
        hidden_reason=reason[:MAX_HIDE_REASON],
    )
    db.session.add(comment)
    db.session.flush()
    signals.comment_held.send(comment, actor=author, reason=reason)
    return comment


def _add_comment(
    discussion: Discussion,
    author: User,
    body: str,
    links: CommentLinks,
    bumps: counting.Bumps,
    *,
    now: Any,
    reply_to: Comment | None = None,
) -> Comment:
    with db.session.no_autoflush:  # the counters are written before the comment's insert
        comment = _new_comment(discussion, author, body, links, reply_to=reply_to, created_at=now)
        _count_posted(comment, discussion, bumps, now)
    db.session.add(comment)
    return comment


def _count_posted(
    comment: Comment, discussion: Discussion, bumps: counting.Bumps, now: Any
) -> None:
    """Write the counters a posted comment moves (with ``bumps`` already gathered), before its
    row is inserted."""
    counting.count_comment(comment, +1, bumps, now=now)
    counting.bump(bumps, discussion, last_comment_at=now)
    counting.apply(bumps, guard=discussion)


def _insert_comment(
    discussion: Discussion,
    author: User,
    body: str,
    links: CommentLinks,
    *,
    now: Any,
    reply_to: Comment | None,
) -> Comment:
    """:func:`_add_comment` for a reply in a stored discussion, the row written by one
    ``INSERT`` built once instead of the unit of work's flush (which sorted the comment's
    relationships and cost a tenth of a post's CPU: docs/performance-notes.md, "Posting").
    The comment joins the session as if just loaded, every column and relationship set."""
    values = {
        "project_id": discussion.project_id,
        "discussion_id": discussion.id,
        "author_id": author.id,
        "reply_to_id": reply_to.id if reply_to is not None else None,
        "body": body,
        "body_html": markdown.render(body, links, image_hosts=discussion.project.image_hosts),
        "created_at": now,
        "edited_at": None,
        "deleted_at": None,
        "hidden_at": None,
        "hidden_by_id": None,
        "hidden_reason": "",
        "held_at": None,
        "moderator_note": "",
    }
    comment = Comment(**values)
    for name, value in (("discussion", discussion), ("author", author), ("reply_to", reply_to)):
        set_committed_value(comment, name, value)
    _count_posted(comment, discussion, {}, now)
    comment.id = db.session.execute(_COMMENT_INSERT, values).scalar_one()
    # A rolled-back attempt (a retried deadlock victim, a savepoint) leaves its comment in the
    # session, where a flushed one would have gone with the rollback; SQLite reuses its id.
    stale = db.session.identity_map.get(identity_key(Comment, comment.id))
    if stale is not None:
        db.session.expunge(stale)
    make_transient_to_detached(comment)
    db.session.add(comment)
    return comment


#: Built once: every post runs it (see :func:`_insert_comment`).
_COMMENT_INSERT = insert(Comment.__table__).returning(Comment.__table__.c.id)


def edit_comment(editor: User, comment: Comment, body: str, *, note: str | None = None) -> Comment:
    """Replace a comment's body, keeping the previous body in its history. With ``note``, a
    moderator edits someone's comment (``comment.moderate``): the note is shown under it
    ("Edited by a moderator: …") and replaces any earlier moderator's note; it is required, so
    the edit is never silent. A moderator's edit that changes only the note is kept too."""
    counting.lock_comment(comment)
    if note is None:
        policy.require(editor, "comment.edit", comment)
    else:
        policy.require(editor, "comment.moderate", comment)
        note = clean_text(note, "note", max_length=MAX_MODERATOR_NOTE)
    body = _clean_body(body)
    if body == comment.body and note in (None, comment.moderator_note):
        return comment
    _refuse_held_edit(policy.check_content(editor, "comment", comment, body, can_hold=True))
    links = mentions.comment_links(editor, comment.discussion, body, editing=comment)
    people = mentions.people_named(links, editor, before=comment.body)
    rate_limits.hit("mention", editor, people)
    now = utcnow()
    previous = comment.body
    db.session.add(CommentRevision(comment=comment, editor=editor, body=previous, replaced_at=now))
    comment.body = body
    comment.body_html = markdown.render(
        body, links, image_hosts=comment.discussion.project.image_hosts
    )
    comment.edited_at = now
    if note is not None:
        comment.moderator_note = note
    db.session.flush()
    changes = record_links(comment, links, visible=True, now=now)
    signals.comment_edited.send(
        comment,
        actor=editor,
        previous_body=previous,
        moderator_note=note or "",
        **changes.as_kwargs(),
    )
    return comment


def _refuse_held_edit(held: str | None) -> None:
    """An edit a content check would hold is refused, saying why: a comment others have read
    cannot be taken away to wait for a moderator, nor can its new text be shown unreviewed
    (docs/prevention.md, "Edits")."""
    if held:
        raise InvalidInput(
            f"This edit was not saved: {held[:1].lower()}{held[1:]} An edit cannot wait for "
            "a moderator, so your comment stays as it was: change those words, or post the "
            "new text as a reply (which a moderator then reviews).",
            {"body": ["This edit would need a moderator's approval."]},
        )


def delete_comment(actor: User, comment: Comment) -> Comment:
    """Soft-delete: the comment leaves every count and shows as deleted; its row remains."""
    counting.lock_comment(comment)
    policy.require(actor, "comment.delete", comment)
    if comment.is_visible:  # a hidden comment left the counts already
        counting.count_comment(comment, -1)
    comment.deleted_at = utcnow()
    db.session.flush()
    record_links(comment, None, visible=False)
    signals.comment_deleted.send(comment, actor=actor)
    return comment


def hide_comment(actor: User, comment: Comment, reason: str = "") -> Comment:
    """A moderator hides a comment: like a deletion it leaves every count, tag, mention and
    search result, but its row keeps the text for moderators, and :func:`unhide_comment` brings
    it back. (Reports, queues and the audit log of the moderation issue build on this.)"""
    counting.lock_comment(comment)
    policy.require(actor, "comment.hide", comment)
    reason = clean_reason(reason)
    comment.hidden_at = utcnow()
    comment.hidden_by_id = actor.id
    comment.hidden_reason = reason
    counting.count_comment(comment, -1)
    db.session.flush()
    sync_links(comment, visible=False)
    signals.comment_hidden.send(comment, actor=actor, reason=reason)
    return comment


def clean_reason(reason: str | None) -> str:
    """A moderator's reason, trimmed; too long (or with a NUL) is refused."""
    reason = (reason or "").strip()
    if len(reason) > MAX_HIDE_REASON or "\x00" in reason:
        raise InvalidInput(
            "The reason is too long.", {"reason": [f"At most {MAX_HIDE_REASON} characters."]}
        )
    return reason


def unhide_comment(actor: User, comment: Comment) -> Comment:
    """Show a hidden comment again: counts, tags, mentions and search come back with it."""
    counting.lock_comment(comment)
    policy.require(actor, "comment.unhide", comment)
    comment.hidden_at = None
    comment.hidden_by_id = None
    comment.hidden_reason = ""
    counting.count_comment(comment, 1)
    db.session.flush()
    sync_links(comment, visible=True)
    signals.comment_unhidden.send(comment, actor=actor)
    return comment


def sync_links(comment: Comment, *, visible: bool) -> None:
    """Re-derive ``comment``'s tags and mentions from its body, or drop them all when it is not
    ``visible``: hiding calls it with ``visible=False``, showing again with ``visible=True`` (who
    may read it is checked anew; no limits apply)."""
    links = None
    if visible and comment.is_visible:
        links = mentions.comment_links(
            comment.author, comment.discussion, comment.body, editing=comment, check_limits=False
        )
    record_links(comment, links, visible=visible)


def record_links(
    comment: Comment,
    links: CommentLinks | None,
    *,
    visible: bool,
    now: Any = None,
    fresh: bool = False,
) -> CommentChanges:
    """Record ``comment``'s tags and mentions as ``links`` resolved them (none when not
    ``visible``), in its transaction after its flush; what changed, for its signal. ``fresh``:
    the comment was inserted in this transaction (nothing recorded yet to read)."""
    added, removed = tag_sync.sync_comment(
        comment, links.tag_names if links else (), visible=visible, now=now, fresh=fresh
    )
    new_mentions = mentions.sync_comment(comment, links, visible=visible, now=now, fresh=fresh)
    user_ids = {target for kind, target in new_mentions if kind is MentionKind.USER}
    return CommentChanges(
        tags_added=tuple(added),
        tags_removed=tuple(removed),
        mentioned_users=tuple(
            sorted(
                (u for u in (links.users.values() if links else ()) if u.id in user_ids),
                key=lambda u: u.id,
            )
        ),
        mentioned_groups=tuple(
            sorted(target for kind, target in new_mentions if kind is MentionKind.GROUP)
        ),
    )
