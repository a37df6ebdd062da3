"""The moderators' actions on whole discussions: lock, pin, move, merge, split.

Each checks the one policy (``discussion.lock`` … in :mod:`talk.rules`), changes the
rows, keeps every counter, tag aggregate, mention and search document exact (the recount of
:func:`talk.services.counters.counter_mismatches` stays empty), and sends its signal
(:mod:`talk.signals`) so the moderation package can record it. Editing a comment with a
moderator's note is :func:`talk.services.discussions.edit_comment` with ``note``.

Lock order (docs/decisions.md, "One lock order"): the comments that change place first,
``FOR NO KEY UPDATE`` in id order; then the counter rows (projects → boards → items →
discussions → users, by :func:`counting.apply`); then the project's tag lock and the
tag rows in id order. A reply racing a move, merge or lock waits on the counter rows the
action holds, then finds its discussion changed: a 409, nothing written (the guard of
``counting.apply``).
Comments a racing reply committed before the action held the discussion's row are found again
once it is held, and counted (:func:`_settle`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import func, select, update

from talk import policy, signals
from talk.clock import utcnow
from talk.errors import InvalidInput
from talk.extensions import db
from talk.limits import MAX_DISCUSSION_TITLE
from talk.models import Board, Comment, Discussion, Item
from talk.services import counting, discussions, tag_sync
from talk.services.validation import clean_text

#: How many merges a redirect follows before giving up (a chain longer than this is a bug).
MAX_REDIRECTS = 20


def lock_discussion(actor: Any, discussion: Discussion, *, locked: bool) -> Discussion:
    """Lock (no replies but its moderators') or unlock a discussion; the same state again is
    no change and sends nothing."""
    policy.require(actor, "discussion.lock", discussion)
    if discussion.is_locked != locked:
        discussion.locked_at = utcnow() if locked else None
        db.session.flush()
        signals.discussion_locked.send(discussion, actor=actor, locked=locked)
    return discussion


def pin_discussion(actor: Any, discussion: Discussion, *, pinned: bool) -> Discussion:
    """Pin (listed first on its board and item) or unpin a discussion."""
    policy.require(actor, "discussion.pin", discussion)
    if discussion.pinned != pinned:
        discussion.pinned = pinned
        db.session.flush()
        signals.discussion_pinned.send(discussion, actor=actor, pinned=pinned)
    return discussion


def final_discussion(discussion: Discussion) -> Discussion:
    """The discussion a merged one now lives in (following merges of merges); itself when it
    was never merged."""
    for _ in range(MAX_REDIRECTS):
        if discussion.merged_into_id is None:
            return discussion
        discussion = discussions.get_discussion(discussion.merged_into_id)
    raise RuntimeError(f"discussion {discussion.id}: merges form a chain too long to follow")


def _lock_comments(where: Any) -> list[Comment]:
    """The comments matching ``where``, locked in id order (the first lock of the order)."""
    return list(
        db.session.scalars(
            select(Comment)
            .where(where)
            .order_by(Comment.id)
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        )
    )


def _count_moves(bumps: counting.Bumps, places: Sequence[tuple[Any, Any]], visible: int) -> None:
    """Note ``visible`` comments leaving each old place (a discussion, board or item) of
    ``places`` for its new one; a place that stays keeps its count, and so do the project and
    the authors."""
    for old, new in places:
        if old is not new:
            if old is not None:
                counting.bump(bumps, old, comment_count=-visible)
            if new is not None:
                counting.bump(bumps, new, comment_count=visible)


def _settle(
    where: Any, moved: list[Comment], count: Callable[[int], counting.Bumps]
) -> list[Comment]:
    """Once the counter rows are held, the comments matching ``where`` again: a reply committed
    between the first lock and the counters' is found now (no later one can be: it waits on a
    held row, then is refused by the guard), locked and counted with ``count(n)``."""
    now_there = _lock_comments(where)
    known = {comment.id for comment in moved}
    late = [comment for comment in now_there if comment.id not in known]
    visible = sum(1 for comment in late if comment.is_visible)
    if visible:
        counting.apply(count(visible))
    return now_there


def _relocate(comments: Sequence[Comment], project_id: int, move: Callable[[], None]) -> None:
    """Run ``move`` (which changes where ``comments`` are and flushes) with their tags and
    mentions taken off at the old place and put back at the new one, so every tag aggregate per
    item and discussion follows them. The tag rows of all their uses are locked first, in id
    order (a comment writer locks its own so), then each comment's synced as a post is."""
    shown = [comment for comment in comments if comment.is_visible]
    tag_sync.lock_tags(project_id, exclusive=False)
    tag_sync.lock_tag_rows(tag_sync.tags_used_by([comment.id for comment in shown]))
    for comment in shown:
        discussions.sync_links(comment, visible=False)
    move()
    for comment in shown:
        discussions.sync_links(comment, visible=True)


