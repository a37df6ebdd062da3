"""Experts' verdicts on an item's tags (verified or rejected), the item's tags as its page shows
them, and the verdicts as a catalogue export."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from talk import policy, signals
from talk.clock import utcnow
from talk.errors import InvalidInput, NotFound
from talk.extensions import db
from talk.limits import MAX_VERDICT_NOTE
from talk.models import Item, Project, Tag, TagVerdict, Verdict
from talk.pagination import Page, keyset_page
from talk.services import tags
from talk.services.curation.common import begin, record, require_canonical
from talk.services.curation.vocabulary import synonyms_of


def set_verdict(actor: Any, item: Item, tag: Tag, verdict: str, note: str = "") -> TagVerdict:
    """Record an expert's verdict (``verified`` or ``rejected``) on ``tag`` for ``item``,
    replacing an earlier one. The tag need not be on the item yet: an expert may verify a
    curated tag directly. Verdicts are rare: they take the project's tag lock alone, so two
    experts deciding at once, or a merge moving verdicts, run one after the other."""
    project = item.project
    policy.require(actor, "tags.verify", project)
    if tag.project_id != item.project_id:
        raise NotFound(f"No tag #{tag.name} in project {project.slug!r}.")
    begin(project, tag)
    require_canonical(tag)
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
    previous = row.verdict if row is not None else None
    if row is None:
        row = TagVerdict(item_id=item.id, tag_id=tag.id, project_id=item.project_id)
        db.session.add(row)
    row.verdict = value
    row.decided_by_id = actor.id
    row.decided_at = now
    row.note = note
    record(
        actor,
        project,
        "verify" if value is Verdict.VERIFIED else "reject",
        tag,
        now,
        item,
        note=note,
    )
    db.session.flush()
    signals.verdict_set.send(row, actor=actor, previous=previous)
    return row


def clear_verdict(actor: Any, item: Item, tag: Tag) -> None:
    """Withdraw the verdict on ``tag`` for ``item`` (NotFound if there is none)."""
    project = item.project
    policy.require(actor, "tags.verify", project)
    begin(project, tag)
    row = db.session.get(TagVerdict, (item.id, tag.id))
    if row is None:
        raise NotFound(f"#{tag.name} has no verdict on this item.")
    db.session.delete(row)
    record(actor, project, "clear-verdict", tag, utcnow(), item, was=row.verdict.value)
    db.session.flush()
    signals.verdict_withdrawn.send(row, actor=actor)


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
