"""The audit trail of moderators' actions on discussions (the core's thread actions, issue 10):
lock, pin, move, merge, split, and a moderator's edit of someone's comment. Each writes one
entry in the action's transaction, with what it changed (the old and new place of a moved
discussion, the discussion a merged one went into, the comments split off, the text before a
moderator's edit), so the log holds every moderation whichever door it came through.

Authors are told when a moderator edits their comment (with the note), moves their discussion
or merges it into another; locking, pinning and splitting show on the discussion itself and
tell nobody (``docs/moderation-cases.md``, "Thread actions").
"""

from __future__ import annotations

from typing import Any

from flask import current_app, has_app_context

from moderation import audit
from moderation.case_actions import tell_author
from moderation.case_receivers import EXTENSION
from talk import signals
from talk.models import Board, Comment, Discussion, Item


def _here() -> bool:
    """Receivers are process-wide: record only in an app that has this package."""
    return has_app_context() and EXTENSION in current_app.extensions


def _record(actor: Any, action: str, discussion: Discussion, **details: Any) -> None:
    audit.record(
        actor,
        action,
        project=discussion.project,
        target_type="discussion",
        target_id=discussion.id,
        subject=discussion.author,
        **details,
    )


def _tell(actor: Any, discussion: Discussion, text: str) -> None:
    signals.notice.send(
        discussion.author,
        actor=actor,
        project=discussion.project,
        kind="moderation.thread",
        text=text,
        url=f"/discussions/{discussion.id}",
        discussion=discussion,
        comment=None,
    )


@signals.discussion_locked.connect
def _locked(discussion: Discussion, *, actor: Any, locked: bool, **_: Any) -> None:
    if _here():
        name = "discussion.lock" if locked else "discussion.unlock"
        _record(actor, name, discussion, before={"locked": not locked}, after={"locked": locked})


@signals.discussion_pinned.connect
def _pinned(discussion: Discussion, *, actor: Any, pinned: bool, **_: Any) -> None:
    if _here():
        name = "discussion.pin" if pinned else "discussion.unpin"
        _record(actor, name, discussion, before={"pinned": not pinned}, after={"pinned": pinned})


def _place(board: Board, item: Item | None) -> dict[str, Any]:
    return {
        "board_id": board.id,
        "board": board.title,
        "item_id": None if item is None else item.id,
        "item": None if item is None else item.title,
    }


@signals.discussion_moved.connect
def _moved(
    discussion: Discussion,
    *,
    actor: Any,
    from_board: Board,
    from_item: Item | None,
    to_board: Board,
    to_item: Item | None,
    **_: Any,
) -> None:
    if not _here():
        return
    before, after = _place(from_board, from_item), _place(to_board, to_item)
    _record(actor, "discussion.move", discussion, before=before, after=after)
    where = f"the item {to_item.title}" if to_item is not None else f"the board {to_board.title}"
    _tell(actor, discussion, f"A moderator moved your discussion “{discussion.title}” to {where}.")


@signals.discussions_merged.connect
def _merged(
    into: Discussion, *, actor: Any, merged: Discussion, comment_ids: tuple[int, ...], **_: Any
) -> None:
    if not _here():
        return
    _record(
        actor,
        "discussion.merge",
        merged,
        before={"discussion_id": merged.id, "title": merged.title},
        after={"merged_into_id": into.id, "comment_ids": list(comment_ids)},
    )
    _tell(
        actor,
        merged,
        f"A moderator merged your discussion “{merged.title}” into “{into.title}”.",
    )


@signals.comments_split.connect
def _split(
    new: Discussion, *, actor: Any, source: Discussion, comment_ids: tuple[int, ...], **_: Any
) -> None:
    if _here():
        _record(
            actor,
            "discussion.split",
            source,
            before={"discussion_id": source.id},
            after={"new_discussion_id": new.id, "comment_ids": list(comment_ids)},
        )


@signals.comment_edited.connect
def _edited(
    comment: Comment, *, actor: Any, previous_body: str, moderator_note: str = "", **_: Any
) -> None:
    """A moderator's edit (one with a note); an author's own edit is not moderation."""
    if not (_here() and moderator_note):
        return
    audit.record(
        actor,
        "comment.moderator_edit",
        project=comment.discussion.project,
        target_type="comment",
        target_id=comment.id,
        subject=comment.author,
        note=moderator_note,
        before={"body": previous_body},
        after={"body": comment.body},
    )
    tell_author(actor, comment, "moderation.edited", "edited", moderator_note)
