"""Keeping a project's tag bookkeeping in step with its comments: the tag rows, their uses per
item, discussion, person and day, and the counters on them, changed by :func:`sync_comment`
in the comment's transaction, under the project's tag lock and in the one lock order
(docs/decisions.md, "One lock order")."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Table, and_, bindparam, delete, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from talk.clock import utcnow
from talk.extensions import db, upsert
from talk.models import (
    Comment,
    Discussion,
    DiscussionTag,
    ItemTag,
    Tag,
    TagDay,
    TagUse,
    TagUser,
)
from talk.services.tags import counts_tags, fold, normalise


def _count_column(table: Table) -> Any:
    return table.c.uses if "uses" in table.c else table.c.use_count


@cache
def _adding(model: Any, key: tuple[str, ...], on_insert: tuple[str, ...], dialect: str) -> Any:
    """The upsert :func:`_add` runs, built once per shape and dialect: building it (and its
    cache key) on every call cost more than running it."""
    table: Table = model.__table__
    column = _count_column(table)
    names = (*key, *on_insert, column.key)
    insert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    statement = insert.values({name: bindparam(name) for name in names})
    return statement.on_conflict_do_update(
        index_elements=list(key), set_={column.key: column + statement.excluded[column.key]}
    ).returning(column)


def _add(model: Any, key: dict[str, Any], delta: int, **on_insert: Any) -> bool:
    """Add ``delta`` to the aggregate row ``key`` of ``model`` (creating it); True if the row is
    new. The row's count column is ``use_count`` (``uses`` for :class:`TagDay`)."""
    table: Table = model.__table__
    dialect = db.session.get_bind().dialect.name
    statement = _adding(model, tuple(key), tuple(on_insert), dialect)
    values = {**key, **on_insert, _count_column(table).key: delta}
    stored: int = db.session.execute(statement, values).scalar_one()
    return stored == delta


def _subtract(model: Any, key: dict[str, Any], delta: int) -> bool:
    """Take ``delta`` from the aggregate row ``key``, deleting it at zero; True if deleted."""
    table: Table = model.__table__
    column = _count_column(table)
    where = and_(*(table.c[name] == value for name, value in key.items()))
    remaining = db.session.execute(
        update(table).where(where).values({column: column - delta}).returning(column)
    ).scalar_one_or_none()
    if remaining is not None and remaining <= 0:
        db.session.execute(delete(table).where(where, column <= 0))
        return True
    return False


#: The class id of the PostgreSQL advisory lock standing for "a project's tags".
_TAGS_LOCK_CLASS = 7301


def lock_tags(project_id: int, *, exclusive: bool) -> None:
    """Hold the project's tag lock until the transaction ends (PostgreSQL; SQLite serialises
    writers anyway). Comment writers and verdicts share it; a curation action that moves uses
    or resolves names (merge, rename, synonyms) holds it alone. So a comment saved during a
    merge either finishes first (and its uses are moved) or starts after it (and resolves its
    names to the merged tag): no use is ever left on a synonym. Taken before any tag row is
    locked, so it adds no lock-order cycle."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    db.session.execute(
        text(f"SELECT {function}(:lock_class, :project)"),
        {"lock_class": _TAGS_LOCK_CLASS, "project": project_id},
    )


def ensure_tags(project_id: int, names: Iterable[str], now: datetime) -> set[int]:
    """Ids of the tags that ``names`` stand for in the project (see :func:`_ensure`)."""
    return {tag_id for tag_id, _tag in _ensure(project_id, names, now)}


def _ensure(project_id: int, names: Iterable[str], now: datetime) -> list[tuple[int, Tag | None]]:
    """The ids of the tags that ``names`` stand for in the project — a synonym stands for its
    canonical tag — creating the missing ones. Call with the project's tag lock held.

    The tags are read first and only missing names inserted: most comments use tags that
    exist, and an ``INSERT … ON CONFLICT DO NOTHING`` for each cost a statement (and on
    PostgreSQL a sequence value) for nothing. Each id comes with its tag when it was read (not
    when a synonym stands for it), so the comment's signal gets them without reading again."""
    names = sorted(set(names))
    if not names:
        return []
    found = _tags_named(project_id, names)
    missing = [name for name in names if name not in found]
    if missing:
        rows = [
            {
                "project_id": project_id,
                "name": name,
                "created_at": now,
                "last_used_at": now,
                "use_count": 0,
                "item_count": 0,
                "discussion_count": 0,
                "user_count": 0,
                "description": "",
                "revision": 0,
                "folded": fold(name),
            }
            for name in missing
        ]
        db.session.execute(
            upsert(Tag.__table__)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["project_id", "name"])
        )
        found.update(_tags_named(project_id, missing))
    return [
        (tag.canonical_id, None) if tag.canonical_id else (tag.id, tag) for tag in found.values()
    ]


