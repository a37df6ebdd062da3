"""The curated vocabulary: curating a tag (with its description, authority link and synonyms),
editing and uncurating it, adding and removing synonyms, and reading the vocabulary and the
record of curation actions."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from talk import policy, signals
from talk.clock import utcnow
from talk.errors import Conflict, InvalidInput, NotFound
from talk.extensions import db
from talk.limits import MAX_SYNONYMS, MAX_TAG_DESCRIPTION
from talk.models import Project, Tag, TagAction
from talk.pagination import Page, keyset_page
from talk.services.curation.authorities import check_authority_uri
from talk.services.curation.common import (
    already_synonym,
    begin,
    record,
    require_canonical,
    require_curated,
    revise,
    tag_name,
    tag_row,
)
from talk.services.curation.merging import merge_rows

HISTORY_LIMIT = 20


def check_description(description: str | None) -> str:
    """The description stripped; InvalidInput when too long or holding a NUL byte."""
    description = (description or "").strip()
    if len(description) > MAX_TAG_DESCRIPTION:
        raise InvalidInput(
            "The description is too long.",
            {"description": [f"At most {MAX_TAG_DESCRIPTION} characters."]},
        )
    if "\x00" in description:
        raise InvalidInput("The description has a NUL byte.", {"description": ["Remove it."]})
    return description


def parse_names(text: str | Iterable[str], field: str = "synonyms") -> list[str]:
    """Tag names from a list or from text separated by commas or spaces (``#a, b``)."""
    raw = re.split(r"[\s,]+", text) if isinstance(text, str) else list(text)
    names: list[str] = []
    for name in raw:
        if isinstance(name, str) and name.strip():
            normalised = tag_name(name.strip(), field)
            if normalised not in names:
                names.append(normalised)
    if len(names) > MAX_SYNONYMS:
        raise InvalidInput("Too many synonyms.", {field: [f"At most {MAX_SYNONYMS} at once."]})
    return names


def curate(
    actor: Any,
    project: Project,
    name: str,
    *,
    description: str = "",
    authority_uri: str | None = None,
    synonyms: str | Iterable[str] = (),
) -> Tag:
    """Add ``#name`` to the project's curated vocabulary (used or not yet), with its synonyms
    (each merged into it)."""
    policy.require(actor, "tags.curate", project)
    name = tag_name(name)
    description = check_description(description)
    authority_uri = check_authority_uri(authority_uri)
    synonym_names = [n for n in parse_names(synonyms) if n != name]
    policy.check_content(actor, "tag_name", project, "\n".join([name, *synonym_names]))
    now = utcnow()
    begin(project)
    tag = tag_row(project, name, now)
    if tag.canonical_id is not None:
        raise already_synonym(tag, "name", "Curate that tag instead, or remove the synonym first.")
    if tag.curated_at is not None:
        raise Conflict(f"#{name} is curated already.", {"name": ["Edit it on its tag page."]})
    _check_content(actor, tag, description, authority_uri)
    tag.curated_at = now
    tag.curated_by_id = actor.id
    tag.description = description
    tag.authority_uri = authority_uri
    revise(tag)
    record(actor, project, "curate", tag, now, description=description, authority=authority_uri)
    variants = [attach_synonym(actor, project, tag, synonym, now) for synonym in synonym_names]
    db.session.flush()
    signals.tag_curated.send(tag, actor=actor, created=True)
    for variant in variants:
        signals.tag_synonym_added.send(
            tag, actor=actor, synonym_tag_id=variant.id, synonym=variant.name
        )
    return tag


def _check_content(actor: Any, tag: Tag, description: str | None, uri: str | None) -> None:
    """Run the content checks on what a curator writes about ``tag``: its description and
    authority link (the parts given)."""
    text = "\n".join(part for part in (description, uri) if part)
    policy.check_content(actor, "tag_description", tag, text)


def edit(
    actor: Any,
    tag: Tag,
    *,
    description: str | None = None,
    authority_uri: str | None = None,
) -> Tag:
    """Change a curated tag's description and/or authority link (None leaves one as it is)."""
    project = tag.project
    policy.require(actor, "tags.curate", project)
    require_curated(tag)
    if description is not None:
        description = check_description(description)
    uri = check_authority_uri(authority_uri) if authority_uri is not None else None
    changes: dict[str, Any] = {}
    if description is not None and description != tag.description:
        changes["description"] = [tag.description, description]
    if authority_uri is not None and uri != tag.authority_uri:
        changes["authority"] = [tag.authority_uri, uri]
    if changes:
        _check_content(actor, tag, description, uri)
        if "description" in changes:
            tag.description = changes["description"][1]
        if "authority" in changes:
            tag.authority_uri = changes["authority"][1]
        revise(tag)
        record(actor, project, "edit", tag, utcnow(), **changes)
    db.session.flush()
    if changes:
        signals.tag_curated.send(tag, actor=actor, created=False)
    return tag


def uncurate(actor: Any, tag: Tag) -> Tag:
    """Take a tag out of the vocabulary. Its uses stay; so do its synonyms (still folded)."""
    project = tag.project
    policy.require(actor, "tags.curate", project)
    begin(project, tag)
    require_curated(tag)
    record(
        actor,
        project,
        "uncurate",
        tag,
        utcnow(),
        description=tag.description,
        authority=tag.authority_uri,
    )
    tag.curated_at = None
    tag.curated_by_id = None
    revise(tag)
    db.session.flush()
    return tag


def add_synonym(actor: Any, tag: Tag, name: str) -> Tag:
    """Make ``#name`` a synonym of ``tag``; its uses so far are merged into ``tag``."""
    project = tag.project
    policy.require(actor, "tags.curate", project)
    name = tag_name(name, "synonym")
    policy.check_content(actor, "tag_name", project, name)
    begin(project, tag)
    require_canonical(tag)
    synonym = attach_synonym(actor, project, tag, name, utcnow())
    db.session.flush()
    signals.tag_synonym_added.send(tag, actor=actor, synonym_tag_id=synonym.id, synonym=name)
    return synonym


def attach_synonym(actor: Any, project: Project, tag: Tag, name: str, now: datetime) -> Tag:
    """Make ``#name`` a synonym of ``tag`` (its uses merged in) and record it; the caller
    holds the project's tag lock, flushes and sends the signal."""
    if name == tag.name:
        raise InvalidInput(f"#{name} is the tag itself.", {"synonym": ["Name another tag."]})
    variant = tag_row(project, name, now)
    if variant.canonical_id == tag.id:
        raise Conflict(f"#{name} is a synonym of #{tag.name} already.", {"synonym": ["Done."]})
    if variant.canonical_id is not None:
        raise already_synonym(variant, "synonym", "Remove it there first.")
    if variant.curated_at is not None:
        raise Conflict(
            f"#{name} is a curated tag.",
            {"synonym": [f"Merge #{name} into #{tag.name} if they are one concept."]},
        )
    moved: dict[str, Any] = merge_rows(variant, tag)
    record(actor, project, "add-synonym", tag, now, synonym=name, **moved)
    return variant


def remove_synonym(actor: Any, tag: Tag, name: str) -> None:
    """``#name`` stops standing for ``tag``: later uses of it form a tag of their own. Uses
    merged before stay with ``tag`` until their comment is saved again (edited, or hidden and
    shown): each save reads the comment's text anew, and ``#name`` then counts as its own tag."""
    project = tag.project
    policy.require(actor, "tags.curate", project)
    name = tag_name(name, "synonym")
    begin(project, tag)
    variant = db.session.scalar(select(Tag).where(Tag.project_id == project.id, Tag.name == name))
    if variant is None or variant.canonical_id != tag.id:
        raise NotFound(f"#{name} is not a synonym of #{tag.name}.")
    variant.canonical_id = None
    revise(variant)
    revise(tag)
    record(actor, project, "remove-synonym", tag, utcnow(), synonym=name)
    db.session.flush()


def synonyms(tag: Tag) -> list[str]:
    """Names that stand for ``tag``, alphabetically."""
    return list(
        db.session.scalars(select(Tag.name).where(Tag.canonical_id == tag.id).order_by(Tag.name))
    )


def synonyms_of(tag_ids: Iterable[int]) -> dict[int, list[str]]:
    """Synonym names of many tags at once (one query)."""
    found: dict[int, list[str]] = {}
    ids = list(tag_ids)
    if not ids:
        return found
    rows = db.session.execute(
        select(Tag.canonical_id, Tag.name).where(Tag.canonical_id.in_(ids)).order_by(Tag.name)
    )
    for canonical_id, name in rows:
        if canonical_id is not None:  # always, by the query; said for the type checker
            found.setdefault(canonical_id, []).append(name)
    return found


def vocabulary(project: Project, *, cursor: str | None, limit: int) -> Page[Tag]:
    """The project's curated tags, alphabetically (curator loaded)."""
    query = (
        select(Tag)
        .where(
            Tag.project_id == project.id, Tag.curated_at.is_not(None), Tag.canonical_id.is_(None)
        )
        .options(selectinload(Tag.curated_by))
    )
    return keyset_page(query, [Tag.name, Tag.id], cursor=cursor, limit=limit)


def history(
    *, project: Project | None = None, tag: Tag | None = None, limit: int = HISTORY_LIMIT
) -> list[TagAction]:
    """The latest curation actions of a project or on one tag, newest first."""
    query = select(TagAction).options(selectinload(TagAction.actor), selectinload(TagAction.item))
    if tag is not None:
        query = query.where(TagAction.tag_id == tag.id)
    elif project is not None:
        query = query.where(TagAction.project_id == project.id)
    return list(db.session.scalars(query.order_by(TagAction.id.desc()).limit(limit)))
