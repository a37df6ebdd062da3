"""Checking every stored counter against a recount from the rows it counts.

The services keep counters exact with SQL-side arithmetic and never recount them per request:
comments per discussion, board, item, project and author; discussions per board, item and
project (only listed ones: a merged or held one counts nowhere); items per project; a tag's
uses, items, discussions and users; and the per-item, per-discussion, per-user and per-day tag
aggregates.
:func:`counter_mismatches` recounts them all, so tests and the load test (``bench/load.py``)
can prove concurrent writers left none wrong.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import func, not_, select

from talk.extensions import db
from talk.models import (
    Board,
    Comment,
    Discussion,
    DiscussionTag,
    Item,
    ItemTag,
    Project,
    Tag,
    TagDay,
    TagUse,
    TagUser,
    User,
)

Counts = Mapping[Any, int]


def _stored(*columns: Any) -> Counts:
    """``{key: value}`` from the key column(s) and the counter column (last)."""
    rows = db.session.execute(select(*columns)).all()
    return {(row[0] if len(row) == 2 else tuple(row[:-1])): int(row[-1]) for row in rows}


def _grouped(key: Any, source: Any, *where: Any) -> Counts:
    query = select(key, func.count()).select_from(source).where(*where).group_by(key)
    return {k: int(n) for k, n in db.session.execute(query).all() if k is not None}


def _counters() -> Iterator[tuple[str, Counts, Counts]]:
    """(counter, stored values by key, recounted values by key) for every stored counter."""
    comments = Comment.__table__.join(Discussion.__table__, Discussion.id == Comment.discussion_id)
    visible = (Comment.deleted_at.is_(None), Comment.hidden_at.is_(None))
    counted_comments: tuple[tuple[Any, Any], ...] = (
        (Discussion, Comment.discussion_id),
        (Board, Discussion.board_id),
        (Item, Discussion.item_id),
        (Project, Comment.project_id),
        (User, Comment.author_id),
    )
    for model, key in counted_comments:
        yield (
            f"{model.__tablename__}.comment_count",
            _stored(model.id, model.comment_count),
            _grouped(key, comments, *visible),
        )
    for model, key in (
        (Board, Discussion.board_id),
        (Item, Discussion.item_id),
        (Project, Discussion.project_id),
    ):
        yield (
            f"{model.__tablename__}.discussion_count",
            _stored(model.id, model.discussion_count),
            _grouped(key, Discussion.__table__, Discussion.listed()),
        )
    yield (
        "projects.item_count",
        _stored(Project.id, Project.item_count),
        _grouped(Item.project_id, Item.__table__),
    )
    yield from _tag_counters()
    yield (
        "tag_uses of deleted or hidden comments",
        _grouped(
            TagUse.comment_id,
            TagUse.__table__.join(Comment.__table__, Comment.id == TagUse.comment_id),
            not_(visible[0] & visible[1]),
        ),
        {},
    )


def _tag_counters() -> Iterator[tuple[str, Counts, Counts]]:
    uses = db.session.execute(
        select(
            TagUse.tag_id, TagUse.item_id, TagUse.discussion_id, TagUse.user_id, TagUse.created_at
        )
    ).all()
    on_items = [use for use in uses if use.item_id is not None]
    yield "tags.use_count", _stored(Tag.id, Tag.use_count), Counter(u.tag_id for u in uses)
    for column, distinct in (
        (Tag.item_count, {(u.tag_id, u.item_id) for u in on_items}),
        (Tag.discussion_count, {(u.tag_id, u.discussion_id) for u in uses}),
        (Tag.user_count, {(u.tag_id, u.user_id) for u in uses}),
    ):
        yield f"tags.{column.key}", _stored(Tag.id, column), Counter(t for t, _ in distinct)
    aggregates: tuple[tuple[Any, tuple[str, str], list[Any]], ...] = (
        (ItemTag, ("item_id", "tag_id"), on_items),
        (DiscussionTag, ("discussion_id", "tag_id"), list(uses)),
        (TagUser, ("tag_id", "user_id"), list(uses)),
    )
    for model, (first, second), counted in aggregates:
        yield (
            f"{model.__tablename__}.use_count",
            _stored(getattr(model, first), getattr(model, second), model.use_count),
            Counter((getattr(u, first), getattr(u, second)) for u in counted),
        )
    yield (
        "tag_daily.uses",
        _stored(TagDay.tag_id, TagDay.day, TagDay.uses),
        Counter((u.tag_id, u.created_at.date()) for u in uses),
    )


def counter_mismatches() -> list[str]:
    """Every stored counter that differs from its recount, as ``counter[key]: stored N, counted
    M`` lines (empty when all are exact). Reads every counted row: for tests and load tests, not
    for requests."""
    problems: list[str] = []
    for name, stored, counted in _counters():
        for key in sorted(stored.keys() | counted.keys(), key=repr):
            if stored.get(key, 0) != counted.get(key, 0):
                problems.append(
                    f"{name}[{key}]: stored {stored.get(key, 0)}, counted {counted.get(key, 0)}"
                )
    return problems
