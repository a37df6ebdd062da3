"""Who receives a newsletter: a segment of the people opted in to the project's updates.

Every segment starts from the current consents (:func:`notifications.consent.opted_in_ids`) and
keeps only people who may be mailed now: a verified address, an account not closed, an address
the outbox has not disabled or seen bounce, "no email from Talk at all" not switched on, and
nobody a package excludes
(:func:`talk.policy.audience_exclusions`: moderation's suspensions and bans). Segments only
narrow that set (each adds a condition to it); none widens it.

A segment is a small dict stored on the newsletter (``docs/newsletters.md``, "Segments"):

- ``{"kind": "everyone"}``;
- ``{"kind": "active", "days": 30}``: wrote a comment in the project in the last ``days``;
- ``{"kind": "lapsed", "days": 90}``: wrote none there in the last ``days`` and opted in before
  that (someone who asked for updates last week has not lapsed);
- ``{"kind": "tag_followers", "tag": "ward-7"}``: follow a curated tag of the project;
- ``{"kind": "board_followers", "board_id": 3}``: follow a board of the project;
- ``{"kind": "tag_group", "group": "<slug or id>"}``: commented on an item the tag group holds.

:func:`validate` resolves names to ids once (a tag's, a group's), so a later rename does not
lose the audience; the audience is always one SQL query, never a list of ids in Python, so a
project of 100,000 volunteers counts in well under a second. A deleted comment is no activity.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, false, func, select

from notifications import batch_sql, consent
from notifications.follow_models import Follow
from notifications.models import MailAddress
from notifications.newsletter_models import UpdatesConsent
from notifications.preferences_models import EmailSwitch
from talk import policy
from talk.errors import InvalidInput
from talk.extensions import db
from talk.limits import MAX_ID
from talk.models import Board, Comment, Discussion, Project, Tag, TagGroup, User
from talk.services import tag_matching, tags

#: The segments a composer chooses from, with what each means.
SEGMENTS: dict[str, str] = {
    "everyone": "Everyone who asked for this project's updates",
    "active": "Volunteers who commented in the project in the last N days",
    "lapsed": "Volunteers who have not commented in the project for N days (to win them back)",
    "tag_followers": "Followers of a curated tag",
    "board_followers": "Followers of a board",
    "tag_group": "Volunteers who commented on the items of a tag group",
}

#: The fields each kind takes, besides ``kind`` (what a composer gives; ids are added).
FIELDS: dict[str, tuple[str, ...]] = {
    "everyone": (),
    "active": ("days",),
    "lapsed": ("days",),
    "tag_followers": ("tag",),
    "board_followers": ("board_id",),
    "tag_group": ("group",),
}

MIN_DAYS, MAX_DAYS = 1, 3650

#: Fields :func:`validate` writes itself; given back (a segment read from the API and sent
#: again), they are recomputed, never trusted.
_RESOLVED = {"tag_followers": ("tag_id",), "tag_group": ("group_id",)}


def _invalid(name: str, problem: str, message: str) -> InvalidInput:
    return InvalidInput(message, {f"segment.{name}": [problem]})


def _whole(raw: Any, name: str, low: int, high: int) -> int:
    """A whole number from JSON or a form (``30`` or ``"30"``), within ``low..high``."""
    if isinstance(raw, str) and _decimal(raw.strip()) and len(raw.strip()) <= 12:
        raw = int(raw.strip())
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise _invalid(name, "Must be a whole number.", f"The segment's {name} is not a number.")
    if not low <= raw <= high:
        raise _invalid(
            name,
            f"Must be from {low} to {high}.",
            f"The segment's {name} must be from {low} to {high}.",
        )
    return raw


def _decimal(text: str) -> bool:
    """ASCII digits only: ``"²".isdigit()`` is true, yet ``int("²")`` raises."""
    return text.isascii() and text.isdecimal()


def _text(raw: Any, name: str) -> str:
    if not isinstance(raw, (str, int)) or isinstance(raw, bool) or not str(raw).strip():
        raise _invalid(name, "Required.", f"The segment needs a {name}.")
    return str(raw).strip()


def validate(project: Project, raw: Any) -> dict[str, Any]:
    """The segment ``raw`` names, checked and normalised (None: everyone opted in). A tag,
    board or group must be ``project``'s; a bad field answers 422 naming it."""
    if raw is None or raw in ("", {}):
        return {"kind": "everyone"}
    if isinstance(raw, str):
        raw = {"kind": raw}
    if (
        not isinstance(raw, dict)
        or not isinstance(raw.get("kind"), str)
        or raw["kind"] not in SEGMENTS
    ):
        raise InvalidInput(
            f"Unknown segment; choose one of: {', '.join(SEGMENTS)}.",
            {"segment.kind": [f"One of: {', '.join(SEGMENTS)}."]},
        )
    kind: str = raw["kind"]
    allowed = {"kind", *FIELDS[kind], *_RESOLVED.get(kind, ())}
    unknown = sorted(str(key) for key in raw if key not in allowed)
    if unknown:
        raise InvalidInput(
            f"A {kind} segment has no field {', '.join(unknown)}.",
            {f"segment.{key}": ["Unknown field."] for key in unknown},
        )
    missing = [name for name in FIELDS[kind] if raw.get(name) is None]
    if missing:
        raise InvalidInput(
            f"A {kind} segment needs {', '.join(missing)}.",
            {f"segment.{name}": ["Required."] for name in missing},
        )
    if kind in ("active", "lapsed"):
        return {"kind": kind, "days": _whole(raw["days"], "days", MIN_DAYS, MAX_DAYS)}
    if kind == "tag_followers":
        tag = _curated_tag(project, _text(raw["tag"], "tag"))
        return {"kind": kind, "tag": tag.name, "tag_id": tag.id}
    if kind == "board_followers":
        board_id = _whole(raw["board_id"], "board_id", 1, MAX_ID)
        board = db.session.get(Board, board_id)
        if board is None or board.project_id != project.id:
            raise _invalid(
                "board_id", "No such board here.", f"No board {board_id} in this project."
            )
        return {"kind": kind, "board_id": board.id}
    if kind == "tag_group":
        group = _group(project, _text(raw["group"], "group"))
        return {"kind": kind, "group": group.slug, "group_id": group.id}
    return {"kind": kind}


