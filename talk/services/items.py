"""Registering and finding project items."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from talk import policy, signals
from talk.clock import utcnow
from talk.errors import Conflict, InvalidInput, NotFound
from talk.extensions import db
from talk.limits import (
    MAX_ITEM_EXTERNAL_ID,
    MAX_ITEM_TITLE,
    MAX_METADATA_KEY,
    MAX_METADATA_KEYS,
    MAX_METADATA_VALUE,
    MAX_URL,
)
from talk.models import Item, Project
from talk.policy import Actor
from talk.services.validation import conflict_on_duplicate, url_problem

MAX_BATCH = 1000
MAX_ITEM_QUERY = MAX_ITEM_TITLE  # longer text can match no title or external id
URL_FIELDS = ("image_url", "thumbnail_url", "iiif_manifest_uri", "iiif_canvas_uri", "source_url")
TEXT_LIMITS = {"external_id": MAX_ITEM_EXTERNAL_ID, "title": MAX_ITEM_TITLE}


@dataclass(frozen=True)
class RowError:
    """A problem with row ``index`` (0-based) of a batch."""

    index: int
    field: str
    message: str
    duplicate: bool = False


def metadata_key(name: str) -> str:
    """What two metadata names must not share: the CSV importer's test for a repeated column
    (spaces around it and letter case ignored), with Unicode's composed forms (NFC) too."""
    return unicodedata.normalize("NFC", name.strip()).casefold()


def metadata_problems(metadata: Mapping[Any, Any]) -> list[str]:
    """Names and values of an item's metadata that cannot be stored as they were sent: a name
    with spaces around it (stored stripped, it would merge into another), two names that are
    one name (:func:`metadata_key`), a number that is not finite (``1e400`` reads as infinity)."""
    problems: list[str] = []
    seen: dict[str, str] = {}
    for name, value in metadata.items():
        if not isinstance(name, str):
            continue
        if name != name.strip():
            problems.append(f"Name {name!r} has spaces at its start or end.")
        elif (key := metadata_key(name)) in seen:
            problems.append(f"Name {name!r} is the same name as {seen[key]!r}.")
        else:
            seen[key] = name
        if isinstance(value, float) and not math.isfinite(value):
            problems.append(f"Value of {name!r} must be a finite number.")
    return problems


# How an item list may be ordered: name -> the label a form shows. Each order is served by an
# index on items (see ``Item.__table_args__``), so every page of 100,000 items costs the same.
ITEM_SORTS = {
    "registered": "Order registered",
    "newest": "Newest first",
    "discussed": "Most discussed",
    "active": "Recently active",
    "id": "Identifier (A–Z)",
}
# The orders and the filter that reveal how much an item is discussed: only for viewers who may
# read the item discussions (the same rule that shows an item's discussion count).
DISCUSSION_SORTS = frozenset({"discussed", "active"})


@dataclass(frozen=True)
class ItemQuery:
    """What a volunteer asked of a project's item list: text to find (an external id, or words
    of a title), an order, and filters (a tag, "has discussions")."""

    text: str = ""
    sort: str = "registered"
    tag: str = ""
    discussed: bool = False

    @property
    def filtered(self) -> bool:
        return bool(self.text or self.tag or self.discussed)

    def args(self) -> dict[str, str]:
        """The query as URL arguments (defaults left out), for links to its next pages."""
        values = {"q": self.text, "sort": self.sort, "tag": self.tag, "discussed": "1"}
        keep = {
            "q": bool(self.text),
            "sort": self.sort != "registered",
            "tag": bool(self.tag),
            "discussed": self.discussed,
        }
        return {name: value for name, value in values.items() if keep[name]}


def item_query(args: Mapping[str, Any], *, sees_discussions: bool) -> ItemQuery:
    """An :class:`ItemQuery` from request arguments (``q``, ``sort``, ``tag``, ``discussed``),
    or one 422 naming every argument that is not right (all of them, in one answer)."""
    problems: dict[str, list[str]] = {}
    text, tag = (_text_arg(args, name, problems) for name in ("q", "tag"))
    sort = args.get("sort") or "registered"
    if sort not in ITEM_SORTS:
        problems["sort"] = [f"Must be one of: {', '.join(ITEM_SORTS)}."]
    raw_discussed = args.get("discussed")
    if raw_discussed in (None, "", "0", "false", False):
        discussed = False
    elif raw_discussed in ("1", "true", "on", True):
        discussed = True
    else:
        discussed = False
        problems["discussed"] = ["Must be 1 (only items with discussions) or 0."]
    if not sees_discussions:
        if sort in DISCUSSION_SORTS:
            problems["sort"] = ["Item discussions are open to project members only."]
        if discussed:
            problems["discussed"] = ["Item discussions are open to project members only."]
    if problems:
        raise InvalidInput("The item search is not valid: " + _summary(problems), problems)
    return ItemQuery(text=text, sort=sort, tag=tag, discussed=discussed)


