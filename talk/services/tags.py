"""Hashtags: keeping tags and their stored counters in step with comments, and reading them.

A ``#hashtag`` in a comment attaches the tag to what the discussion is about: the item (for an
item's thread) or the discussion itself (on a general board). :func:`sync_comment` makes one
comment's uses match its text, and moves every aggregate by the difference with SQL-side
arithmetic (``use_count = use_count + 1``) and ``INSERT … ON CONFLICT`` upserts, so concurrent
writers keep the counters exact and nothing is ever recounted per request.

Tags are a public index of the project. A comment's hashtags count only where any logged-in
volunteer may read it: on boards closed to the project team, ``#words`` stay plain text, so a
tag's name and counts never reveal what staff say among themselves.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Table, and_, case, delete, func, or_, select, text, update
from sqlalchemy.orm import aliased, contains_eager, selectinload

from talk import markdown, policy
from talk.clock import utcnow
from talk.errors import InvalidInput, NotFound
from talk.extensions import db, upsert
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
)
from talk.pagination import Page, keyset_page

MAX_TAGS_PER_COMMENT = 30
TRENDING_DAYS = 7
#: Related tags are counted over the tag's most recently tagged items, so the query is bounded.
RELATED_SAMPLE = 200
AUTOCOMPLETE_LIMIT = 10


# --------------------------------------------------------------------------------------- names


def normalise(name: str) -> str | None:
    """The stored form of a tag name (``#Église`` → ``église``), or None if it cannot be one."""
    if not isinstance(name, str) or "\x00" in name:
        return None
    # normalise_tag refuses names outside MIN_TAG_NAME..MAX_TAG_NAME (talk.limits).
    return markdown.normalise_tag(name)


def fold(name: str) -> str:
    """``name`` without accents (``église`` → ``eglise``): what autocomplete matches when the
    typed text has none, because volunteers rarely type a clerk's accents."""
    decomposed = unicodedata.normalize("NFKD", name)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", stripped)


def normalise_prefix(typed: str) -> str | None:
    """What a half-typed tag (``#Égl``) is the start of, normalised like a name (``égl``); one
    character is enough, unlike for a whole name. None if no tag can start like that."""
    if not isinstance(typed, str) or "\x00" in typed:
        return None
    # A digit after the prefix makes any valid start a valid name without changing the rest
    # (digits neither compose nor fold), so the name rules are the markup module's, not copied.
    completed = markdown.normalise_tag(typed.strip().removeprefix("#") + "0")
    return completed[:-1] if completed else None


def counts_tags(board: Board) -> bool:
    """Whether hashtags on ``board`` become tags: only where any logged-in volunteer may read."""
    return policy.may(policy.ANY_VOLUNTEER, "board.read", board)


def check_tag_count(names: Iterable[str]) -> None:
    """Refuse a comment with more hashtags than anyone writes in earnest."""
    count = len(set(names))
    if count > MAX_TAGS_PER_COMMENT:
        raise InvalidInput(
            f"A comment can carry at most {MAX_TAGS_PER_COMMENT} hashtags.",
            {"body": [f"Has {count} different hashtags; use at most {MAX_TAGS_PER_COMMENT}."]},
        )


def tag_path(project_slug: str, name: str) -> str:
    """The tag page's path, also outside a request (comments are rendered by the CLI too)."""
    return site_path("tags.show", slug=project_slug, name=name)


def site_path(endpoint: str, **values: Any) -> str:
    """A page's path on this site, built without a request (stored HTML holds paths)."""
    adapter = current_app.url_map.bind(
        "localhost", script_name=current_app.config.get("APPLICATION_ROOT") or "/"
    )
    return adapter.build(endpoint, values)


# --------------------------------------------------------------------------------- keeping sync


def _add(model: Any, key: dict[str, Any], delta: int, **on_insert: Any) -> bool:
    """Add ``delta`` to the aggregate row ``key`` of ``model`` (creating it); True if the row is
    new. The row's count column is ``use_count`` (``uses`` for :class:`TagDay`)."""
    table: Table = model.__table__
    column = table.c.uses if "uses" in table.c else table.c.use_count
    statement = upsert(table).values(**key, **on_insert, **{column.key: delta})
    statement = statement.on_conflict_do_update(
        index_elements=list(key), set_={column.key: column + statement.excluded[column.key]}
    ).returning(column)
    stored: int = db.session.execute(statement).scalar_one()
    return stored == delta


def _subtract(model: Any, key: dict[str, Any], delta: int) -> bool:
    """Take ``delta`` from the aggregate row ``key``, deleting it at zero; True if deleted."""
    table: Table = model.__table__
    column = table.c.uses if "uses" in table.c else table.c.use_count
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
    """Ids of the tags that ``names`` stand for in the project — a synonym stands for its
    canonical tag — creating the missing ones. Call with the project's tag lock held."""
    names = sorted(set(names))
    if not names:
        return set()
    table: Table = Tag.__table__
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
        for name in names
    ]
    db.session.execute(
        upsert(table).values(rows).on_conflict_do_nothing(index_elements=["project_id", "name"])
    )
    found = db.session.execute(
        select(table.c.id, table.c.canonical_id).where(
            table.c.project_id == project_id, table.c.name.in_(names)
        )
    ).all()
    return {row.canonical_id or row.id for row in found}


