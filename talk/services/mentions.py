"""Mentions: ``@username``, ``@moderators``-style groups and ``^item`` references in comments.

:func:`comment_links` resolves what a comment names, once, before it is stored: the rendered
HTML links only what resolved (and :func:`sync_comment` records the same), so a link in a comment
always means a recorded mention.

- ``@username`` links to the profile and is recorded only if that person exists **and may read
  the comment** (``discussion.read``): nobody is pointed at a thread they cannot open.
- ``@moderators``, ``@experts``, ``@team``, ``@admins`` are recorded as group mentions. They
  reach several people, so an author may make them in at most
  :data:`GROUP_MENTION_COMMENTS_PER_HOUR` comments an hour in a project; a comment over that limit
  is **refused** (422, naming ``body``) rather than posted with its group mention silently
  dropped — the author would otherwise believe the team was told.
- ``^external-id`` becomes a thumbnail card when the project has that item, and is recorded so
  the item's page lists the discussions that mention it.
- Inside a quotation (a Markdown blockquote: "Reply with quote", or any ``>`` line) people and
  groups are linked but not recorded, and hashtags not counted (:class:`talk.markdown.Found`):
  quoting a comment must not notify its readers again nor count its tags twice.

Mentions are records only: the notifications package delivers them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import selectinload

from talk import markdown, policy
from talk.clock import utcnow
from talk.errors import InvalidInput
from talk.extensions import db
from talk.markdown import Found, ItemCard
from talk.models import MENTION_GROUPS, Board, Comment, Discussion, Item, Mention, MentionKind, User
from talk.services import tags

GROUP_MENTION_COMMENTS_PER_HOUR = 3
MAX_USER_MENTIONS = 20
MAX_ITEM_REFS = 50
MENTIONED_IN_LIMIT = 20


@dataclass
class CommentLinks:
    """What a comment's hashtags, mentions and item references point at (a
    :class:`talk.markdown.Links`): ``None`` from a method renders the text plainly."""

    found: Found
    project_slug: str
    tags_counted: bool
    users: dict[str, User] = field(default_factory=dict)  # lower-cased username → readers only
    items: dict[str, Item] = field(default_factory=dict)  # external id → the project's item

    @property
    def tag_names(self) -> tuple[str, ...]:
        return self.found.hashtags if self.tags_counted else ()

    def tag_url(self, name: str) -> str | None:
        normalised = tags.normalise(name)
        if not self.tags_counted or normalised is None:
            return None
        return tags.tag_path(self.project_slug, normalised)

    def user_url(self, username: str) -> str | None:
        user = self.users.get(username.lower())
        if user is None:
            return None
        return tags.site_path("users.profile", username=user.username)

    def group_url(self, group: str) -> str | None:
        """No page lists a project's team yet: group mentions are recorded, shown as text."""
        return None

    def item_card(self, external_id: str) -> ItemCard | None:
        item = self.items.get(external_id)
        if item is None:
            return None
        return ItemCard(
            url=tags.site_path(
                "projects.item", slug=self.project_slug, external_id=item.external_id
            ),
            title=item.title,
            thumbnail_url=item.thumbnail_url or item.image_url,
        )


def comment_links(
    author: User,
    discussion: Discussion,
    body: str,
    *,
    editing: Comment | None = None,
    check_limits: bool = True,
) -> CommentLinks:
    """Parse ``body`` and resolve what it names, for a comment ``author`` writes (or, with
    ``editing``, rewrites) in ``discussion`` (which may not be stored yet). With
    ``check_limits``, refuse too many hashtags or people, or a group mention over the hourly
    limit — before anything is written."""
    found = markdown.parse(body)
    board: Board = discussion.board
    if check_limits:
        tags.check_tag_count(found.hashtags)
        if (people := len(set(found.mentions))) > MAX_USER_MENTIONS:
            raise InvalidInput(
                f"A comment can mention at most {MAX_USER_MENTIONS} people.",
                {"body": [f"Mentions {people} people; name at most {MAX_USER_MENTIONS}."]},
            )
        if (referred := len(set(found.item_refs))) > MAX_ITEM_REFS:
            raise InvalidInput(
                f"A comment can refer to at most {MAX_ITEM_REFS} items.",
                {"body": [f"Refers to {referred} items; name at most {MAX_ITEM_REFS}."]},
            )
        if found.group_mentions:
            _check_group_rate(author, board.project_id, editing)
    links = CommentLinks(found, board.project.slug, tags.counts_tags(board))
    # People named only inside a quotation are linked (when they may read it), never recorded.
    quoted = sorted(set(found.quoted.mentions))[:MAX_USER_MENTIONS] if found.quoted else []
    usernames = sorted(set(found.mentions))[:MAX_USER_MENTIONS] + quoted
    if usernames:
        for user in db.session.scalars(_USERS_NAMED, {"keys": usernames}):
            if policy.may(user, "discussion.read", discussion):
                links.users[user.username_key] = user
    refs = sorted(set(found.item_refs))[:MAX_ITEM_REFS]
    if refs:
        links.items = {
            item.external_id: item
            for item in db.session.scalars(
                select(Item).where(Item.project_id == board.project_id, Item.external_id.in_(refs))
            )
        }
    return links


#: Built once with a bind parameter: every comment mentioning someone runs it.
_USERS_NAMED = select(User).where(User.username_key.in_(bindparam("keys", expanding=True)))


