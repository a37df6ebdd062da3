"""The conditions every search applies, whatever the engine: what the viewer may read, and the
filters they chose. They are written against one ``search_documents`` alias, so each engine
applies them inside its own query, next to its match."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, not_, or_, select
from sqlalchemy.sql.selectable import NamedFromClause

from talk import policy
from talk.models import Board, Discussion
from talk.models.tags import DiscussionTag, ItemTag, TagUse

KINDS = ("comment", "discussion", "item", "tag")


@dataclass(frozen=True)
class Filters:
    """Resolved filters (ids, not names). ``since`` is inclusive, ``before`` exclusive."""

    project_id: int | None = None
    board_id: int | None = None
    item_id: int | None = None
    author_id: int | None = None
    tag_id: int | None = None
    kind: str | None = None
    since: datetime | None = None
    before: datetime | None = None

    def key(self) -> tuple[Any, ...]:
        return (
            self.project_id,
            self.board_id,
            self.item_id,
            self.author_id,
            self.tag_id,
            self.kind,
            self.since and self.since.isoformat(),
            self.before and self.before.isoformat(),
        )


def conditions(viewer: Any, filters: Filters, doc: NamedFromClause) -> list[ColumnElement[bool]]:
    """``doc`` is readable by ``viewer`` and passes ``filters``.

    Readable: items and tags belong to no board and are public like their pages; comments and
    discussions only on boards :func:`talk.policy.readable_boards_filter` lets the viewer read.
    Deleted comments and unused tags have no document at all (the triggers remove it); a
    discussion that is not listed (merged away, or held) is left out here, at query time.
    """
    c = doc.c
    boards = policy.readable_board_ids(viewer)
    if filters.project_id is not None:
        boards = boards.where(Board.project_id == filters.project_id)
    unlisted = select(Discussion.id).where(not_(Discussion.listed()))
    found: list[ColumnElement[bool]] = [
        or_(c.board_id.is_(None), c.board_id.in_(boards)),
        # A discussion merged into another is a redirect, and a held one waits for a
        # moderator: neither is found (nor anything in it, were it indexed).
        or_(c.discussion_id.is_(None), c.discussion_id.not_in(unlisted)),
    ]
    if filters.project_id is not None:
        found.append(c.project_id == filters.project_id)
    if filters.board_id is not None:
        found.append(c.board_id == filters.board_id)
    if filters.item_id is not None:
        found.append(c.item_id == filters.item_id)
    if filters.author_id is not None:
        found.append(c.author_id == filters.author_id)
    if filters.kind is not None:
        found.append(c.kind == filters.kind)
    if filters.since is not None:
        found.append(c.created_at >= filters.since)
    if filters.before is not None:
        found.append(c.created_at < filters.before)
    if filters.tag_id is not None:
        tag = filters.tag_id
        found.append(
            or_(
                and_(
                    c.kind == "comment",
                    c.source_id.in_(select(TagUse.comment_id).where(TagUse.tag_id == tag)),
                ),
                and_(
                    c.kind == "discussion",
                    c.source_id.in_(
                        select(DiscussionTag.discussion_id).where(DiscussionTag.tag_id == tag)
                    ),
                ),
                and_(
                    c.kind == "item",
                    c.source_id.in_(select(ItemTag.item_id).where(ItemTag.tag_id == tag)),
                ),
                and_(c.kind == "tag", c.source_id == tag),
            )
        )
    return found