def _tags_named(project_id: int, names: list[str]) -> dict[str, Tag]:
    tags = db.session.scalars(_TAGS_NAMED, {"project_id": project_id, "names": names})
    return {tag.name: tag for tag in tags}


#: Built once with bind parameters: every comment with a hashtag runs it.
_TAGS_NAMED = select(Tag).where(
    Tag.project_id == bindparam("project_id"), Tag.name.in_(bindparam("names", expanding=True))
)


@dataclass(frozen=True)
class _Use:
    id: int
    tag_id: int
    created_at: datetime


def sync_comment(
    comment: Comment,
    names: Iterable[str],
    *,
    visible: bool = True,
    now: datetime | None = None,
    fresh: bool = False,
) -> tuple[list[Tag], list[Tag]]:
    """Make ``comment``'s tag uses those of ``names`` (parsed from its body), or none at all when
    it is not ``visible`` (deleted, or hidden by a moderator), and keep every counter exact.
    Synonyms count as their canonical tag, so ``#eglise #église`` is one use of ``église``.
    Returns the tags it added and removed, by id (for the comment's signal).

    Call it after the comment is flushed, in the transaction that changed it. ``fresh``: the
    comment was inserted in this transaction, so it has no uses to read yet.
    """
    discussion = comment.discussion
    now = now or utcnow()
    lock_tags(comment.project_id, exclusive=False)
    ensured: list[tuple[int, Tag | None]] = []
    if visible and comment.is_visible and counts_tags(discussion.board):
        names = {n for n in (normalise(name) for name in names) if n}
        ensured = _ensure(comment.project_id, names, now)
    wanted = {tag_id for tag_id, _tag in ensured}
    existing = {} if fresh else _uses(comment)
    removed = existing.keys() - wanted
    added = wanted - existing.keys()
    lock_tag_rows(removed | added)
    for tag_id in sorted(removed | added):  # the global lock order: see lock_tag_rows
        if tag_id in removed:
            _detach(comment, discussion, existing[tag_id])
        else:
            _attach(comment, discussion, tag_id, now)
    read = {tag_id: tag for tag_id, tag in ensured if tag is not None}
    tags = tags_by_id(sorted(added | removed), read)
    return [tags[i] for i in sorted(added)], [tags[i] for i in sorted(removed)]


def _uses(comment: Comment) -> dict[int, _Use]:
    return {
        row.tag_id: _Use(row.id, row.tag_id, row.created_at)
        for row in db.session.execute(
            select(TagUse.id, TagUse.tag_id, TagUse.created_at).where(
                TagUse.comment_id == comment.id
            )
        )
    }


def tags_by_id(tag_ids: Sequence[int], read: Mapping[int, Tag]) -> dict[int, Tag]:
    """The tags ``tag_ids``: those :func:`_ensure` ``read`` (their counters kept current by
    :func:`_bump_tag`), the others read now."""
    found = {tag_id: read[tag_id] for tag_id in tag_ids if tag_id in read}
    missing = [tag_id for tag_id in tag_ids if tag_id not in found]
    if missing:
        stored = db.session.scalars(select(Tag).where(Tag.id.in_(missing)))
        found.update((tag.id, tag) for tag in stored)
    return found


def tags_used_by(comment_ids: Sequence[int]) -> set[int]:
    """The ids of the tags the comments ``comment_ids`` use (to lock before moving them)."""
    if not comment_ids:
        return set()
    return set(db.session.scalars(select(TagUse.tag_id).where(TagUse.comment_id.in_(comment_ids))))


