"""What a tag query matches: the items of a project carrying its tags, as one SQL expression.

A query (:mod:`talk.services.tag_query`) is evaluated at every read: each name is resolved with
:func:`talk.services.tags.find_tag` then, so a synonym, a later merge or a tag first used after
a group was saved folds in by itself. A name no tag answers to matches no item.

The query becomes one SQL expression for the set of matching item ids (see :class:`_Compiler`):
a tag's items are read through ``ix_item_tags_tag_recent`` (``tag_id`` first), never the whole
project; ``OR`` is a ``UNION``; ``AND`` and ``AND NOT`` start from their smallest part and probe
the others on primary keys. A query must include something (``NOT #a`` alone is refused), so
the set never needs "every item" to subtract from.

An item carries a tag when a comment about it uses the tag (``item_tags``) or when an expert
verified the tag on it (``tag_verdicts``: an expert may put a tag on an item directly, and the
verdict outlives the comments). ``verified_only``: a tag that includes items counts on an item
only where verified; a tag that leaves items out (under an odd number of NOTs) leaves out every
item carrying it, verified or not. Items are listed newest first (by id, keyset pages).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    and_,
    exists,
    func,
    not_,
    or_,
    select,
    union,
    union_all,
)

from talk.extensions import db
from talk.models import Item, ItemTag, Project, Tag, TagGroup, TagVerdict, Verdict
from talk.pagination import Page, decode_cursor, encode_cursor
from talk.services.tag_query import And, Node, Not, Or, TagQuery, Term, includes, parse_query
from talk.services.tags import find_tag, is_listed

EXPORT_BATCH = 500


@dataclass(frozen=True)
class _Part:
    """A set of item ids as SQL: ``rows`` selects them (column ``item_id``), ``size`` estimates
    how many there are, and ``contains(column)``/``lacks(column)`` are the same set as
    conditions on an item id, written so the database can run them as semi- and anti-joins or
    as primary-key probes (``(item_id, tag_id)`` of ``item_tags`` and ``tag_verdicts``)."""

    rows: Select[Any] | CompoundSelect[Any]
    size: int
    contains: Callable[[Any], ColumnElement[bool]]
    lacks: Callable[[Any], ColumnElement[bool]]


_Set = _Part | None  # None: no item at all


@dataclass(frozen=True)
class TagOnItem:
    """One of a group's tags found on an item: carried by it, verified on it, or both."""

    tag: Tag
    verified: bool


@dataclass
class Matches:
    """A query resolved against a project's tags now: what it matches, as SQL."""

    project: Project
    query: TagQuery
    verified_only: bool
    tags: dict[str, Tag | None]  # normalised name → its tag (a synonym's canonical), or None
    item_ids: _Set
    on_items: frozenset[str]  # the names whose tag some item carries

    @property
    def found_tags(self) -> list[Tag]:
        """The distinct tags the query names, in the order first written."""
        return list({tag.id: tag for tag in self.tags.values() if tag is not None}.values())

    @property
    def not_on_items(self) -> list[str]:
        """The names, as first written, that no item carries yet: no such tag, or a tag no
        comment about an item uses and no expert verified on one."""
        missing: dict[str, str] = {}
        for token in self.query.tokens:
            if token.kind == "tag" and token.name not in self.on_items:
                missing.setdefault(token.name, token.text)
        return list(missing.values())

    def segments(self) -> list[tuple[str, Tag | None]]:
        """The query as typed, cut into pieces; a tag's piece comes with its tag when the tag
        has a page (to link it)."""
        pieces: list[tuple[str, Tag | None]] = []
        text, at = self.query.text, 0
        for token in self.query.tokens:
            if token.start > at:
                pieces.append((text[at : token.start], None))
            tag = self.tags.get(token.name) if token.kind == "tag" else None
            pieces.append((token.text, tag if tag is not None and is_listed(tag) else None))
            at = token.end
        if at < len(text):
            pieces.append((text[at:], None))
        return pieces


def match(project: Project, query: str | TagQuery, *, verified_only: bool = False) -> Matches:
    """Resolve ``query`` against ``project``'s tags (one :func:`find_tag` per distinct name)."""
    parsed = query if isinstance(query, TagQuery) else parse_query(query)
    tags = {name: find_tag(project, name) for name in parsed.names}
    item_ids = _Compiler(tags, verified_only).matching(parsed.tree, positive=True)
    return Matches(project, parsed, verified_only, tags, item_ids, _on_items(tags))


def _on_items(tags: dict[str, Tag | None]) -> frozenset[str]:
    """The names whose tag is on an item: used there (``item_count``), or else verified on
    one (a query only when some named tag is on no item through comments)."""
    unused = {tag.id for tag in tags.values() if tag is not None and tag.item_count <= 0}
    verified = set()
    if unused:
        verified = set(
            db.session.scalars(
                select(TagVerdict.tag_id)
                .where(TagVerdict.tag_id.in_(unused), TagVerdict.verdict == Verdict.VERIFIED)
                .distinct()
            )
        )
    return frozenset(
        name
        for name, tag in tags.items()
        if tag is not None and (tag.item_count > 0 or tag.id in verified)
    )


