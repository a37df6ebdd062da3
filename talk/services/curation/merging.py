"""Renaming and merging tags: one tag from then on, the other name kept as its synonym.

A merge moves the uses and verdicts of one tag to the other and recounts every aggregate of the
tag that stays from its uses, in one transaction, so pages, counts, search (the tag's document
lists its synonyms) and exports see one tag from then on."""

from __future__ import annotations

from collections import Counter
from typing import Any, cast

from sqlalchemy import CursorResult, delete, exists, select, update
from sqlalchemy.orm import aliased

from talk import policy, signals
from talk.clock import utcnow
from talk.errors import Conflict, InvalidInput
from talk.extensions import db
from talk.models import DiscussionTag, ItemTag, Tag, TagDay, TagUse, TagUser, TagVerdict
from talk.services import tag_sync, tags
from talk.services.curation.common import (
    begin,
    has_verdicts,
    record,
    require_canonical,
    revise,
    tag_name,
)


def rename(actor: Any, tag: Tag, new_name: str) -> Tag:
    """Give ``tag`` a new name; the old one stays as its synonym, so comments that wrote it (and
    their links) keep pointing here. A name in use by another tag is a merge, not a rename."""
    project = tag.project
    policy.require(actor, "tags.curate", project)
    new_name = tag_name(new_name, "new_name")
    policy.check_content(actor, "tag_name", project, new_name)
    begin(project, tag)
    require_canonical(tag)
    old_name = tag.name
    if new_name == old_name:
        raise InvalidInput("That is its name already.", {"new_name": ["Give a different name."]})
    now = utcnow()
    holder = db.session.scalar(
        select(Tag).where(Tag.project_id == project.id, Tag.name == new_name)
    )
    if holder is not None:
        unused = holder.use_count <= 0 and holder.curated_at is None
        is_own_synonym = holder.canonical_id == tag.id
        if is_own_synonym or (unused and holder.canonical_id is None and not has_verdicts(holder)):
            db.session.execute(
                update(Tag).where(Tag.canonical_id == holder.id).values(canonical_id=tag.id)
            )
            db.session.delete(holder)
            db.session.flush()
        else:
            raise Conflict(
                f"#{new_name} is another tag.",
                {"new_name": [f"Merge #{old_name} into #{new_name} instead."]},
            )
    tag.name = new_name
    tag.folded = tags.fold(new_name)
    revise(tag)
    db.session.flush()
    tag_sync.ensure_tags(project.id, [old_name], now)
    old_row = db.session.scalar(
        select(Tag.id).where(Tag.project_id == project.id, Tag.name == old_name)
    )
    db.session.execute(
        update(Tag).where(Tag.id == old_row).values(canonical_id=tag.id, revision=Tag.revision + 1)
    )
    record(actor, project, "rename", tag, now, old_name=old_name, new_name=new_name)
    db.session.flush()
    signals.tag_renamed.send(
        tag,
        actor=actor,
        old_name=old_name,
        new_name=new_name,
        old_tag_id=old_row,
        new_tag_id=tag.id,
    )
    return tag


def merge(actor: Any, source: Tag, target: Tag) -> Tag:
    """Merge ``source`` into ``target``: one tag from now on, called ``target``'s name, with
    ``source``'s name (and its synonyms) as synonyms. ``source``'s curation, if any, is kept in
    the record only."""
    project = target.project
    policy.require(actor, "tags.curate", project)
    begin(project, source, target)
    require_canonical(source)
    require_canonical(target)
    if source.project_id != target.project_id:
        raise InvalidInput(
            "Tags of different projects cannot be merged.", {"into": ["Same project."]}
        )
    if source.id == target.id:
        raise InvalidInput("A tag cannot be merged into itself.", {"into": ["Name another tag."]})
    now = utcnow()
    details: dict[str, Any] = {"merged": source.name}
    if source.curated_at is not None:
        details["merged_curation"] = {
            "description": source.description,
            "authority": source.authority_uri,
        }
        source.curated_at = None
        source.curated_by_id = None
    details.update(merge_rows(source, target))
    record(actor, project, "merge", target, now, **details)
    db.session.flush()
    signals.tag_merged.send(target, actor=actor, old_tag_id=source.id, new_tag_id=target.id)
    return target