@dataclass(frozen=True)
class _Use:
    id: int
    tag_id: int
    created_at: datetime


def sync_comment(
    comment: Comment, names: Iterable[str], *, visible: bool = True, now: datetime | None = None
) -> tuple[list[int], list[int]]:
    """Make ``comment``'s tag uses those of ``names`` (parsed from its body), or none at all when
    it is not ``visible`` (deleted, or hidden by a moderator), and keep every counter exact.
    Synonyms count as their canonical tag, so ``#eglise #église`` is one use of ``église``.
    Returns the ids of the tags it added and removed (for the comment's signal).

    Call it after the comment is flushed, in the transaction that changed it.
    """
    discussion = comment.discussion
    now = now or utcnow()
    lock_tags(comment.project_id, exclusive=False)
    wanted: set[int] = set()
    if visible and comment.is_visible and counts_tags(discussion.board):
        names = {n for n in (normalise(name) for name in names) if n}
        wanted = ensure_tags(comment.project_id, names, now)
    existing = {
        row.tag_id: _Use(row.id, row.tag_id, row.created_at)
        for row in db.session.execute(
            select(TagUse.id, TagUse.tag_id, TagUse.created_at).where(
                TagUse.comment_id == comment.id
            )
        )
    }
    removed = existing.keys() - wanted
    added = wanted - existing.keys()
    lock_tag_rows(removed | added)
    for tag_id in sorted(removed | added):  # the global lock order: see lock_tag_rows
        if tag_id in removed:
            _detach(comment, discussion, existing[tag_id])
        else:
            _attach(comment, discussion, tag_id, now)
    return sorted(added), sorted(removed)


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


