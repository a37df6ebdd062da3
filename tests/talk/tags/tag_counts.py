"""Reading a project's stored tag aggregates, and counting them afresh from the tag uses."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import select

from talk.extensions import db


def stored_state(project_id: int) -> dict[str, Any]:
    """Every stored tag aggregate of a project, keyed by tag name (call in an app context)."""
    from talk.models import DiscussionTag, ItemTag, Tag, TagDay, TagUser

    tags = {t.id: t for t in db.session.scalars(select(Tag).where(Tag.project_id == project_id))}
    names = {tag_id: tag.name for tag_id, tag in tags.items()}
    ids = list(tags)
    return {
        "tags": {
            t.name: (t.use_count, t.item_count, t.discussion_count, t.user_count)
            for t in tags.values()
            if t.use_count or t.item_count or t.discussion_count or t.user_count
        },
        "item_tags": {
            (names[r.tag_id], r.item_id): r.use_count
            for r in db.session.scalars(select(ItemTag).where(ItemTag.tag_id.in_(ids)))
        },
        "discussion_tags": {
            (names[r.tag_id], r.discussion_id): r.use_count
            for r in db.session.scalars(select(DiscussionTag).where(DiscussionTag.tag_id.in_(ids)))
        },
        "tag_users": {
            (names[r.tag_id], r.user_id): r.use_count
            for r in db.session.scalars(select(TagUser).where(TagUser.tag_id.in_(ids)))
        },
        "tag_daily": {
            (names[r.tag_id], r.day): r.uses
            for r in db.session.scalars(select(TagDay).where(TagDay.tag_id.in_(ids)))
        },
    }


def recounted_state(project_id: int) -> dict[str, Any]:
    """The same aggregates, counted afresh from the tag uses (what the stored ones must equal)."""
    from talk.models import Tag, TagUse

    uses = db.session.execute(
        select(TagUse, Tag.name)
        .join(Tag, Tag.id == TagUse.tag_id)
        .where(Tag.project_id == project_id)
    ).all()
    per_tag: dict[str, list[Any]] = {}
    for use, name in uses:
        per_tag.setdefault(name, []).append(use)
    return {
        "tags": {
            name: (
                len(rows),
                len({u.item_id for u in rows if u.item_id is not None}),
                len({u.discussion_id for u in rows}),
                len({u.user_id for u in rows}),
            )
            for name, rows in per_tag.items()
        },
        "item_tags": dict(Counter((name, u.item_id) for u, name in uses if u.item_id is not None)),
        "discussion_tags": dict(Counter((name, u.discussion_id) for u, name in uses)),
        "tag_users": dict(Counter((name, u.user_id) for u, name in uses)),
        "tag_daily": dict(Counter((name, u.created_at.date()) for u, name in uses)),
    }