def _curated_tag(project: Project, name: str) -> Tag:
    tag = tags.find_tag(project, name.removeprefix("#"))
    if tag is None or tag.curated_at is None:
        raise _invalid(
            "tag",
            "Not a curated tag of this project.",
            f"#{name.removeprefix('#')} is not in this project's curated tags.",
        )
    return tag


def _group(project: Project, named: str) -> TagGroup:
    query = select(TagGroup).where(TagGroup.project_id == project.id)
    if _decimal(named):  # an id: one no bigger than MAX_ID names no group at all
        group_id = int(named) if len(named) <= len(str(MAX_ID)) else 0
        query = query.where(TagGroup.id == (group_id if group_id <= MAX_ID else 0))
    else:
        query = query.where(TagGroup.slug == named)
    group = db.session.scalar(query)
    if group is None:
        raise _invalid("group", "No such tag group here.", f"No tag group {named!r} here.")
    return group


def describe(segment: dict[str, Any]) -> str:
    """The segment in words, for the composer and the newsletter's page."""
    kind = segment.get("kind", "everyone")
    if kind == "active":
        return f"Volunteers who commented in the last {segment['days']} days"
    if kind == "lapsed":
        return f"Volunteers who have not commented for {segment['days']} days"
    if kind == "tag_followers":
        return f"Followers of #{segment['tag']}"
    if kind == "board_followers":
        board = db.session.get(Board, segment["board_id"])
        return f"Followers of the board {board.title if board else '(deleted)'}"
    if kind == "tag_group":
        return f"Volunteers who commented on the items of the tag group {segment['group']}"
    return SEGMENTS["everyone"]


# --- the audience as SQL ---------------------------------------------------------------------


