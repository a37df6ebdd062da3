"""The personal block of a newsletter email (``newsletter.personal``): what each recipient did
in the project since its previous update (or since they asked for updates), counted for a
whole batch of recipients in three grouped queries (``docs/newsletters.md``, "The email")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, distinct, func, or_, select

from notifications import batch_sql
from notifications.newsletter_models import Newsletter, UpdatesConsent
from talk.extensions import db
from talk.models import Comment, Discussion, TagUse, TagVerdict, User, Verdict


@dataclass(frozen=True)
class Contribution:
    """What a person did in the project since ``since`` (None: ever)."""

    comments: int
    items: int
    verified_tags: int
    since: datetime | None
    since_last_update: bool

    def sentence(self) -> str:
        """ "Since the last update you wrote 3 comments on 2 items, and experts verified 1 of
        your tags." — or "" when every count is zero."""
        if not (self.comments or self.items or self.verified_tags):
            return ""
        opening = (
            "Since the last update"
            if self.since_last_update
            else "Since you asked for updates"
            if self.since is not None
            else "So far"
        )
        verified = f"experts verified {self.verified_tags} of your tags"
        if not self.comments:
            return f"{opening} {verified}."
        wrote = f"you wrote {_count(self.comments, 'comment')}"
        if self.items:
            wrote += f" on {_count(self.items, 'item')}"
        if not self.verified_tags:
            return f"{opening} {wrote}."
        return f"{opening} {wrote}, and {verified}."


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _previous_update(newsletter: Newsletter) -> datetime | None:
    """When the project's previous update went out (None: this is its first)."""
    previous = select(func.max(Newsletter.started_at)).where(
        Newsletter.project_id == newsletter.project_id,
        Newsletter.id != newsletter.id,
        Newsletter.state.in_(("sending", "sent")),
        Newsletter.started_at.is_not(None),
    )
    if newsletter.started_at is not None:
        previous = previous.where(Newsletter.started_at < newsletter.started_at)
    return db.session.scalar(previous)


def contributions(newsletter: Newsletter, ids: Sequence[int]) -> dict[int, Contribution]:
    """What each of these people did in the newsletter's project since its previous update
    (or, before a first update, since they asked for updates; else ever): visible comments,
    the distinct items they were about, and tags of theirs (a tag they used on an item) that an
    expert verified on that item. Three queries however many people: the worker counts a
    whole batch of recipients at once."""
    last = _previous_update(newsletter)
    project_id = newsletter.project_id
    since: dict[int, datetime | None] = dict.fromkeys(ids, last)
    if last is None:
        since.update(
            db.session.execute(
                select(UpdatesConsent.user_id, UpdatesConsent.changed_at).where(
                    UpdatesConsent.project_id == project_id,
                    batch_sql.among(UpdatesConsent.user_id, ids),
                    UpdatesConsent.opted_in.is_(True),
                )
            ).all()
        )

    def after(when: Any, person: Any) -> Any:
        """Later than the person's starting point: the previous update for everyone, or
        their own consent (correlated; none counts everything)."""
        if last is not None:
            return when > last
        consented = (
            select(UpdatesConsent.changed_at)
            .where(
                UpdatesConsent.project_id == project_id,
                UpdatesConsent.user_id == person,
                UpdatesConsent.opted_in.is_(True),
            )
            .scalar_subquery()
        )
        return or_(consented.is_(None), when > consented)

    comments = db.session.execute(
        select(Comment.author_id, func.count(Comment.id), func.count(distinct(Discussion.item_id)))
        .join(Discussion, Discussion.id == Comment.discussion_id)
        .where(
            Comment.project_id == project_id,
            batch_sql.among(Comment.author_id, ids),
            Comment.deleted_at.is_(None),
            Comment.hidden_at.is_(None),
            Comment.held_at.is_(None),
            after(Comment.created_at, Comment.author_id),
        )
        .group_by(Comment.author_id)
    )
    written = {person: (count, items) for person, count, items in comments}
    verified_pairs = (  # (person, item, tag): a tag used in several comments counts once
        select(TagUse.user_id, TagVerdict.item_id, TagVerdict.tag_id)
        .join(
            TagUse,
            and_(TagUse.tag_id == TagVerdict.tag_id, TagUse.item_id == TagVerdict.item_id),
        )
        .where(
            TagVerdict.project_id == project_id,
            TagVerdict.verdict == Verdict.VERIFIED,
            batch_sql.among(TagUse.user_id, ids),
            after(TagVerdict.decided_at, TagUse.user_id),
        )
        .distinct()
        .subquery()
    )
    verified: dict[int, int] = dict(
        db.session.execute(
            select(verified_pairs.c.user_id, func.count()).group_by(verified_pairs.c.user_id)
        ).all()
    )
    return {
        person: Contribution(
            int(written.get(person, (0, 0))[0]),
            int(written.get(person, (0, 0))[1] or 0),
            int(verified.get(person, 0)),
            since[person],
            last is not None,
        )
        for person in ids
    }


def contribution(newsletter: Newsletter, person: User) -> Contribution:
    """What ``person`` did (see :func:`contributions`)."""
    return contributions(newsletter, [person.id])[person.id]