def lock_tag_rows(tag_ids: Iterable[int]) -> None:
    """Lock the rows of the tags a change will count on, in id order, before any of their
    aggregates (``item_tags``, ``discussion_tags``, ``tag_users``, ``tag_daily``, each row keyed
    by its tag). Every writer of tag counters takes them so, after the rows of the comment and
    the counters it changes and the project's tag lock: two writers then wait for each other
    instead of each holding a row the other needs (an edit from ``#a`` to ``#b`` and a post of
    ``#a #b`` deadlocked when the edit went through the dropped tag first). ``FOR NO KEY UPDATE``
    does not block the inserts that reference a tag. SQLite serialises writers anyway."""
    ids = sorted(set(tag_ids))
    if ids and db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            select(Tag.__table__.c.id)
            .where(Tag.__table__.c.id.in_(ids))
            .order_by(Tag.__table__.c.id)
            .with_for_update(key_share=True)
        )


_USE_INSERT = TagUse.__table__.insert()


def _attach(comment: Comment, discussion: Discussion, tag_id: int, now: datetime) -> None:
    db.session.execute(
        _USE_INSERT,
        {
            "tag_id": tag_id,
            "comment_id": comment.id,
            "discussion_id": discussion.id,
            "item_id": discussion.item_id,
            "user_id": comment.author_id,
            "created_at": now,
        },
    )
    new_item = discussion.item_id is not None and _add(
        ItemTag, {"item_id": discussion.item_id, "tag_id": tag_id}, 1, first_used_at=now
    )
    new_discussion = _add(
        DiscussionTag, {"discussion_id": discussion.id, "tag_id": tag_id}, 1, first_used_at=now
    )
    new_user = _add(TagUser, {"tag_id": tag_id, "user_id": comment.author_id}, 1)
    _add(TagDay, {"tag_id": tag_id, "day": now.date()}, 1, project_id=comment.project_id)
    _bump_tag(tag_id, 1, new_item, new_discussion, new_user, last_used_at=now)


def _detach(comment: Comment, discussion: Discussion, use: _Use) -> None:
    db.session.execute(delete(TagUse.__table__).where(TagUse.__table__.c.id == use.id))
    tag_id = use.tag_id
    gone_item = discussion.item_id is not None and _subtract(
        ItemTag, {"item_id": discussion.item_id, "tag_id": tag_id}, 1
    )
    gone_discussion = _subtract(
        DiscussionTag, {"discussion_id": discussion.id, "tag_id": tag_id}, 1
    )
    gone_user = _subtract(TagUser, {"tag_id": tag_id, "user_id": comment.author_id}, 1)
    _subtract(TagDay, {"tag_id": tag_id, "day": use.created_at.date()}, 1)
    _bump_tag(tag_id, -1, gone_item, gone_discussion, gone_user)


def _bump_tag(
    tag_id: int,
    sign: int,
    item: bool,
    discussion: bool,
    user: bool,
    last_used_at: datetime | None = None,
) -> None:
    """Move a tag's counters; the new values go onto its object when the session holds it (the
    comment's signal hands it on), so it never shows counts from before this change."""
    counted = tuple(
        name
        for changed, name in (
            (item, "item_count"),
            (discussion, "discussion_count"),
            (user, "user_count"),
        )
        if changed
    )
    statement, names = _bumping(counted, last_used_at is not None)
    params: dict[str, Any] = {"tag_id": tag_id, "sign": sign}
    if last_used_at is not None:
        params["last_used_at"] = last_used_at
    stored = db.session.execute(statement, params).one()
    tag = db.session.identity_map.get(identity_key(Tag, tag_id))
    if tag is not None:
        for name, value in zip(names, stored, strict=True):
            set_committed_value(tag, name, value)


@cache
def _bumping(counted: tuple[str, ...], used: bool) -> tuple[Any, tuple[str, ...]]:
    """The tag counters' ``UPDATE … RETURNING`` for :func:`_bump_tag`, built once per shape."""
    table: Table = Tag.__table__
    sign = bindparam("sign", type_=table.c.use_count.type)
    values: dict[Any, Any] = {table.c.use_count: table.c.use_count + sign}
    for name in counted:
        values[table.c[name]] = table.c[name] + sign
    if used:
        values[table.c.last_used_at] = bindparam("last_used_at", type_=table.c.last_used_at.type)
    statement = update(table).where(table.c.id == bindparam("tag_id")).values(values)
    return statement.returning(*values), tuple(column.key for column in values)