def _commenters_since(project: Project, since: datetime) -> Select[int]:
    return select(Comment.author_id).where(
        Comment.project_id == project.id,
        Comment.created_at >= since,
        Comment.deleted_at.is_(None),
    )


def _item_commenters(project: Project, group_id: int) -> Select[int] | None:
    """The people who commented about an item the group holds now (None: no such group, or
    it holds no item)."""
    group = db.session.get(TagGroup, group_id)
    if group is None or group.project_id != project.id:
        return None
    found = tag_matching.group_matches(group).item_ids
    if found is None:
        return None
    items = found.rows.subquery()
    return (
        select(Comment.author_id)
        .join(Discussion, Discussion.id == Comment.discussion_id)
        .where(
            Discussion.item_id.in_(select(items.c.item_id)),
            Discussion.project_id == project.id,
            Comment.deleted_at.is_(None),
        )
    )


def _narrowing(project: Project, segment: dict[str, Any], now: datetime) -> ColumnElement[bool]:
    """The condition on ``User.id`` that the segment adds to the mailable opted-in people."""
    kind = segment.get("kind", "everyone")
    if kind == "active":
        return User.id.in_(_commenters_since(project, now - timedelta(days=segment["days"])))
    if kind == "lapsed":
        since = now - timedelta(days=segment["days"])
        opted_in_before = select(UpdatesConsent.user_id).where(
            UpdatesConsent.project_id == project.id,
            UpdatesConsent.opted_in.is_(True),
            UpdatesConsent.changed_at <= since,
        )
        return User.id.in_(opted_in_before) & User.id.not_in(_commenters_since(project, since))
    if kind == "tag_followers":
        canonical = select(func.coalesce(Tag.canonical_id, Tag.id)).where(
            Tag.id == segment["tag_id"], Tag.project_id == project.id
        )
        return User.id.in_(
            select(Follow.user_id).where(Follow.tag_id.in_(canonical), Follow.level == "follow")
        )
    if kind == "board_followers":
        board = select(Board.id).where(
            Board.id == segment["board_id"], Board.project_id == project.id
        )
        return User.id.in_(
            select(Follow.user_id).where(Follow.board_id.in_(board), Follow.level == "follow")
        )
    if kind == "tag_group":
        commenters = _item_commenters(project, segment["group_id"])
        return false() if commenters is None else User.id.in_(commenters)
    if kind == "everyone":
        return User.id.is_not(None)
    return false()  # a kind no longer known reaches nobody


def audience(
    project: Project,
    segment: dict[str, Any],
    now: datetime,
    among: Sequence[int] | None = None,
) -> Select[int]:
    """The ids of the people ``segment`` of ``project`` reaches at ``now`` (``among`` these
    only, when given: the consents read are theirs alone, not every opted-in person's as
    SQLite otherwise listed for each batch of a sending)."""
    opted_in = consent.opted_in_ids(project)
    if among is not None:
        opted_in = opted_in.where(batch_sql.among(UpdatesConsent.user_id, among))
    mailable = (
        select(User.id)
        .where(User.id.in_(opted_in))
        .where(User.email_verified_at.is_not(None), User.disabled_at.is_(None))
        .where(
            ~select(MailAddress.address)
            .where(MailAddress.address == func.lower(User.email), MailAddress.state != "ok")
            .exists()
        )
        .where(
            ~select(EmailSwitch.user_id)
            .where(EmailSwitch.user_id == User.id, EmailSwitch.everything_off.is_(True))
            .exists()
        )
        .where(_narrowing(project, segment, now))
    )
    for excluded in policy.audience_exclusions(project, now):
        mailable = mailable.where(User.id.not_in(excluded))
    return mailable if among is None else mailable.where(batch_sql.among(User.id, among))


def count(project: Project, segment: dict[str, Any], now: datetime) -> int:
    """How many people ``segment`` reaches now (what the composer shows before sending)."""
    ids = audience(project, segment, now).subquery()
    return int(db.session.scalar(select(func.count()).select_from(ids)) or 0)
