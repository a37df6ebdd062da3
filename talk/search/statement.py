"""The statement of one page of results, built once per shape and reused.

A search's statement has the same shape for every query of the same kind (the engine and its
tables or languages, which filters are set, the viewer's kind, page 1 or later): only values
differ — the words, the filters' ids and dates, the cursor's score and id. Building it cost
~2.3 ms of Python a search (SQLAlchemy constructs) and its cache key ~0.5 ms more, at every
search, though SQLAlchemy's compiled cache already held its SQL. So each shape is built once
with named bound parameters (``search_*``), kept in :data:`_SHAPES`, and executed with the
search's values; its cache key is memoized on the statement, so the compiled SQL is found
without walking it again (docs/search.md, "Sixth round").

Nothing in a kept statement may hold a search's value: every value is one of the named
parameters below, or part of the shape's key (the window, the page size, a logged-in viewer's
id, which :func:`talk.policy.readable_boards_key` gives).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any

from sqlalchemy import (
    Integer,
    and_,
    bindparam,
    case,
    func,
    literal,
    or_,
    select,
)

from talk import policy
from talk.models import Board, Comment, Discussion, Item, Project, User
from talk.search import schema
from talk.search.filters import Filters, conditions

_DOCUMENT = schema.documents.alias("doc")  # built once: see talk.search.sqlite

#: Shapes kept at most; past it all are dropped and built again as asked. Anonymous searches
#: have a few dozen shapes; each logged-in viewer adds their own (their id is in the readable
#: boards' test).
MAX_SHAPES = 512
_SHAPES: dict[tuple[Any, ...], Any] = {}


def page_statement(
    engine: Any,
    viewer: Any,
    filters: Filters,
    window: int,
    ceiling: int | None,
    floor: int | None,
    after: tuple[float, int, int, int | None] | None,
    limit: int,
) -> tuple[Any, dict[str, Any]]:
    """The statement of one page (see :func:`_build`) and the values to execute it with."""
    values: dict[str, Any] = dict(engine.values())
    for name, value in _filter_values(filters).items():
        values[f"search_{name}"] = value
    if ceiling is not None:
        values["search_ceiling"] = ceiling
    if floor is not None:
        values["search_floor"] = floor
    if after is not None:
        values["search_after_score"], values["search_after_id"] = after[0], after[1]
    key = (
        engine.shape,
        policy.readable_boards_key(viewer),
        tuple(sorted(name for name in values if name.startswith("search_"))),
        window,
        limit,
    )
    statement = kept(
        _SHAPES,
        key,
        lambda: _build(
            engine,
            viewer,
            Filters(**{name: _bound(name) for name in _filter_values(filters)}),
            window,
            _bound("ceiling") if ceiling is not None else None,
            _bound("floor") if floor is not None else None,
            (_bound("after_score"), _bound("after_id"), 0, None) if after is not None else None,
            limit,
        ),
        MAX_SHAPES,
    )
    return statement, values


def kept(shapes: dict[Any, Any], key: Any, build: Callable[[], Any], limit: int) -> Any:
    """The statement kept in ``shapes`` under ``key``, built and kept if new; past ``limit``
    shapes all are dropped (rare: logged-in viewers' shapes), which is safe under threads."""
    statement = shapes.get(key)
    if statement is None:
        statement = build()
        if len(shapes) >= limit:
            shapes.clear()
        shapes[key] = statement
    return statement


def _filter_values(filters: Filters) -> dict[str, Any]:
    return {
        f.name: value for f in fields(filters) if (value := getattr(filters, f.name)) is not None
    }


def _bound(name: str) -> Any:
    """A named parameter; untyped, it takes the type of what it is compared with (a date the
    column's ``UTCDateTime``). The tag's is typed: PostgreSQL puts it in an array."""
    return bindparam(f"search_{name}", type_=Integer if name == "tag_id" else None)


def _build(
    engine: Any,
    viewer: Any,
    filters: Filters,
    window: int,
    ceiling: Any,
    floor: Any,
    after: tuple[Any, Any, Any, Any] | None,
    limit: int,
) -> Any:
    """The statement of one page: the window of matches (of id above ``floor``, at most
    ``ceiling``), one row per result, ranked, after the cursor, with what the page shows."""
    # An engine may number its window (SQLite: one pass) and test the tag filter (PostgreSQL:
    # its tag_ids GIN index) its own way.
    newest = getattr(engine, "newest", _newest)
    tagged = getattr(engine, "tagged", None)
    hits = newest(
        engine.hits(
            lambda doc, doc_id: conditions(viewer, filters, doc, doc_id, tagged=tagged),
            newest=window + 1,
            ceiling=ceiling,
            floor=floor,
        ),
        window,
    )
    best = _one_per_thing(hits)
    ranked = select(best.c.doc_id, best.c.score, best.c.total, best.c.matched, best.c.ceiling)
    if after is not None:
        score, doc_id, _, _ = after
        ranked = ranked.where(
            or_(best.c.score < score, and_(best.c.score == score, best.c.doc_id < doc_id))
        )
    page = (
        ranked.order_by(best.c.score.desc(), best.c.doc_id.desc()).limit(limit + 1).subquery("page")
    )
    doc = _DOCUMENT
    marked = engine.marked(doc)
    if floor is not None:
        # A step that finds too few is asked again: its rows are never shown, so CASE (which
        # the engines evaluate lazily) skips what marking them costs (FTS5's highlight()).
        marked = case((page.c.matched > window, marked), else_=literal(""))
    return (
        select(
            page.c.score,
            page.c.doc_id,
            page.c.total,
            page.c.matched,
            page.c.ceiling,
            doc.c.kind,
            doc.c.source_id,
            doc.c.created_at,
            doc.c.title,
            doc.c.body,
            doc.c.discussion_id,
            Project.slug,
            Project.title,
            Discussion.title,
            Board.title,
            Item.external_id,
            Item.title,
            User.username,
            User.display_name,
            Comment.body_html,
            marked.label("marked"),
        )
        .select_from(page)
        .join(doc, doc.c.id == page.c.doc_id)
        .join(Project, Project.id == doc.c.project_id)
        .outerjoin(Discussion, Discussion.id == doc.c.discussion_id)
        .outerjoin(Board, Board.id == doc.c.board_id)
        .outerjoin(Item, Item.id == doc.c.item_id)
        .outerjoin(User, User.id == doc.c.author_id)
        .outerjoin(
            Comment,
            and_(
                doc.c.kind == "comment",
                Comment.id == doc.c.source_id,
                Comment.deleted_at.is_(None),
                Comment.hidden_at.is_(None),
            ),
        )
        .order_by(page.c.score.desc(), page.c.doc_id.desc())
    )


def _newest(hits: Any, window: int) -> Any:
    """The ``window`` newest of ``hits`` (which holds at most one more), each with how many
    there were (``matched``: more than ``window`` means the search was narrowed) and the
    newest id (``ceiling``, which the next pages' cursors carry)."""
    found = hits.subquery("found")
    numbered = select(
        found,
        func.row_number().over(order_by=found.c.doc_id.desc()).label("newness"),
        func.count().over().label("matched"),
        func.max(found.c.doc_id).over().label("ceiling"),
    ).subquery("numbered")
    return (
        select(
            numbered.c.doc_id,
            numbered.c.score,
            numbered.c.kind,
            numbered.c.source_id,
            numbered.c.discussion_id,
            numbered.c.matched,
            numbered.c.ceiling,
        )
        .where(numbered.c.newness <= window)
        .subquery("hits")
    )


def _one_per_thing(hits: Any) -> Any:
    """One row per result: a discussion and its comments are one thread, shown by its
    best-matching comment (by the title when no comment matches) and ranked by its best score;
    items and tags are each their own. ``total`` counts the results of every page."""
    thread = case((hits.c.discussion_id.is_(None), hits.c.kind), else_=literal("thread"))
    key = func.coalesce(hits.c.discussion_id, hits.c.source_id)
    comment_first = case((hits.c.kind == "comment", 0), else_=1)
    # The same partition and order for both (so one sort can serve them); max() looks at the
    # whole partition.
    partition = (thread, key)
    order = (comment_first, hits.c.score.desc(), hits.c.doc_id.desc())
    grouped = select(
        hits.c.doc_id,
        hits.c.matched,
        hits.c.ceiling,
        func.max(hits.c.score)
        .over(partition_by=partition, order_by=order, rows=(None, None))
        .label("score"),
        func.row_number().over(partition_by=partition, order_by=order).label("pick"),
    ).subquery("grouped")
    return (
        select(
            grouped.c.doc_id,
            grouped.c.score,
            func.count().over().label("total"),
            grouped.c.matched,
            grouped.c.ceiling,
        )
        .where(grouped.c.pick == 1)
        .subquery("best")
    )