def merge_rows(source: Tag, target: Tag) -> dict[str, int]:
    """Move ``source``'s uses and verdicts to ``target``, make it (and its synonyms) synonyms
    of ``target``, and recount ``target``'s aggregates from its uses (skipped when ``source``
    has nothing to move, as for a new synonym). Returns what moved. The caller holds the
    project's tag lock."""
    db.session.flush()
    moved_uses = source.use_count
    if moved_uses == 0 and not has_verdicts(source):
        db.session.execute(
            update(Tag)
            .where(Tag.canonical_id == source.id)
            .values(canonical_id=target.id, revision=Tag.revision + 1)
        )
        source.canonical_id = target.id
        revise(source)
        revise(target)
        db.session.flush()
        return {"uses_moved": 0, "verdicts_moved": 0}
    # A comment using both spellings keeps one use.
    duplicate = aliased(TagUse)
    db.session.execute(
        delete(TagUse).where(
            TagUse.tag_id == source.id,
            exists().where(
                duplicate.comment_id == TagUse.comment_id, duplicate.tag_id == target.id
            ),
        )
    )
    db.session.execute(update(TagUse).where(TagUse.tag_id == source.id).values(tag_id=target.id))
    # Verdicts move unless the target has its own on that item.
    kept = aliased(TagVerdict)
    db.session.execute(
        delete(TagVerdict).where(
            TagVerdict.tag_id == source.id,
            exists().where(kept.item_id == TagVerdict.item_id, kept.tag_id == target.id),
        )
    )
    moved_verdicts = cast(
        "CursorResult[Any]",
        db.session.execute(
            update(TagVerdict).where(TagVerdict.tag_id == source.id).values(tag_id=target.id)
        ),
    ).rowcount
    db.session.execute(
        update(Tag)
        .where(Tag.canonical_id == source.id)
        .values(canonical_id=target.id, revision=Tag.revision + 1)
    )
    _recount(source.id, target.id)
    db.session.expire(target)
    db.session.expire(source)
    source.canonical_id = target.id
    revise(source)
    revise(target)
    db.session.flush()
    return {"uses_moved": moved_uses, "verdicts_moved": moved_verdicts or 0}


def _recount(source_id: int, target_id: int) -> None:
    """Rebuild ``target``'s aggregates from its uses (and clear ``source``'s): a merge is rare, so
    recounting one tag's uses is simpler and safer than moving every aggregate by hand."""
    for model in (ItemTag, DiscussionTag, TagUser, TagDay):
        db.session.execute(delete(model).where(model.tag_id.in_((source_id, target_id))))
    uses = db.session.execute(
        select(TagUse.item_id, TagUse.discussion_id, TagUse.user_id, TagUse.created_at).where(
            TagUse.tag_id == target_id
        )
    ).all()
    items: dict[int, list[Any]] = {}
    discussions: dict[int, list[Any]] = {}
    users: Counter[int] = Counter()
    days: Counter[Any] = Counter()
    for use in uses:
        if use.item_id is not None:
            entry = items.setdefault(use.item_id, [0, use.created_at])
            entry[0] += 1
            entry[1] = min(entry[1], use.created_at)
        entry = discussions.setdefault(use.discussion_id, [0, use.created_at])
        entry[0] += 1
        entry[1] = min(entry[1], use.created_at)
        users[use.user_id] += 1
        days[use.created_at.date()] += 1
    target = db.session.get(Tag, target_id)
    assert target is not None
    rows: list[tuple[Any, list[dict[str, Any]]]] = [
        (
            ItemTag,
            [
                {"item_id": k, "tag_id": target_id, "use_count": n, "first_used_at": first}
                for k, (n, first) in items.items()
            ],
        ),
        (
            DiscussionTag,
            [
                {"discussion_id": k, "tag_id": target_id, "use_count": n, "first_used_at": first}
                for k, (n, first) in discussions.items()
            ],
        ),
        (TagUser, [{"tag_id": target_id, "user_id": k, "use_count": n} for k, n in users.items()]),
        (
            TagDay,
            [
                {"tag_id": target_id, "day": day, "project_id": target.project_id, "uses": n}
                for day, n in days.items()
            ],
        ),
    ]
    for model, values in rows:
        if values:
            db.session.execute(model.__table__.insert(), values)
    last_used = max((use.created_at for use in uses), default=None)
    counts = {
        "use_count": len(uses),
        "item_count": len(items),
        "discussion_count": len(discussions),
        "user_count": len(users),
    }
    source_last = db.session.scalar(select(Tag.last_used_at).where(Tag.id == source_id))
    db.session.execute(
        update(Tag)
        .where(Tag.id == target_id)
        .values(
            **counts,
            last_used_at=max(x for x in (last_used, source_last, target.last_used_at) if x),
        )
    )
    db.session.execute(
        update(Tag)
        .where(Tag.id == source_id)
        .values(use_count=0, item_count=0, discussion_count=0, user_count=0)
    )