def _reindex(discussion: Discussion) -> None:
    """Re-index ``discussion``'s comments after it moved: their search documents copy its board
    and item, and the comment triggers run on an update of ``discussion_id`` (to itself)."""
    db.session.execute(
        update(Comment)
        .where(Comment.discussion_id == discussion.id)
        .values(discussion_id=Comment.discussion_id)
        .execution_options(synchronize_session=False)
    )


def _destination(discussion: Discussion, board: Board | None, item: Item | None) -> Board:
    """The board a discussion moved to ``board`` or ``item`` lands on, once checked: another
    board or item of the same project, an item's threads on the items board only."""
    project = discussion.project
    if item is not None:
        if item.project_id != project.id:
            raise InvalidInput("That item is in another project.", {"item": ["Not found."]})
        return policy.items_board(project)
    if board is None:
        raise InvalidInput(
            "Choose a board or an item to move the discussion to.", {"board": ["Required."]}
        )
    if board.project_id != project.id:
        raise InvalidInput("That board is in another project.", {"board": ["Not found."]})
    if board.kind == "items":
        raise InvalidInput(
            "Discussions on the item board belong to an item: choose the item.",
            {"item": ["Required for the item board."]},
        )
    return board


def move_discussion(
    actor: Any, discussion: Discussion, *, board: Board | None = None, item: Item | None = None
) -> Discussion:
    """Move a discussion to another board of its project, or onto an item (``item``; its
    threads live on the items board), or off its item onto a board."""
    policy.require(actor, "discussion.move", discussion)
    to_board = _destination(discussion, board, item)
    from_board, from_item = discussion.board, discussion.item
    if to_board.id == from_board.id and (item.id if item else None) == discussion.item_id:
        return discussion
    in_thread = Comment.discussion_id == discussion.id
    moved = _lock_comments(in_thread)
    places = ((from_board, to_board), (from_item, item))

    def count(visible: int) -> counting.Bumps:
        bumps: counting.Bumps = {}
        _count_moves(bumps, places, visible)
        return bumps

    bumps = count(sum(1 for comment in moved if comment.is_visible))
    for old, new in places:
        if old is not new:
            if old is not None:
                counting.bump(bumps, old, discussion_count=-1)
            if new is not None:
                counting.bump(
                    bumps, new, discussion_count=1, **_later(new, discussion.last_comment_at)
                )
    counting.bump(
        bumps, discussion, comment_count=0
    )  # held, with the places, before anything moves
    counting.apply(bumps)
    moved = _settle(in_thread, moved, count)

    def shift() -> None:
        discussion.board, discussion.item = to_board, item
        db.session.flush()
        _reindex(discussion)

    _relocate(moved, discussion.project_id, shift)
    signals.discussion_moved.send(
        discussion,
        actor=actor,
        from_board=from_board,
        from_item=from_item,
        to_board=to_board,
        to_item=item,
    )
    return discussion


def _later(place: Board | Item | Discussion, moment: Any) -> dict[str, Any]:
    """The activity time to give ``place`` when comments as recent as ``moment`` join it (none
    when it has later activity already)."""
    name = "last_comment_at" if isinstance(place, Discussion) else "last_activity_at"
    current = getattr(place, name)
    return {name: moment} if current is None or moment > current else {}


