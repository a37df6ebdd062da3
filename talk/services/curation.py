"""Experts' curation of a project's tags: the curated vocabulary, synonyms, renaming and merging,
and verdicts on an item's tags.

A curated tag is a tag with ``curated_at`` set and, optionally, a description and an authority
URI (Wikidata, Getty AAT, GBIF, VIAF, …). A **synonym** is a tag row pointing at its canonical
tag (``canonical_id``); :func:`talk.services.tags.sync_comment` resolves a ``#synonym`` to the
canonical tag when a comment is saved, so new uses fold in. Making an existing volunteer tag a
synonym **merges** it: its uses move to the canonical tag and every aggregate of the canonical
tag is recounted from its uses, in one transaction, so pages, counts, search (the tag's
document lists its synonyms) and exports see one tag from then on. Renaming leaves the old name
behind as a synonym, so stored comments' links and later edits keep pointing at the tag.

Every action is one :class:`TagAction` row: who, what, when, and what changed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import aliased, selectinload

from talk import policy
from talk.clock import utcnow
from talk.errors import Conflict, InvalidInput, NotFound
from talk.extensions import db
from talk.models import (
    DiscussionTag,
    Item,
    ItemTag,
    Project,
    Tag,
    TagAction,
    TagDay,
    TagUse,
    TagUser,
    TagVerdict,
    Verdict,
)
from talk.models.tags import MAX_AUTHORITY_URI, MAX_TAG_DESCRIPTION
from talk.pagination import Page, keyset_page
from talk.services import tags

MAX_SYNONYMS = 50
MAX_VERDICT_NOTE = 500
HISTORY_LIMIT = 20

# ------------------------------------------------------------------------------- authorities

#: Authority files Talk recognises in a URI, with the pattern of their identifiers.
AUTHORITIES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Wikidata", re.compile(r"^https?://(?:www\.|m\.)?wikidata\.org/(?:wiki|entity)/(Q\d+)$")),
    ("Getty AAT", re.compile(r"^https?://vocab\.getty\.edu/(?:page/)?aat/(\d+)$")),
    ("Getty TGN", re.compile(r"^https?://vocab\.getty\.edu/(?:page/)?tgn/(\d+)$")),
    ("GBIF", re.compile(r"^https?://(?:www\.)?gbif\.org/species/(\d+)$")),
    ("VIAF", re.compile(r"^https?://(?:www\.)?viaf\.org/viaf/(\d+)/?$")),
    ("Library of Congress", re.compile(r"^https?://id\.loc\.gov/authorities/\w+/(\w+)$")),
    ("GeoNames", re.compile(r"^https?://(?:www\.|sws\.)?geonames\.org/(\d+)/?")),
)


@dataclass(frozen=True)
class Authority:
    source: str | None  # e.g. "Wikidata"; None for a link Talk does not recognise
    identifier: str | None  # e.g. "Q186386"
    uri: str

    @property
    def label(self) -> str:
        if self.source:
            return f"{self.source} {self.identifier}"
        return urlsplit(self.uri).netloc


def authority(uri: str | None) -> Authority | None:
    """What an authority URI names (``Wikidata Q186386``), for display and exports."""
    if not uri:
        return None
    for source, pattern in AUTHORITIES:
        match = pattern.match(uri)
        if match:
            return Authority(source, match.group(1), uri)
    return Authority(None, None, uri)


def check_authority_uri(uri: str | None) -> str | None:
    """A clean authority URI (http or https, no spaces), None for none; InvalidInput otherwise."""
    uri = (uri or "").strip()
    if not uri:
        return None
    try:
        parts = urlsplit(uri)
    except ValueError:  # e.g. an unclosed "[" in the host
        parts = urlsplit("")
    problem = None
    if len(uri) > MAX_AUTHORITY_URI:
        problem = f"At most {MAX_AUTHORITY_URI} characters."
    elif parts.scheme not in ("http", "https") or not parts.netloc:
        problem = "Must be a web address starting with https:// (e.g. a Wikidata item's URI)."
    elif any(ch.isspace() or ord(ch) < 32 for ch in uri):
        problem = "Must not contain spaces."
    if problem:
        raise InvalidInput("The authority link is not a web address.", {"authority_uri": [problem]})
    return uri


def _check_description(description: str | None) -> str:
    description = (description or "").strip()
    if len(description) > MAX_TAG_DESCRIPTION:
        raise InvalidInput(
            "The description is too long.",
            {"description": [f"At most {MAX_TAG_DESCRIPTION} characters."]},
        )
    if "\x00" in description:
        raise InvalidInput("The description has a NUL byte.", {"description": ["Remove it."]})
    return description


def _tag_name(name: str, field: str = "name") -> str:
    normalised = tags.normalise(name)
    if not normalised:
        raise InvalidInput(
            f"#{name} cannot be a tag name.",
            {field: ["2–64 letters, digits, '-' or '_' (a '#' in front is fine)."]},
        )
    return normalised


def parse_names(text: str | Iterable[str], field: str = "synonyms") -> list[str]:
    """Tag names from a list or from text separated by commas or spaces (``#a, b``)."""
    raw = re.split(r"[\s,]+", text) if isinstance(text, str) else list(text)
    names: list[str] = []
    for name in raw:
        if isinstance(name, str) and name.strip():
            normalised = _tag_name(name.strip(), field)
            if normalised not in names:
                names.append(normalised)
    if len(names) > MAX_SYNONYMS:
        raise InvalidInput("Too many synonyms.", {field: [f"At most {MAX_SYNONYMS} at once."]})
    return names


# ------------------------------------------------------------------------------------ locking


def _row(project: Project, name: str, now: datetime) -> Tag:
    """The project's tag row called ``name``, created (unused) when missing."""
    tags._tag_ids(project.id, [name], now)
    tag = db.session.scalar(select(Tag).where(Tag.project_id == project.id, Tag.name == name))
    assert tag is not None
    return tag


def _begin(project: Project, *current: Tag) -> None:
    """Take the project's tag lock for a curation action and re-read the tags it acts on: what
    was read before the lock may have been merged or renamed by the action that held it."""
    tags.lock_tags(project.id, exclusive=True)
    for tag in current:
        db.session.refresh(tag)


def _record(
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
        actor_id=getattr(actor, "id", None) or None,
        action=action,
        tag_id=tag.id,
        item_id=item.id if item else None,
        tag_name=tag.name,
        details=details,
        created_at=now,
    )
    db.session.add(record)
    return record


def _revise(tag: Tag) -> None:
    tag.revision = (tag.revision or 0) + 1


# ----------------------------------------------------------------------------- vocabulary


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
    name = _tag_name(name)
    description = _check_description(description)
    authority_uri = check_authority_uri(authority_uri)
    synonym_names = [n for n in parse_names(synonyms) if n != name]
    now = utcnow()
    _begin(project)
    tag = _row(project, name, now)
    if tag.canonical_id is not None:
        raise _already_synonym(tag, "name", "Curate that tag instead, or remove the synonym first.")
    if tag.curated_at is not None:
        raise Conflict(f"#{name} is curated already.", {"name": ["Edit it on its tag page."]})
    tag.curated_at = now
    tag.curated_by_id = actor.id
    tag.description = description
    tag.authority_uri = authority_uri
    _revise(tag)
    _record(actor, project, "curate", tag, now, description=description, authority=authority_uri)
    for synonym in synonym_names:
        _add_synonym(actor, project, tag, synonym, now)
    db.session.flush()
    return tag


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
    _require_curated(tag)
    changes: dict[str, Any] = {}
    if description is not None:
        description = _check_description(description)
        if description != tag.description:
            changes["description"] = [tag.description, description]
            tag.description = description
    if authority_uri is not None:
        uri = check_authority_uri(authority_uri)
        if uri != tag.authority_uri:
            changes["authority"] = [tag.authority_uri, uri]
            tag.authority_uri = uri
    if changes:
        _revise(tag)
        _record(actor, project, "edit", tag, utcnow(), **changes)
    db.session.flush()
    return tag


def uncurate(actor: Any, tag: Tag) -> Tag:
    """Take a tag out of the vocabulary. Its uses stay; so do its synonyms (still folded)."""
    project = tag.project
    policy.require(actor, "tags.curate", project)
    _begin(project, tag)
    _require_curated(tag)
    _record(
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
    _revise(tag)
    db.session.flush()
    return tag


def add_synonym(actor: Any, tag: Tag, name: str) -> Tag:
    """Make ``#name`` a synonym of ``tag``; its uses so far are merged into ``tag``."""
    project = tag.project
    policy.require(actor, "tags.curate", project)
    name = _tag_name(name, "synonym")
    _begin(project, tag)
    _require_canonical(tag)
    synonym = _add_synonym(actor, project, tag, name, utcnow())
    db.session.flush()
    return synonym


def _already_synonym(tag: Tag, field: str, advice: str) -> Conflict:
    canonical = db.session.get(Tag, tag.canonical_id)
    return Conflict(
        f"#{tag.name} is a synonym of #{canonical.name if canonical else '?'}.", {field: [advice]}
    )


def _add_synonym(actor: Any, project: Project, tag: Tag, name: str, now: datetime) -> Tag:
    if name == tag.name:
        raise InvalidInput(f"#{name} is the tag itself.", {"synonym": ["Name another tag."]})
    variant = _row(project, name, now)
    if variant.canonical_id == tag.id:
        raise Conflict(f"#{name} is a synonym of #{tag.name} already.", {"synonym": ["Done."]})
    if variant.canonical_id is not None:
        raise _already_synonym(variant, "synonym", "Remove it there first.")
    if variant.curated_at is not None:
        raise Conflict(
            f"#{name} is a curated tag.",
            {"synonym": [f"Merge #{name} into #{tag.name} if they are one concept."]},
        )
    moved = _merge_rows(variant, tag)
    _record(actor, project, "add-synonym", tag, now, synonym=name, **moved)
    return variant


def remove_synonym(actor: Any, tag: Tag, name: str) -> None:
    """``#name`` stops standing for ``tag``: later uses of it form a tag of their own. Uses
    merged before stay with ``tag`` until their comment is saved again (edited, or hidden and
    shown): each save reads the comment's text anew, and ``#name`` then counts as its own tag."""
    project = tag.project
    policy.require(actor, "tags.curate", project)
    name = _tag_name(name, "synonym")
    _begin(project, tag)
    variant = db.session.scalar(select(Tag).where(Tag.project_id == project.id, Tag.name == name))
    if variant is None or variant.canonical_id != tag.id:
        raise NotFound(f"#{name} is not a synonym of #{tag.name}.")
    variant.canonical_id = None
    _revise(variant)
    _revise(tag)
    _record(actor, project, "remove-synonym", tag, utcnow(), synonym=name)
    db.session.flush()


def rename(actor: Any, tag: Tag, new_name: str) -> Tag:
    """Give ``tag`` a new name; the old one stays as its synonym, so comments that wrote it (and
    their links) keep pointing here. A name in use by another tag is a merge, not a rename."""
    project = tag.project
    policy.require(actor, "tags.curate", project)
    new_name = _tag_name(new_name, "new_name")
    _begin(project, tag)
    _require_canonical(tag)
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
        if is_own_synonym or (unused and holder.canonical_id is None and not _has_verdicts(holder)):
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
    _revise(tag)
    db.session.flush()
    tags._tag_ids(project.id, [old_name], now)
    db.session.execute(
        update(Tag)
        .where(Tag.project_id == project.id, Tag.name == old_name)
        .values(canonical_id=tag.id, revision=Tag.revision + 1)
    )
    _record(actor, project, "rename", tag, now, old_name=old_name, new_name=new_name)
    db.session.flush()
    return tag


def _has_verdicts(tag: Tag) -> bool:
    """Whether an expert's verdict names ``tag`` (an unused tag with none is a free name; its
    record keeps the name it had)."""
    return bool(db.session.scalar(select(exists().where(TagVerdict.tag_id == tag.id))))


def merge(actor: Any, source: Tag, target: Tag) -> Tag:
    """Merge ``source`` into ``target``: one tag from now on, called ``target``'s name, with
    ``source``'s name (and its synonyms) as synonyms. ``source``'s curation, if any, is kept in
    the record only."""
    project = target.project
    policy.require(actor, "tags.curate", project)
    _begin(project, source, target)
    _require_canonical(source)
    _require_canonical(target)
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
    details.update(_merge_rows(source, target))
    _record(actor, project, "merge", target, now, **details)
    db.session.flush()
    return target


def _merge_rows(source: Tag, target: Tag) -> dict[str, int]:
    """Move ``source``'s uses and verdicts to ``target``, make it (and its synonyms) synonyms
    of ``target``, and recount ``target``'s aggregates from its uses (skipped when ``source``
    has nothing to move, as for a new synonym). Returns what moved. The caller holds the
    project's tag lock."""
    db.session.flush()
    moved_uses = source.use_count
    if moved_uses == 0 and not _has_verdicts(source):
        db.session.execute(
            update(Tag)
            .where(Tag.canonical_id == source.id)
            .values(canonical_id=target.id, revision=Tag.revision + 1)
        )
        source.canonical_id = target.id
        _revise(source)
        _revise(target)
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
    moved_verdicts = db.session.execute(
        update(TagVerdict).where(TagVerdict.tag_id == source.id).values(tag_id=target.id)
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
    _revise(source)
    _revise(target)
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


def _require_curated(tag: Tag) -> None:
    if tag.curated_at is None:
        raise InvalidInput(f"#{tag.name} is not a curated tag.", {"name": ["Curate it first."]})


def _require_canonical(tag: Tag) -> None:
    if tag.canonical_id is not None:
        raise InvalidInput(
            f"#{tag.name} is a synonym of another tag.", {"name": ["Use that tag instead."]}
        )


# -------------------------------------------------------------------------------- reading


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


# -------------------------------------------------------------------------------- verdicts


def set_verdict(actor: Any, item: Item, tag: Tag, verdict: str, note: str = "") -> TagVerdict:
    """Record an expert's verdict (``verified`` or ``rejected``) on ``tag`` for ``item``,
    replacing an earlier one. The tag need not be on the item yet: an expert may verify a
    curated tag directly. Verdicts are rare: they take the project's tag lock alone, so two
    experts deciding at once, or a merge moving verdicts, run one after the other."""
    project = item.project
    policy.require(actor, "tags.verify", project)
    if tag.project_id != item.project_id:
        raise NotFound(f"No tag #{tag.name} in project {project.slug!r}.")
    _begin(project, tag)
    _require_canonical(tag)
    try:
        value = Verdict(verdict)
    except ValueError:
        raise InvalidInput(
            "Unknown verdict.", {"verdict": ["Either 'verified' or 'rejected'."]}
        ) from None
    note = (note or "").strip()
    if len(note) > MAX_VERDICT_NOTE:
        raise InvalidInput(
            "The note is too long.", {"note": [f"At most {MAX_VERDICT_NOTE} characters."]}
        )
    if "\x00" in note:
        raise InvalidInput("The note has a NUL byte.", {"note": ["Remove it."]})
    now = utcnow()
    row = db.session.get(TagVerdict, (item.id, tag.id))
    if row is None:
        row = TagVerdict(item_id=item.id, tag_id=tag.id, project_id=item.project_id)
        db.session.add(row)
    row.verdict = value
    row.decided_by_id = actor.id
    row.decided_at = now
    row.note = note
    _record(
        actor,
        project,
        "verify" if value is Verdict.VERIFIED else "reject",
        tag,
        now,
        item,
        note=note,
    )
    db.session.flush()
    return row


def clear_verdict(actor: Any, item: Item, tag: Tag) -> None:
    project = item.project
    policy.require(actor, "tags.verify", project)
    _begin(project, tag)
    row = db.session.get(TagVerdict, (item.id, tag.id))
    if row is None:
        raise NotFound(f"#{tag.name} has no verdict on this item.")
    db.session.delete(row)
    _record(actor, project, "clear-verdict", tag, utcnow(), item, was=row.verdict.value)
    db.session.flush()


def verdicts_on(tag: Tag, item_ids: Iterable[int]) -> dict[int, Verdict]:
    """The verdicts on ``tag`` for some items (a page of the tag's items), by item id."""
    ids = list(item_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(TagVerdict.item_id, TagVerdict.verdict).where(
            TagVerdict.tag_id == tag.id, TagVerdict.item_id.in_(ids)
        )
    )
    return dict(rows.all())


@dataclass(frozen=True)
class ItemTagEntry:
    """One tag as an item page shows it: volunteers' uses (0 if only an expert put it there)
    and the expert's verdict, if any."""

    tag: Tag
    use_count: int
    first_used_at: datetime | None  # None when only an expert put the tag there
    verdict: TagVerdict | None


def item_tag_entries(item: Item, *, limit: int = 100) -> list[ItemTagEntry]:
    """An item's tags with their verdicts: verified first, then by uses; rejected last. Tags
    an expert verified that no comment uses yet are included (two queries in all)."""
    used = tags.item_tags(item, limit=limit)
    verdicts = {
        v.tag_id: v
        for v in db.session.scalars(
            select(TagVerdict)
            .where(TagVerdict.item_id == item.id)
            .options(
                selectinload(TagVerdict.tag).selectinload(Tag.curated_by),
                selectinload(TagVerdict.decided_by),
            )
        )
    }
    entries = [
        ItemTagEntry(row.tag, row.use_count, row.first_used_at, verdicts.pop(row.tag_id, None))
        for row in used
    ]
    entries += [
        ItemTagEntry(v.tag, 0, None, v) for v in verdicts.values() if v.verdict is Verdict.VERIFIED
    ]

    def order(entry: ItemTagEntry) -> tuple[int, int, str]:
        rank = 1
        if entry.verdict is not None:
            rank = 0 if entry.verdict.verdict is Verdict.VERIFIED else 2
        return (rank, -entry.use_count, entry.tag.name)

    return sorted(entries, key=order)


@dataclass(frozen=True)
class VerdictRow:
    """One row of the verified-tags export."""

    verdict: TagVerdict
    item: Item
    tag: Tag
    synonyms: list[str]


VERDICT_STATUSES = ("verified", "rejected", "all")


def check_status(status: str) -> None:
    """Refuse an export status other than :data:`VERDICT_STATUSES` (before a download starts)."""
    if status not in VERDICT_STATUSES:
        raise InvalidInput("Unknown status.", {"status": ["verified, rejected or all."]})


def verdict_rows(
    project: Project, *, status: str = "verified", batch: int = 500
) -> Iterator[VerdictRow]:
    """Every verdict of the project (``status``: verified, rejected or all), by item and tag,
    read page by page so an export of any size holds one page in memory."""
    cursor: str | None = None
    while True:
        page = verdicts_page(project, status=status, cursor=cursor, limit=batch)
        names = synonyms_of({row.tag_id for row in page.rows})
        for row in page.rows:
            yield VerdictRow(row, row.item, row.tag, names.get(row.tag_id, []))
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def verdicts_page(
    project: Project, *, status: str = "verified", cursor: str | None, limit: int
) -> Page[TagVerdict]:
    """Verdicts by item and tag, as cursor pages (the API's export, and the files')."""
    check_status(status)
    query = (
        select(TagVerdict)
        .where(TagVerdict.project_id == project.id)
        .options(
            selectinload(TagVerdict.item),
            selectinload(TagVerdict.tag),
            selectinload(TagVerdict.decided_by),
        )
    )
    if status != "all":
        query = query.where(TagVerdict.verdict == Verdict(status))
    return keyset_page(query, [TagVerdict.item_id, TagVerdict.tag_id], cursor=cursor, limit=limit)
