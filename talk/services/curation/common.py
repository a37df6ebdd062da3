"""The steps every curation action shares: reading a tag name, taking the project's tag lock,
finding or making a tag row, checking what kind of tag it is, and recording the action."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import exists, select

from talk.errors import Conflict, InvalidInput
from talk.extensions import db
from talk.limits import MAX_TAG_NAME, MIN_TAG_NAME
from talk.models import Item, Project, Tag, TagAction, TagVerdict
from talk.services import tag_sync, tags


def tag_name(name: str, field: str = "name") -> str:
    normalised = tags.normalise(name)
    if not normalised:
        raise InvalidInput(
            f"#{name} cannot be a tag name.",
            {
                field: [
                    f"{MIN_TAG_NAME}–{MAX_TAG_NAME} letters, digits, '-' or '_' "
                    "(a '#' in front is fine)."
                ]
            },
        )
    return normalised


def tag_row(project: Project, name: str, now: datetime) -> Tag:
    """The project's tag row called ``name``, created (unused) when missing."""
    tag_sync.ensure_tags(project.id, [name], now)
    tag = db.session.scalar(select(Tag).where(Tag.project_id == project.id, Tag.name == name))
    assert tag is not None
    return tag


def begin(project: Project, *current: Tag) -> None:
    """Take the project's tag lock for a curation action and re-read the tags it acts on: what
    was read before the lock may have been merged or renamed by the action that held it."""
    tag_sync.lock_tags(project.id, exclusive=True)
    for tag in current:
        db.session.refresh(tag)


def record(
    actor: Any,
    project: Project,
    action: str,
    tag: Tag,
    now: datetime,
    item: Item | None = None,
    **details: Any,
) -> TagAction:
    record = TagAction(
        project_id=project.id,
        actor_id=getattr(actor, "id", None) or None,  # None for policy.OPERATOR
        action=action,
        tag_id=tag.id,
        item_id=item.id if item else None,
        tag_name=tag.name,
        details=details,
        created_at=now,
    )
    db.session.add(record)
    return record


def revise(tag: Tag) -> None:
    tag.revision = (tag.revision or 0) + 1


def require_curated(tag: Tag) -> None:
    if tag.curated_at is None:
        raise InvalidInput(f"#{tag.name} is not a curated tag.", {"name": ["Curate it first."]})


def require_canonical(tag: Tag) -> None:
    if tag.canonical_id is not None:
        raise InvalidInput(
            f"#{tag.name} is a synonym of another tag.", {"name": ["Use that tag instead."]}
        )


def already_synonym(tag: Tag, field: str, advice: str) -> Conflict:
    canonical = db.session.get(Tag, tag.canonical_id)
    return Conflict(
        f"#{tag.name} is a synonym of #{canonical.name if canonical else '?'}.", {field: [advice]}
    )


def has_verdicts(tag: Tag) -> bool:
    """Whether an expert's verdict names ``tag`` (an unused tag with none is a free name; its
    record keeps the name it had)."""
    return bool(db.session.scalar(select(exists().where(TagVerdict.tag_id == tag.id))))