def people_named(links: CommentLinks, author: User, *, before: str | None = None) -> int:
    """How many people ``links`` mention (outside quotations, who may read it, not the author)
    and ``before`` (the text an edit replaces) did not: what the mentions rate limit counts."""
    named = {name.lower() for name in links.found.mentions}
    if before is not None:
        named -= {name.lower() for name in markdown.parse(before).mentions}
    return sum(1 for key, user in links.users.items() if key in named and user.id != author.id)


def _check_group_rate(author: User, project_id: int, editing: Comment | None) -> None:
    """At most :data:`GROUP_MENTION_COMMENTS_PER_HOUR` comments with a group mention per author,
    project and hour (by the injected clock). Re-saving a comment that already has one is not a
    new one."""
    group = Mention.kind == MentionKind.GROUP
    if editing is not None and editing.id is not None:
        already = db.session.scalar(
            select(Mention.id).where(Mention.comment_id == editing.id, group).limit(1)
        )
        if already is not None:
            return
    since = utcnow() - timedelta(hours=1)
    recent = (
        db.session.scalar(
            select(func.count(func.distinct(Mention.comment_id))).where(
                Mention.project_id == project_id,
                Mention.author_id == author.id,
                group,
                Mention.created_at > since,
            )
        )
        or 0
    )
    if recent >= GROUP_MENTION_COMMENTS_PER_HOUR:
        limit = GROUP_MENTION_COMMENTS_PER_HOUR
        raise InvalidInput(
            f"You have mentioned a group in {recent} comments in the last hour; the limit is "
            f"{limit}.",
            {
                "body": [
                    "Remove the @moderators, @experts, @team or @admins mention, or post it later."
                ]
            },
        )


Key = tuple[MentionKind, Any]


def _wanted(comment: Comment, links: CommentLinks) -> set[Key]:
    discussion = comment.discussion
    wanted: set[Key] = set()
    for username in links.found.mentions:  # not those inside a quotation
        user = links.users.get(username.lower())
        # nobody needs telling of their own words
        if user is not None and user.id != comment.author_id:
            wanted.add((MentionKind.USER, user.id))
    for group in links.found.group_mentions:
        if group in MENTION_GROUPS:
            wanted.add((MentionKind.GROUP, group))
    for item in links.items.values():
        if item.id != discussion.item_id:  # the thread's own item is not "mentioned in" it
            wanted.add((MentionKind.ITEM, item.id))
    return wanted


def sync_comment(
    comment: Comment,
    links: CommentLinks | None,
    *,
    visible: bool = True,
    now: datetime | None = None,
    fresh: bool = False,
) -> set[Key]:
    """Make ``comment``'s recorded mentions those ``links`` resolved — none when it is not
    ``visible`` (deleted, or hidden by a moderator). Mentions that stay keep their time, so a
    re-saved comment does not mention anyone anew. Returns what it newly recorded. ``fresh``:
    the comment was inserted in this transaction, so it has no mentions to read yet."""
    wanted = _wanted(comment, links) if visible and links and comment.is_visible else set()
    existing = {} if fresh else _recorded(comment)
    stale = [existing[key] for key in existing.keys() - wanted]
    if stale:
        db.session.execute(delete(Mention.__table__).where(Mention.__table__.c.id.in_(stale)))
    new = wanted - existing.keys()
    if new:
        now = now or utcnow()
        db.session.execute(
            Mention.__table__.insert(),
            [_row(comment, kind, target, now) for kind, target in sorted(new, key=str)],
        )
    return new


def _recorded(comment: Comment) -> dict[Key, int]:
    """The comment's recorded mentions: their ids by what they name."""
    existing: dict[Key, int] = {}
    for mention in db.session.execute(
        select(
            Mention.id, Mention.kind, Mention.user_id, Mention.group_name, Mention.item_id
        ).where(Mention.comment_id == comment.id)
    ):
        target = {
            MentionKind.USER: mention.user_id,
            MentionKind.GROUP: mention.group_name,
            MentionKind.ITEM: mention.item_id,
        }[mention.kind]
        existing[(mention.kind, target)] = mention.id
    return existing


def _row(comment: Comment, kind: MentionKind, target: Any, now: datetime) -> dict[str, Any]:
    return {
        "project_id": comment.project_id,
        "comment_id": comment.id,
        "discussion_id": comment.discussion_id,
        "author_id": comment.author_id,
        "kind": kind,
        "user_id": target if kind is MentionKind.USER else None,
        "group_name": target if kind is MentionKind.GROUP else None,
        "item_id": target if kind is MentionKind.ITEM else None,
        "created_at": now,
    }


# ------------------------------------------------------------------------------------- reading


def mentioned_in(viewer: Any, item: Item, *, limit: int = MENTIONED_IN_LIMIT) -> list[Discussion]:
    """The discussions ``viewer`` may read that mention ``item`` (``^external-id``), most
    recently active first — a bounded list, with each discussion's author loaded."""
    mentioning = select(Mention.discussion_id).where(
        Mention.item_id == item.id, Mention.kind == MentionKind.ITEM
    )
    return list(
        db.session.scalars(
            select(Discussion)
            .where(
                Discussion.id.in_(mentioning),
                Discussion.board_id.in_(policy.readable_board_ids(viewer)),
            )
            .options(selectinload(Discussion.author), selectinload(Discussion.item))
            .order_by(Discussion.last_comment_at.desc(), Discussion.id.desc())
            .limit(limit)
        )
    )