def group_matches(group: TagGroup) -> Matches:
    return match(group.project, group.query, verified_only=group.verified_only)


class _Compiler:
    """An expression tree as a SQL set of item ids.

    ``matching(node)`` needs ``includes(node)`` and gives the items matching it;
    ``missing(node)`` needs the opposite and gives the items *not* matching it (De Morgan), so
    every part is a set bounded by tags and "all items" is never needed. ``positive`` tracks
    whether a tag under this node includes items (an even number of NOTs above it).

    A tag's items are read through ``ix_item_tags_tag_recent``; OR is a ``UNION``; AND (and
    AND NOT) starts from its smallest part (by the tags' stored ``item_count``) and keeps the
    rows that the other parts contain (or not), each checked by primary-key probes, which the
    database may also turn into semi- and anti-joins.
    """

    def __init__(self, tags: dict[str, Tag | None], verified_only: bool) -> None:
        self.tags = tags
        self.verified_only = verified_only

    def matching(self, node: Node, *, positive: bool) -> _Set:
        if isinstance(node, Term):
            return self._tag(node.name, positive=positive)
        if isinstance(node, Not):
            return self.missing(node.operand, positive=not positive)
        if isinstance(node, Or):  # every operand includes
            return _union([self.matching(o, positive=positive) for o in node.operands])
        kept = [self.matching(o, positive=positive) for o in node.operands if includes(o)]
        dropped = [self.missing(o, positive=positive) for o in node.operands if not includes(o)]
        return _narrow(kept, dropped)

    def missing(self, node: Node, *, positive: bool) -> _Set:
        if isinstance(node, Not):
            return self.matching(node.operand, positive=not positive)
        if isinstance(node, And):  # no operand includes
            return _union([self.missing(o, positive=positive) for o in node.operands])
        assert isinstance(node, Or)  # a Term always includes
        kept = [self.missing(o, positive=positive) for o in node.operands if not includes(o)]
        dropped = [self.matching(o, positive=positive) for o in node.operands if includes(o)]
        return _narrow(kept, dropped)

    def _tag(self, name: str, *, positive: bool) -> _Set:
        """The items carrying the tag: used on them in comments, or verified there by an
        expert (who may put a tag on an item directly); with ``verified_only``, a tag that
        includes items counts only where verified."""
        tag = self.tags.get(name)
        if tag is None:
            return None
        size = max(tag.item_count, 0)
        verified = [TagVerdict.tag_id == tag.id, TagVerdict.verdict == Verdict.VERIFIED]

        def is_verified(column: Any) -> ColumnElement[bool]:
            return exists().where(TagVerdict.item_id == column, *verified)

        if positive and self.verified_only:
            verified_rows = select(TagVerdict.item_id).where(*verified)
            return _Part(verified_rows, size, is_verified, lambda c: not_(is_verified(c)))

        def is_used(column: Any) -> ColumnElement[bool]:
            return exists().where(ItemTag.item_id == column, ItemTag.tag_id == tag.id)

        rows = union_all(  # two disjoint parts: no duplicates to remove
            select(ItemTag.item_id).where(ItemTag.tag_id == tag.id),
            select(TagVerdict.item_id).where(*verified, not_(is_used(TagVerdict.item_id))),
        )
        either = union_all(
            select(ItemTag.item_id).where(ItemTag.tag_id == tag.id),
            select(TagVerdict.item_id).where(*verified),
        )

        def contains(column: Any) -> ColumnElement[bool]:
            within: ColumnElement[bool] = column.in_(either)  # IN, not OR-ed EXISTS: semi-join
            return within

        def lacks(column: Any) -> ColumnElement[bool]:
            return and_(not_(is_used(column)), not_(is_verified(column)))  # two anti-joins

        return _Part(rows, size, contains, lacks)


def _operand(rows: Select[Any] | CompoundSelect[Any]) -> Select[Any]:
    """A set as a plain SELECT: SQLite takes no parenthesised compound inside another one."""
    if isinstance(rows, CompoundSelect):
        inner = rows.subquery()
        return select(inner.c.item_id)
    return rows


def _union(parts: list[_Set]) -> _Set:
    present = [p for p in parts if p is not None]
    if len(present) <= 1:
        return present[0] if present else None

    def contains(column: Any) -> ColumnElement[bool]:
        return or_(*(p.contains(column) for p in present))

    def lacks(column: Any) -> ColumnElement[bool]:
        return and_(*(p.lacks(column) for p in present))

    rows = union(*(_operand(p.rows) for p in present))
    return _Part(rows, sum(p.size for p in present), contains, lacks)