def _text_arg(args: Mapping[str, Any], name: str, problems: dict[str, list[str]]) -> str:
    value = args.get(name) or ""
    if not isinstance(value, str) or "\x00" in value:
        problems[name] = ["Must be text without NUL bytes."]
        return ""
    value = value.strip()
    if len(value) > MAX_ITEM_QUERY:
        problems[name] = [f"Longer than {MAX_ITEM_QUERY} characters."]
        return ""
    return value


def _summary(problems: Mapping[str, list[str]]) -> str:
    return " ".join(f"{name}: {' '.join(messages)}" for name, messages in problems.items())


def find_exact(project: Project, text: str) -> Item | None:
    """The item whose external id is ``text`` exactly (the unique index finds it at once)."""
    if not text:
        return None
    return db.session.scalar(
        select(Item).where(Item.project_id == project.id, Item.external_id == text)
    )


# An IIIF Image API request: {service}/{region}/{size}/{rotation}/{quality}.{format} (versions 2
# and 3), or the service's own info.json.
_IIIF_IMAGE_REQUEST = re.compile(
    r"^(?P<service>https?://[^?#]+?)"
    r"(?:/info\.json"
    r"|/(?:full|square|\d+,\d+,\d+,\d+|pct:[\d.]+,[\d.]+,[\d.]+,[\d.]+)"
    r"/\^?(?:full|max|\d+,|,\d+|\d+,\d+|!\d+,\d+|pct:[\d.]+)"
    r"/!?\d+(?:\.\d+)?"
    r"/(?:default|color|gray|bitonal|native)\.(?:jpg|jpeg|png|webp|gif|tif|tiff))$"
)


def iiif_info_url(item: Item) -> str | None:
    """The ``info.json`` of the IIIF Image API service that serves the item's image, when its
    ``image_url`` is an Image API request: the viewer then loads tiles at the zoom it needs
    (deep zoom) instead of one large image. None for any other image."""
    found = _IIIF_IMAGE_REQUEST.match(item.image_url or "")
    return f"{found['service']}/info.json" if found else None


def get_item(project: Project, external_id: str) -> Item:
    if not external_id or "\x00" in external_id:  # names nothing (PostgreSQL refuses NUL)
        raise NotFound(f"No item {external_id!r} in project {project.slug!r}.")
    item = db.session.scalar(
        select(Item).where(Item.project_id == project.id, Item.external_id == external_id)
    )
    if item is None:
        raise NotFound(f"No item {external_id!r} in project {project.slug!r}.")
    return item


def _row_problems(index: int, row: Mapping[str, Any]) -> list[RowError]:  # noqa: PLR0912
    problems: list[RowError] = []

    def bad(field: str, message: str) -> None:
        problems.append(RowError(index, field, message))

    for field, limit in TEXT_LIMITS.items():
        value = row.get(field, "")
        if not isinstance(value, str):
            bad(field, "Must be text.")
        elif "\x00" in value:
            bad(field, "Contains a NUL byte.")
        elif field == "external_id" and not value.strip():
            bad(field, "Must not be blank.")
        elif len(value.strip()) > limit:
            bad(field, f"Longer than {limit} characters.")
    for field in URL_FIELDS:
        value = row.get(field, "")
        if not isinstance(value, str):
            bad(field, "Must be text.")
        elif len(value) > MAX_URL:
            bad(field, f"Longer than {MAX_URL} characters.")
        elif problem := url_problem(value.strip()):
            bad(field, problem)
    metadata = row.get("metadata") or {}
    if not isinstance(metadata, Mapping):
        bad("metadata", "Must be an object of names and text values.")
    elif len(metadata) > MAX_METADATA_KEYS:
        bad("metadata", f"At most {MAX_METADATA_KEYS} entries.")
    else:
        for key, value in metadata.items():
            if not isinstance(key, str) or not key.strip() or len(key) > MAX_METADATA_KEY:
                bad("metadata", f"Names must be 1–{MAX_METADATA_KEY} characters of text.")
            elif not isinstance(value, str | int | float) or isinstance(value, bool):
                bad("metadata", f"Value of {key!r} must be text or a number.")
            elif len(str(value)) > MAX_METADATA_VALUE or "\x00" in str(value) or "\x00" in key:
                bad("metadata", f"Value of {key!r} is too long or contains a NUL byte.")
        for problem in metadata_problems(metadata):
            bad("metadata", problem)
    return problems


