"""Following and muting: what a person wants to hear about, and whom they never want to hear.

One operation per action, shared by the pages, the API and the tests: :func:`follow`,
:func:`unfollow`, :func:`follows_page`, :func:`mute_user`, :func:`unmute_user`,
:func:`mutes_page` and :func:`set_follow_on_posting`. Permissions are rules of
:mod:`talk.policy`, registered here:

- ``follow`` (a Discussion, Item, Board, Tag or Project): a person (not the operator, not a
  visitor) who may read it. Vetoes apply, as to every write.
- ``follows.manage`` (an account): list one's follows and mutes, unfollow, change the
  preference: the account's owner only. Declared a read so that no veto (a suspension) keeps
  anyone from unfollowing or unmuting.
- ``user.mute`` (the User to mute): any person, anyone but themselves; a read for the same
  reason: muting is a safety tool.

Posting in a discussion, or starting one, follows it (``origin="posted"``) unless the person
turned "follow discussions I take part in" off, or has a follow or mute of it already: the
receivers of ``comment_posted`` and ``discussion_created`` below, in the comment's transaction.
Fan-out asks :func:`interested` and :func:`muted_by` (one indexed query each).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeAlias

from sqlalchemy import bindparam, delete, exists, false, insert, literal, or_, select, union, update
from sqlalchemy.orm import aliased, selectinload

from notifications.follow_models import (
    FOLLOW_KINDS,
    LEVELS,
    Follow,
    NotificationPreference,
    UserMute,
)
from talk import policy, signals
from talk.clock import utcnow
from talk.errors import Conflict, InvalidInput, NotFound
from talk.extensions import db, upsert
from talk.models import Board, Comment, Discussion, Item, Project, Tag, User, UserBlock
from talk.pagination import Page, keyset_page
from talk.policy import Actor
from talk.services import projects, reading

Target: TypeAlias = Discussion | Item | Board | Tag | Project
_KINDS_HINT = f"One of: {', '.join(FOLLOW_KINDS)}."

_KIND_OF: dict[type, str] = {
    Discussion: "discussion",
    Item: "item",
    Board: "board",
    Tag: "tag",
    Project: "project",
}


def kind_of(target: Target) -> str:
    """``"discussion"``, ``"item"``, ``"board"``, ``"tag"`` or ``"project"``."""
    return _KIND_OF[type(target)]


def _column(kind: str) -> Any:
    return getattr(Follow, f"{kind}_id")


def title_of(target: Target) -> str:
    """How a followed thing is named in lists and messages."""
    if isinstance(target, Tag):
        return f"#{target.name}"
    return target.title


def find_target(
    viewer: Any,
    kind: str,
    *,
    target_id: int | None = None,
    project: str | None = None,
    name: str | None = None,
) -> Target:
    """The thing a follow form or API request names: a discussion, item or board by ``id``, a
    project by its slug, a tag by its project's slug and ``name`` (any spelling or synonym:
    the canonical tag). What ``viewer`` may not read is not found, as everywhere."""
    if kind not in FOLLOW_KINDS:
        raise InvalidInput(f"Nothing of kind {kind!r} can be followed.", {"type": [_KINDS_HINT]})
    if kind in ("discussion", "item", "board"):
        if target_id is None:
            raise InvalidInput(f"Name the {kind} by its id.", {"id": ["Required."]})
        if kind == "discussion":
            return reading.discussion(viewer, target_id)
        if kind == "board":
            return reading.board(viewer, target_id)
        item = db.session.get(Item, target_id)
        if item is None:
            raise NotFound(f"No item {target_id}.")
        return item
    if not project:
        raise InvalidInput(f"Name the {kind}'s project.", {"project": ["Required."]})
    if kind == "project":
        return projects.get_project(project)
    if not name:
        raise InvalidInput("Name the tag.", {"name": ["Required."]})
    return reading.tag(project, name)[1]


# --------------------------------------------------------------------------- rules


def is_person(user: Any) -> bool:
    """A logged-in account: what follows and mutes (not a visitor, not the operator)."""
    return policy.is_logged_in(user) and not policy.is_operator(user)


@policy.rule("follow")
def _may_follow(user: Any, target: Any) -> bool:
    if not is_person(user):
        return False
    if isinstance(target, Discussion):
        return policy.may(user, "discussion.read", target)
    if isinstance(target, Board):
        return policy.may(user, "board.read", target)
    return isinstance(target, Item | Tag | Project)


@policy.rule("follows.manage", read=True)
def _may_manage_follows(user: Any, account: Any) -> bool:
    return is_person(user) and isinstance(account, User) and user.id == account.id


@policy.rule("user.mute", read=True)
def _may_mute(user: Any, person: Any) -> bool:
    return is_person(user) and isinstance(person, User) and user.id != person.id


# --------------------------------------------------------------------------- follows


def follow_of(user: Any, target: Target) -> Follow | None:
    """``user``'s follow or mute of ``target`` (None for nobody's, a visitor's, the operator's)."""
    if not is_person(user):
        return None
    return db.session.scalar(
        select(Follow).where(Follow.user_id == user.id, _column(kind_of(target)) == target.id)
    )


def follow(actor: Actor, target: Target, level: str = "follow") -> Follow:
    """Follow (or, with ``level="mute"``, mute) ``target``; an existing follow of it takes the
    new level and counts as chosen from now on."""
    if level not in LEVELS:
        raise InvalidInput(f"No level {level!r}.", {"level": [f"One of: {', '.join(LEVELS)}."]})
    policy.require(actor, "follow", target)
    assert isinstance(actor, User)  # the rule admits people only
    row = follow_of(actor, target)
    if row is None:
        row = Follow(user_id=actor.id, created_at=utcnow(), **{f"{kind_of(target)}_id": target.id})
        db.session.add(row)
    row.level, row.origin = level, "chosen"
    db.session.flush()
    return row


def unfollow(actor: Actor, target: Target) -> None:
    """Stop following (or muting) ``target``; NotFound if there was nothing to stop."""
    policy.require(actor, "follows.manage", actor)
    row = follow_of(actor, target)
    if row is None:
        raise NotFound(f"You do not follow this {kind_of(target)}.")
    db.session.delete(row)
    db.session.flush()


def follows_page(actor: Actor, user: User, *, cursor: str | None, limit: int) -> Page[Follow]:
    """What ``user`` follows or mutes, newest first: for ``user`` alone."""
    policy.require(actor, "follows.manage", user)
    with_targets = [
        selectinload(Follow.discussion),
        selectinload(Follow.item).selectinload(Item.project),
        selectinload(Follow.board).selectinload(Board.project),
        selectinload(Follow.tag).selectinload(Tag.project),
        selectinload(Follow.project),
    ]
    return keyset_page(
        select(Follow).where(Follow.user_id == user.id).options(*with_targets),
        [Follow.id],
        cursor=cursor,
        limit=limit,
        descending=True,
    )


# --------------------------------------------------------------------------- muted people


def mute_user(actor: Actor, person: User) -> UserMute:
    """Hear nothing from ``person`` any more (409 if muted already)."""
    policy.require(actor, "user.mute", person)
    assert isinstance(actor, User)
    if db.session.get(UserMute, (actor.id, person.id)) is not None:
        raise Conflict(f"You have muted {person.display_name} already.")
    row = UserMute(user_id=actor.id, muted_user_id=person.id, created_at=utcnow())
    db.session.add(row)
    db.session.flush()
    return row


def unmute_user(actor: Actor, person: User) -> None:
    policy.require(actor, "follows.manage", actor)
    assert isinstance(actor, User)
    row = db.session.get(UserMute, (actor.id, person.id))
    if row is None:
        raise NotFound(f"You have not muted {person.display_name}.")
    db.session.delete(row)
    db.session.flush()


def has_muted(user: Any, person: User) -> bool:
    if not is_person(user):
        return False
    return db.session.get(UserMute, (user.id, person.id)) is not None


def mutes_page(actor: Actor, user: User, *, cursor: str | None, limit: int) -> Page[UserMute]:
    """The people ``user`` muted, latest first: for ``user`` alone."""
    policy.require(actor, "follows.manage", user)
    return keyset_page(
        select(UserMute)
        .where(UserMute.user_id == user.id)
        .options(selectinload(UserMute.muted_user)),
        [UserMute.created_at, UserMute.muted_user_id],
        cursor=cursor,
        limit=limit,
        descending=True,
    )


# --------------------------------------------------------------------------- preferences


def follows_on_posting(user: User) -> bool:
    """Whether posting in a discussion follows it for ``user`` (on unless turned off)."""
    stored = db.session.get(NotificationPreference, user.id)
    return True if stored is None else stored.follow_on_posting


def set_follow_on_posting(actor: Actor, user: User, value: bool) -> None:
    policy.require(actor, "follows.manage", user)
    stored = db.session.get(NotificationPreference, user.id)
    if stored is None:
        stored = NotificationPreference(user_id=user.id)
        db.session.add(stored)
    stored.follow_on_posting = value
    db.session.flush()


# --------------------------------------------------------------------------- fan-out


@dataclass(frozen=True)
class Interest:
    """Why a person hears about an event: the kind of their follow that decided."""

    user_id: int
    kind: str


def _most_specific(
    terms: list[Any], user_ids: list[int] | None = None
) -> dict[int, tuple[str, bool]]:
    """Each person's most specific follow among those matching any of ``terms`` (one query over
    the per-kind indexes), by user id: its kind (:data:`FOLLOW_KINDS` order) and whether it
    follows (at one kind a mute wins, so a muted discussion stays quiet in a followed
    project). Only ``user_ids`` when given."""
    query = select(Follow.user_id, Follow.level, *(_column(k) for k in FOLLOW_KINDS)).where(
        or_(*terms)
    )
    if user_ids is not None:
        query = query.where(Follow.user_id.in_(user_ids))
    rank = {kind: i for i, kind in enumerate(FOLLOW_KINDS)}
    best: dict[int, tuple[int, int, str]] = {}  # user: (rank, follow 1 / mute 0, kind)
    for row in db.session.execute(query):
        kind = next(k for k, value in zip(FOLLOW_KINDS, row[2:], strict=True) if value is not None)
        key = (rank[kind], 1 if row.level == "follow" else 0, kind)
        if row.user_id not in best or key < best[row.user_id]:
            best[row.user_id] = key
    return {user_id: (kind, bool(following)) for user_id, (_, following, kind) in best.items()}


def interested(discussion: Discussion, tag_ids: Iterable[int] = ()) -> dict[int, Interest]:
    """Who follows something an event in ``discussion`` (using the tags ``tag_ids``) touches,
    by user id; for each person the most specific of their matching follows decides
    (:func:`_most_specific`). Permissions and the actor are the caller's to check, at
    delivery time."""
    tags = sorted(set(tag_ids))
    terms = [
        Follow.discussion_id == discussion.id,
        Follow.board_id == discussion.board_id,
        Follow.project_id == discussion.project_id,
    ]
    if discussion.item_id is not None:
        terms.append(Follow.item_id == discussion.item_id)
    if tags:
        terms.append(Follow.tag_id.in_(tags))
    return {
        user_id: Interest(user_id, kind)
        for user_id, (kind, following) in _most_specific(terms).items()
        if following
    }


def muted_things(
    user_ids: Iterable[int],
    *,
    project_id: int,
    discussion: Discussion | None = None,
    item_id: int | None = None,
    tag_ids: Iterable[int] = (),
) -> set[int]:
    """Which of ``user_ids`` muted the thing an event is about: their most specific follow of
    it (:func:`_most_specific`) is a mute."""
    ids = sorted(set(user_ids))
    if not ids:
        return set()
    terms = [Follow.project_id == project_id]
    if discussion is not None:
        terms += [Follow.discussion_id == discussion.id, Follow.board_id == discussion.board_id]
    if item_id is not None:
        terms.append(Follow.item_id == item_id)
    tags = sorted(set(tag_ids))
    if tags:
        terms.append(Follow.tag_id.in_(tags))
    return {
        user_id for user_id, (_, following) in _most_specific(terms, ids).items() if not following
    }


def muted_by(recipient_ids: Iterable[int], author_id: int) -> set[int]:
    """Which of ``recipient_ids`` muted or blocked (:mod:`talk.services.blocks`) ``author_id``:
    fan-out sends them nothing of theirs — no mention, reply or quotation. One query."""
    ids = sorted(set(recipient_ids))
    if not ids:
        return set()
    muted = select(UserMute.user_id).where(
        UserMute.muted_user_id == author_id, UserMute.user_id.in_(ids)
    )
    blocked = select(UserBlock.user_id).where(
        UserBlock.blocked_user_id == author_id, UserBlock.user_id.in_(ids)
    )
    return set(db.session.scalars(union(muted, blocked)))


# --------------------------------------------------------------------------- receivers


def follow_on_posting(user: Any, discussion: Discussion) -> None:
    """Follow ``discussion`` for ``user``, who posted in it: one statement, which does nothing
    when they turned the preference off or have a follow or mute of it already (a concurrent
    post of theirs included: the unique index decides)."""
    if not is_person(user):
        return
    statement = _follow_on_posting(db.session.get_bind().dialect.name)
    db.session.execute(
        statement, {"user_id": user.id, "created_at": utcnow(), "discussion_id": discussion.id}
    )


@functools.cache
def _follow_on_posting(dialect: str) -> Any:
    """The statement, built once per engine kind with bind parameters: every post runs it."""
    turned_off = exists().where(
        NotificationPreference.user_id == bindparam("user_id"),
        NotificationPreference.follow_on_posting == false(),
    )
    values = select(
        bindparam("user_id", type_=Follow.user_id.type),
        literal("follow"),
        literal("posted"),
        bindparam("created_at", type_=Follow.created_at.type),
        bindparam("discussion_id", type_=Follow.discussion_id.type),
    ).where(~turned_off)
    return (
        upsert(Follow.__table__)  # a Core statement: the ORM would take the dict for rows
        .from_select(["user_id", "level", "origin", "created_at", "discussion_id"], values)
        .on_conflict_do_nothing()
    )


@signals.comment_posted.connect
def _followed_on_reply(comment: Comment, *, actor: Any, **_: Any) -> None:
    follow_on_posting(actor, comment.discussion)


@signals.comment_approved.connect
def _followed_on_approval(comment: Comment, **_: Any) -> None:
    follow_on_posting(comment.author, comment.discussion)


@signals.discussion_created.connect
def _followed_on_start(discussion: Discussion, *, actor: Any, **_: Any) -> None:
    follow_on_posting(actor, discussion)


def _move_follows(kind: str, old_id: int, new_id: int) -> None:
    """The follows of a thing merged into another (a tag that became a synonym, a discussion
    merged away) go to the one that stays; someone who had both keeps the one they had of the
    thing that stays."""
    column = _column(kind)
    kept = aliased(Follow)
    db.session.execute(
        delete(Follow).where(
            column == old_id,
            exists().where(getattr(kept, column.key) == new_id, kept.user_id == Follow.user_id),
        )
    )
    db.session.execute(update(Follow).where(column == old_id).values({column: new_id}))


def _move_tag_follows(old_tag_id: int, new_tag_id: int) -> None:
    _move_follows("tag", old_tag_id, new_tag_id)


@signals.discussions_merged.connect
def _discussions_merged(discussion: Discussion, *, merged: Discussion, **_: Any) -> None:
    _move_follows("discussion", merged.id, discussion.id)


@signals.comments_split.connect
def _comments_split(discussion: Discussion, *, source: Discussion, **_: Any) -> None:
    """Who followed (or muted) the discussion split from does the same with the new one: the
    replies they were told about go on there."""
    followers = select(
        Follow.user_id,
        Follow.level,
        Follow.origin,
        literal(utcnow(), Follow.created_at.type),
        literal(discussion.id),
    ).where(Follow.discussion_id == source.id)
    db.session.execute(
        insert(Follow).from_select(
            ["user_id", "level", "origin", "created_at", "discussion_id"], followers
        )
    )


@signals.tag_merged.connect
def _tag_merged(tag: Tag, *, old_tag_id: int, new_tag_id: int, **_: Any) -> None:
    _move_tag_follows(old_tag_id, new_tag_id)


@signals.tag_synonym_added.connect
def _synonym_added(tag: Tag, *, synonym_tag_id: int, **_: Any) -> None:
    _move_tag_follows(synonym_tag_id, tag.id)


# A rename keeps the tag's id, so its follows stay with it; ``tag_renamed`` needs no receiver.