def _attach(comment: Comment, discussion: Discussion, tag_id: int, now: datetime) -> None:
    db.session.execute(
        TagUse.__table__.insert().values(
            tag_id=tag_id,
            comment_id=comment.id,
            discussion_id=discussion.id,
            item_id=discussion.item_id,
            user_id=comment.author_id,
            created_at=now,
        )
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
    table: Table = Tag.__table__
    values: dict[Any, Any] = {table.c.use_count: table.c.use_count + sign}
    for changed, column in (
        (item, "item_count"),
        (discussion, "discussion_count"),
        (user, "user_count"),
    ):
        if changed:
            values[table.c[column]] = table.c[column] + sign
    if last_used_at is not None:
        values[table.c.last_used_at] = last_used_at
    db.session.execute(update(table).where(table.c.id == tag_id).values(values))


# ------------------------------------------------------------------------------------- reading


def find_tag(project: Project, name: str) -> Tag | None:
    """The project's tag that ``name`` (any spelling, or a synonym) stands for, used or not."""
    normalised = normalise(name)
    if not normalised:
        return None
    tag = db.session.scalar(select(Tag).where(Tag.project_id == project.id, Tag.name == normalised))
    if tag is not None and tag.canonical_id is not None:
        tag = db.session.get(Tag, tag.canonical_id)
    return tag


def is_listed(tag: Tag) -> bool:
    """Whether the tag has a page: someone uses it, or it is in the curated vocabulary."""
    return tag.canonical_id is None and (tag.use_count > 0 or tag.curated_at is not None)


def get_tag(project: Project, name: str) -> Tag:
    """The project's tag called ``name`` in any spelling (``Église`` finds ``église``), or the
    curated tag it is a synonym of; a tag nobody uses any more is not found."""
    tag = find_tag(project, name)
    if tag is None or not is_listed(tag):
        raise NotFound(f"No tag #{name} in project {project.slug!r}.")
    return tag


def _listed() -> Any:
    """SQL twin of :func:`is_listed`."""
    return and_(Tag.canonical_id.is_(None), or_(Tag.use_count > 0, Tag.curated_at.is_not(None)))


def popular_tags(project: Project, *, cursor: str | None, limit: int) -> Page[Tag]:
    """The project's tags, most used first."""
    query = (
        select(Tag)
        .where(Tag.project_id == project.id, Tag.use_count > 0)
        .options(selectinload(Tag.curated_by))
    )
    return keyset_page(query, [Tag.use_count, Tag.id], cursor=cursor, limit=limit, descending=True)


@dataclass(frozen=True)
class CountedTag:
    """A tag with a count that depends on the question (recent uses, shared items, uses on an
    item)."""

    tag: Tag
    count: int


def trending_tags(
    project: Project, *, limit: int, days: int = TRENDING_DAYS, now: datetime | None = None
) -> list[CountedTag]:
    """The tags used most in the last ``days`` days (today included, by the injected clock)."""
    since = (now or utcnow()).date() - timedelta(days=days - 1)
    recent = (
        select(TagDay.tag_id, func.sum(TagDay.uses).label("uses"))
        .where(TagDay.project_id == project.id, TagDay.day >= since)
        .group_by(TagDay.tag_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Tag, recent.c.uses)
        .join(recent, recent.c.tag_id == Tag.id)
        .where(recent.c.uses > 0)
        .options(selectinload(Tag.curated_by))
        .order_by(recent.c.uses.desc(), Tag.use_count.desc(), Tag.name)
        .limit(limit)
    ).all()
    return [CountedTag(tag, int(uses)) for tag, uses in rows]


def tag_items(tag: Tag, *, cursor: str | None, limit: int) -> Page[ItemTag]:
    """The items carrying ``tag``, most recently tagged first (each row's ``item`` loaded)."""
    query = select(ItemTag).where(ItemTag.tag_id == tag.id).options(selectinload(ItemTag.item))
    return keyset_page(
        query,
        [ItemTag.first_used_at, ItemTag.item_id],
        cursor=cursor,
        limit=limit,
        descending=True,
    )


def tag_discussions(
    viewer: Any, tag: Tag, *, cursor: str | None, limit: int
) -> Page[DiscussionTag]:
    """The discussions using ``tag`` that ``viewer`` may read, most recently tagged first (each
    row's discussion loaded with its author and item)."""
    query = (
        select(DiscussionTag)
        .join(Discussion, Discussion.id == DiscussionTag.discussion_id)
        .where(
            DiscussionTag.tag_id == tag.id,
            Discussion.board_id.in_(policy.readable_board_ids(viewer)),
        )
        .options(
            selectinload(DiscussionTag.discussion).selectinload(Discussion.author),
            selectinload(DiscussionTag.discussion).selectinload(Discussion.item),
        )
    )
    return keyset_page(
        query,
        [DiscussionTag.first_used_at, DiscussionTag.discussion_id],
        cursor=cursor,
        limit=limit,
        descending=True,
    )


def related_tags(tag: Tag, *, limit: int = 10, sample: int = RELATED_SAMPLE) -> list[CountedTag]:
    """Tags found on the same items as ``tag``, by how many of its ``sample`` most recently
    tagged items carry them: bounded however popular the tag.

    Two steps: count the shared items per tag id, then load only the tags that can make the top
    ``limit`` (those sharing at least as many items as the ``limit``-th). Joining the counts to
    ``tags`` in one query let PostgreSQL hash-join the whole table for every tag page.
    """
    recent_items = (
        select(ItemTag.item_id)
        .where(ItemTag.tag_id == tag.id)
        .order_by(ItemTag.first_used_at.desc(), ItemTag.item_id.desc())
        .limit(sample)
        .subquery()
    )
    counts = db.session.execute(
        select(ItemTag.tag_id, func.count())
        .join(recent_items, recent_items.c.item_id == ItemTag.item_id)
        .where(ItemTag.tag_id != tag.id)
        .group_by(ItemTag.tag_id)
    ).all()
    if not counts:
        return []
    shared = {tag_id: int(count) for tag_id, count in counts}
    cutoff = sorted(shared.values(), reverse=True)[:limit][-1]
    candidates = db.session.scalars(
        select(Tag).where(Tag.id.in_([t for t, n in shared.items() if n >= cutoff]))
    ).all()
    ranked = sorted(candidates, key=lambda other: (-shared[other.id], -other.use_count, other.name))
    return [CountedTag(other, shared[other.id]) for other in ranked[:limit]]


def item_tags(item: Item, *, limit: int = 100) -> list[ItemTag]:
    """An item's tags, most used on it first, each with its ``tag`` loaded (one query)."""
    return list(
        db.session.scalars(
            select(ItemTag)
            .join(Tag, Tag.id == ItemTag.tag_id)
            .where(ItemTag.item_id == item.id)
            .options(contains_eager(ItemTag.tag).selectinload(Tag.curated_by))
            .order_by(ItemTag.use_count.desc(), Tag.name)
            .limit(limit)
        )
    )


def autocomplete(project: Project, prefix: str, *, limit: int = AUTOCOMPLETE_LIMIT) -> list[Tag]:
    """Tags for a half-typed ``#pre``: curated tags first, then those starting with it (or with a
    synonym starting with it), most used first, then those containing it (one query). A synonym
    suggests its curated tag, so volunteers converge on one spelling."""
    text = normalise_prefix(prefix)
    if not text:
        raise InvalidInput(
            "Type the start of a tag.", {"q": ["Letters, digits or '_' of a tag name."]}
        )
    spelling = aliased(Tag)
    # Typed without accents ("egl"): match the names without theirs, so "église" is offered;
    # typed with them ("égl"): match exactly, so the writer gets what they typed.
    column = spelling.folded if text == fold(text) else spelling.name
    matches = (
        select(
            func.coalesce(spelling.canonical_id, spelling.id).label("tag_id"),
            func.min(case((column.startswith(text, autoescape=True), 0), else_=1)).label("rank"),
        )
        .where(spelling.project_id == project.id, column.contains(text, autoescape=True))
        .group_by(func.coalesce(spelling.canonical_id, spelling.id))
        .subquery()
    )
    return list(
        db.session.scalars(
            select(Tag)
            .join(matches, matches.c.tag_id == Tag.id)
            .where(_listed())
            .options(selectinload(Tag.curated_by))
            .order_by(Tag.curated_at.is_(None), matches.c.rank, Tag.use_count.desc(), Tag.name)
            .limit(limit)
        )
    )