def duplicate_message(first: int) -> str:
    """A row repeating the external id of row ``first``, numbered as the fields are (0-based)."""
    return f"Same external_id as items.{first} in this batch."


def batch_duplicates(rows: Sequence[Any]) -> list[RowError]:
    """The rows repeating an earlier row's external id (spaces around it ignored)."""
    problems: list[RowError] = []
    seen: dict[str, int] = {}
    for index, row in enumerate(rows):
        external_id = row.get("external_id") if isinstance(row, Mapping) else None
        if isinstance(external_id, str) and external_id.strip():
            key = external_id.strip()
            if key in seen:
                problems.append(
                    RowError(index, "external_id", duplicate_message(seen[key]), duplicate=True)
                )
            else:
                seen[key] = index
    return problems


def check_items(project: Project, rows: Sequence[Mapping[str, Any]]) -> list[RowError]:
    """Every problem with a batch of item rows, including duplicate external ids."""
    problems = [p for index, row in enumerate(rows) for p in _row_problems(index, row)]
    problems.extend(batch_duplicates(rows))
    seen: dict[str, int] = {}
    for index, row in enumerate(rows):
        external_id = row.get("external_id")
        if isinstance(external_id, str) and external_id.strip():
            seen.setdefault(external_id.strip(), index)
    ids = list(seen)
    existing: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        existing.update(
            db.session.scalars(
                select(Item.external_id).where(
                    Item.project_id == project.id, Item.external_id.in_(chunk)
                )
            )
        )
    for external_id in sorted(existing, key=seen.__getitem__):
        problems.append(
            RowError(
                seen[external_id],
                "external_id",
                f"An item {external_id!r} is already registered in this project.",
                duplicate=True,
            )
        )
    return sorted(problems, key=lambda p: p.index)


def batch_error(problems: Sequence[RowError]) -> InvalidInput | Conflict:
    """One error for a refused batch: 409 when every problem is a duplicate, else 422."""
    fields: dict[str, list[str]] = {}
    for problem in problems:
        fields.setdefault(f"items.{problem.index}.{problem.field}", []).append(problem.message)
    rows = len({p.index for p in problems})
    message = f"{rows} row(s) have problems; nothing was registered."
    if all(p.duplicate for p in problems):
        return Conflict(message, fields)
    return InvalidInput(message, fields)


def register_items(actor: Actor, project: Project, rows: Sequence[Mapping[str, Any]]) -> list[Item]:
    """Register a batch of items: all of them, or (on any problem) none."""
    policy.require(actor, "items.register", project)
    if not rows:
        raise InvalidInput("No items given.", {"items": ["Give at least one item."]})
    if len(rows) > MAX_BATCH:
        raise InvalidInput(
            f"At most {MAX_BATCH} items per request.", {"items": [f"Got {len(rows)}."]}
        )
    problems = check_items(project, rows)
    if problems:
        raise batch_error(problems)
    return add_checked_items(actor, project, rows)


def add_checked_items(
    actor: Actor, project: Project, rows: Sequence[Mapping[str, Any]]
) -> list[Item]:
    """Insert rows that :func:`check_items` passed (the CSV importer uses this in chunks, after
    checking ``items.register`` once for the whole file)."""
    now = utcnow()
    items = [
        Item(
            project_id=project.id,
            external_id=row["external_id"].strip(),
            title=(row.get("title") or "").strip() or row["external_id"].strip(),
            item_metadata={k: str(v) for k, v in (row.get("metadata") or {}).items()},
            created_at=now,
            discussion_count=0,
            comment_count=0,
            **{field: (row.get(field) or "").strip() for field in URL_FIELDS},
        )
        for row in rows
    ]
    with conflict_on_duplicate(
        "Another request registered some of these items first; nothing was registered.",
        {"items": ["An external_id was registered concurrently."]},
    ):
        db.session.add_all(items)
    project.item_count = Project.item_count + len(items)
    db.session.flush()
    signals.items_registered.send(project, items=items, actor=actor)
    return items
