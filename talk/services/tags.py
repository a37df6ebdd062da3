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
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import aliased, contains_eager, selectinload

from talk import markdown, policy
from talk.clock import utcnow
from talk.errors import InvalidInput, NotFound
from talk.extensions import db
from talk.models import (
    Board,
    Discussion,
    DiscussionTag,
    Item,
    ItemTag,
    Project,
    Tag,
    TagDay,
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
