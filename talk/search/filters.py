"""The conditions every search applies, whatever the engine: what the viewer may read, and the
filters they chose. They are written against one ``search_documents`` alias, so each engine
applies them inside its own query, next to its match."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.sql.selectable import NamedFromClause

from talk import policy
from talk.models import Board, Discussion
from talk.search import schema

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

    @property
    def selective(self) -> bool:
        """A filter that keeps few documents, or only old ones (a tag, an author, an item, an
        end date): the newest ids seldom hold a full ranking window of such matches, so
        asking them first (``TALK_SEARCH_NEWEST_SPAN``) would mostly add a step."""
        return any(v is not None for v in (self.item_id, self.author_id, self.tag_id, self.before))

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


#: How an engine tests that a document (alias, the id to test) carries a tag.
Tagged = Callable[[NamedFromClause, ColumnElement[int], int], ColumnElement[bool]]


def conditions(
    viewer: Any,
    filters: Filters,
    doc: NamedFromClause,
    doc_id: ColumnElement[int] | None = None,
    *,
    tagged: Tagged | None = None,
) -> list[ColumnElement[bool]]:
    """``doc`` is readable by ``viewer`` and passes ``filters``.

    ``doc_id`` is what the tag filter tests the document's id on (default ``doc.id``): SQLite
    passes its FTS5 rowid, so a match without the tag is left out before its document row is
    read — with a common word, most matches are. ``tagged`` is the engine's own tag test
    (default :func:`in_tagged_documents`).

    Readable: items and tags belong to no board and are public like their pages; comments and
    discussions only on boards :func:`talk.policy.readable_boards_filter` lets the viewer read.
    Deleted comments and unused tags have no document at all (the triggers remove it); a
    discussion that is not listed (merged away, or held) is left out here, at query time.
    """
    c = doc.c
    boards = policy.readable_board_ids(viewer)
    if filters.project_id is not None:
        boards = boards.where(Board.project_id == filters.project_id)
    unlisted = select(Discussion.id).where(Discussion.unlisted())
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
        test = tagged or in_tagged_documents
        found.append(test(doc, c.id if doc_id is None else doc_id, filters.tag_id))
    return found


def in_tagged_documents(doc: NamedFromClause, doc_id: ColumnElement[int], tag: int) -> Any:
    """``doc_id`` is among :func:`tagged_documents` (SQLite's tag test)."""
    return doc_id.in_(tagged_documents(tag))


def tagged_documents(tag: int) -> Any:
    """The ids of the documents of what carries ``tag``: its comments (through their uses),
    discussions and items, and the tag itself. One range scan of ``search_document_tags``,
    which triggers keep (migration ``0033_talk_search_document_tags``), however many there are."""
    pairs = schema.document_tags
    return select(pairs.c.document_id).where(pairs.c.tag_id == tag)