def _narrow(kept: list[_Set], dropped: list[_Set]) -> _Set:
    """The items in every ``kept`` set and in no ``dropped`` one."""
    if not kept or any(p is None for p in kept):
        return None
    parts = sorted((p for p in kept if p is not None), key=lambda p: p.size)
    dropped_parts = [p for p in dropped if p is not None]
    first, others = parts[0], parts[1:]
    if not others and not dropped_parts:
        return first

    def rest(column: Any) -> list[ColumnElement[bool]]:
        return [p.contains(column) for p in others] + [p.lacks(column) for p in dropped_parts]

    def contains(column: Any) -> ColumnElement[bool]:
        return and_(first.contains(column), *rest(column))

    driver = _operand(first.rows).subquery()
    rows = select(driver.c.item_id).where(*rest(driver.c.item_id))
    return _Part(rows, first.size, contains, lambda c: not_(contains(c)))


def _id_rows(matches: Matches) -> Select[Any] | None:
    return None if matches.item_ids is None else _operand(matches.item_ids.rows)


def matching_items(matches: Matches, *, cursor: str | None, limit: int) -> Page[Item]:
    """The matching items, newest (highest id) first, in keyset pages.

    The page's ids are found in the set itself (top-N of integers), then loaded by primary
    key: the items table is never joined with the whole set."""
    after = decode_cursor(cursor, [Item.id])[0] if cursor else None
    ids = _id_rows(matches)
    if ids is None:
        return Page([], None)
    found = ids.subquery()
    newest = select(found.c.item_id)
    if after is not None:
        newest = newest.where(found.c.item_id < after)
    page_ids = newest.order_by(found.c.item_id.desc()).limit(limit + 1).subquery()
    rows = list(
        db.session.scalars(
            select(Item)
            .where(
                Item.project_id == matches.project.id,
                Item.id.in_(select(page_ids.c.item_id)),
            )
            .order_by(Item.id.desc())
        )
    )
    if len(rows) > limit:
        return Page(rows[:limit], encode_cursor([rows[limit - 1].id]))
    return Page(rows, None)


def count_items(matches: Matches) -> int:
    """How many items match (the set's size: every id in it is an item of the project)."""
    ids = _id_rows(matches)
    if ids is None:
        return 0
    return db.session.scalar(select(func.count()).select_from(ids.subquery())) or 0


def tags_on_items(matches: Matches, items: Sequence[Any]) -> dict[int, list[TagOnItem]]:
    """For each of ``items`` (anything with an ``id``), the query's tags it carries or has
    verified, in query order (2 queries)."""
    tags = {tag.id: tag for tag in matches.found_tags}
    ids = [item.id for item in items]
    result: dict[int, list[TagOnItem]] = {item_id: [] for item_id in ids}
    if not tags or not ids:
        return result
    carried = {
        (item_id, tag_id)
        for item_id, tag_id in db.session.execute(
            select(ItemTag.item_id, ItemTag.tag_id).where(
                ItemTag.item_id.in_(ids), ItemTag.tag_id.in_(tags)
            )
        )
    }
    verified = {
        (item_id, tag_id)
        for item_id, tag_id in db.session.execute(
            select(TagVerdict.item_id, TagVerdict.tag_id).where(
                TagVerdict.item_id.in_(ids),
                TagVerdict.tag_id.in_(tags),
                TagVerdict.verdict == Verdict.VERIFIED,
            )
        )
    }
    for item_id in ids:
        for tag_id, tag in tags.items():
            key = (item_id, tag_id)
            if key in carried or key in verified:
                result[item_id].append(TagOnItem(tag, key in verified))
    return result


@dataclass(frozen=True)
class ExportedItem:
    """What an export writes about an item (read as plain columns: no ORM object per row)."""

    id: int
    external_id: str
    title: str
    image_url: str


def each_item(
    matches: Matches, *, batch: int | None = None
) -> Iterator[tuple[ExportedItem, list[TagOnItem]]]:
    """Every matching item with the query's tags it carries or has verified (as
    :func:`tags_on_items`), newest first: exports stream this.

    One query: each row checks the query's tags on its item by primary-key probes, and rows are
    read ``batch`` (default :data:`EXPORT_BATCH`) at a time through a server-side cursor, so the
    set is computed once and never held whole in memory."""
    ids = _id_rows(matches)
    if ids is None:
        return
    tags = matches.found_tags
    flags = []
    for tag in tags:
        flags.append(exists().where(ItemTag.item_id == Item.id, ItemTag.tag_id == tag.id))
        flags.append(
            exists().where(
                TagVerdict.item_id == Item.id,
                TagVerdict.tag_id == tag.id,
                TagVerdict.verdict == Verdict.VERIFIED,
            )
        )
    query = (
        select(Item.id, Item.external_id, Item.title, Item.image_url, *flags)
        .where(Item.project_id == matches.project.id, Item.id.in_(ids))
        .order_by(Item.id.desc())
        .execution_options(yield_per=batch or EXPORT_BATCH)
    )
    for row in db.session.execute(query):
        found = [
            TagOnItem(tag, bool(row[5 + 2 * n]))
            for n, tag in enumerate(tags)
            if row[4 + 2 * n] or row[5 + 2 * n]
        ]
        yield ExportedItem(*row[:4]), found