def merge_discussions(actor: Any, merged: Discussion, into: Discussion) -> Discussion:
    """Move every comment of ``merged`` into ``into`` (where they take their place in time
    order) and leave ``merged`` as a redirect to it: listed and counted nowhere, its address
    answering with a permanent redirect. Both must be the actor's to merge, in one project."""
    if merged.id == into.id:
        raise InvalidInput(
            "A discussion cannot be merged into itself.", {"into": ["Choose another one."]}
        )
    policy.require(actor, "discussion.merge", merged)
    if into.is_merged:
        raise InvalidInput(
            "That discussion was merged into another already: merge into that one.",
            {"into": [f"Merged into discussion {into.merged_into_id}."]},
        )
    policy.require(actor, "discussion.merge", into)
    if merged.project_id != into.project_id:
        raise InvalidInput(
            "Discussions of different projects cannot be merged.", {"into": ["Not found."]}
        )
    in_merged = Comment.discussion_id == merged.id
    moved = _lock_comments(in_merged)

    places = ((merged, into), (merged.board, into.board), (merged.item, into.item))

    def count(visible: int) -> counting.Bumps:
        bumps: counting.Bumps = {}
        _count_moves(bumps, places, visible)
        return bumps

    bumps = count(sum(1 for comment in moved if comment.is_visible))
    for gone in (merged.project, merged.board, merged.item):
        if gone is not None:
            counting.bump(bumps, gone, discussion_count=-1)
    for place in (into.board, into.item, into):
        if place is not None:
            counting.bump(bumps, place, **_later(place, merged.last_comment_at))
    counting.bump(bumps, merged, comment_count=0)
    counting.apply(bumps)
    moved = _settle(in_merged, moved, count)
    ids = [comment.id for comment in moved]

    def shift() -> None:
        _put(moved, into)
        merged.merged_into_id = into.id
        merged.pinned = False
        db.session.flush()

    _relocate(moved, merged.project_id, shift)
    signals.discussions_merged.send(into, actor=actor, merged=merged, comment_ids=tuple(ids))
    return into


def _put(comments: Sequence[Comment], discussion: Discussion) -> None:
    for comment in comments:
        comment.discussion = discussion


def split_comments(
    actor: Any, source: Discussion, comment_ids: Sequence[int], title: str
) -> Discussion:
    """Start a new discussion titled ``title`` from chosen replies of ``source`` (same board
    and item; its author and start are its first comment's). Replies answering a comment on the
    other side of the split keep their link to it. The opening comment stays: splitting it off
    would leave ``source`` without a start."""
    policy.require(actor, "discussion.split", source)
    title = clean_text(title, "title", max_length=MAX_DISCUSSION_TITLE)
    chosen = sorted(set(comment_ids))
    if not chosen:
        raise InvalidInput("Choose the replies to split off.", {"comments": ["Choose one."]})
    first_id = db.session.scalar(
        select(func.min(Comment.id)).where(Comment.discussion_id == source.id)
    )
    if first_id in chosen:
        raise InvalidInput(
            "The opening comment stays: choose replies only.",
            {"comments": ["Not the opening comment."]},
        )
    moved = _lock_comments(Comment.id.in_(chosen) & (Comment.discussion_id == source.id))
    if len(moved) != len(chosen):
        raise InvalidInput(
            "Only replies of this discussion can be split off.",
            {"comments": ["Not a comment of this discussion."]},
        )
    split = Discussion(
        project=source.project,
        board=source.board,
        item=source.item,
        author=moved[0].author,
        title=title,
        created_at=moved[0].created_at,
        comment_count=0,
        last_comment_at=max(comment.created_at for comment in moved),
        pinned=False,
    )
    bumps: counting.Bumps = {}
    _count_moves(bumps, [(source, split)], sum(1 for comment in moved if comment.is_visible))
    for place in (source.project, source.board, source.item):
        if place is not None:
            counting.bump(bumps, place, discussion_count=1)
    with db.session.no_autoflush:
        counting.apply(bumps)
    db.session.add(split)

    def shift() -> None:
        _put(moved, split)
        db.session.flush()
        latest = db.session.scalar(
            select(func.max(Comment.created_at)).where(Comment.discussion_id == source.id)
        )
        source.last_comment_at = latest or source.created_at
        db.session.flush()

    _relocate(moved, source.project_id, shift)
    signals.comments_split.send(
        split, actor=actor, source=source, comment_ids=tuple(c.id for c in moved)
    )
    return split
