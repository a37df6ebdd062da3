"""Notices: one sentence said to one person by another package, through the core's ``notice``
signal (:data:`talk.signals.notice`). The moderation package tells authors of decisions about
their content and account, reporters of outcomes, and moderators of new reports.

The receiver writes one :class:`NotificationEvent` (kind ``notice``) in the sender's
transaction, so a decision that rolls back tells nobody; the worker's ``notify`` job turns it
into ONE :class:`Notification` of kind ``notice`` whose ``detail`` is the notice's own kind,
``text`` its sentence and ``url`` its link. Unlike what people follow, a notice is not from a
peer: mutes do not stop it, and the sender has chosen its person (and judged what they may
see) when it sent it. Only the actor themselves (a moderator deciding about their own comment)
and disabled accounts are never told.

Email (:mod:`notifications.emails`): ``moderation.new_report``, ``moderation.new_appeal`` and
``moderation.held_post`` follow the ``reports`` category that moderators choose
(:data:`NOTICE_CATEGORIES`); every other notice is category ``moderation``, sent at once
whatever the person chose for other categories, unless they turned all email off or their
address does not work (:func:`notifications.preferences.why_not`).
"""

from __future__ import annotations

import re
from typing import Any

from flask import request
from sqlalchemy import exists, insert, select

from notifications.follows import is_person
from notifications.inbox_models import Notification, NotificationEvent
from talk import policy, signals
from talk.clock import utcnow
from talk.extensions import db
from talk.models import Comment, Discussion, Membership, Project, User

#: Longest notice kind, sentence and link (the columns' sizes).
KIND_MAX, TEXT_MAX, URL_MAX = 40, 500, 500

#: A notice kind's email category when it is not ``moderation`` (a person's choice).
NOTICE_CATEGORIES: dict[str, str] = {
    "moderation.new_report": "reports",
    "moderation.new_appeal": "reports",
    "moderation.held_post": "reports",
}

_KIND = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*")
# A path on this site: one leading slash (``//host`` would leave it), no spaces or controls.
_PATH = re.compile(r"/(?![/\\])[^\s\x00-\x1f\x7f]*")


def sentence(text: str) -> str:
    """``text`` on one line (it may become an email's subject), at most :data:`TEXT_MAX`."""
    flat = " ".join(text.split())
    return flat if len(flat) <= TEXT_MAX else flat[: TEXT_MAX - 1] + "…"


def check(kind: str, url: str) -> None:
    """Refuse a notice the signal's contract does not allow: a sender's mistake, not a
    person's input, so a ``ValueError`` (the sender's tests meet it)."""
    if len(kind) > KIND_MAX or not _KIND.fullmatch(kind):
        raise ValueError(f"notice kind {kind!r}: dotted lower-case words, ≤ {KIND_MAX} chars")
    if len(url) > URL_MAX or not _PATH.fullmatch(url):
        raise ValueError(f"notice url {url!r}: a path on this site, ≤ {URL_MAX} chars")


@signals.notice.connect
def _notice(
    user: User,
    *,
    actor: Any,
    project: Project,
    kind: str,
    text: str,
    url: str,
    discussion: Discussion | None = None,
    comment: Comment | None = None,
    **_: Any,
) -> None:
    """One event row in the sender's transaction (nothing when the actor is the person)."""
    check(kind, url)
    if is_person(actor) and actor.id == user.id:
        return
    if discussion is None and comment is not None:
        discussion = comment.discussion
    db.session.execute(
        insert(NotificationEvent).values(
            kind="notice",
            actor_id=actor.id if is_person(actor) else None,
            project_id=project.id,
            discussion_id=None if discussion is None else discussion.id,
            comment_id=None if comment is None else comment.id,
            item_id=None if discussion is None else discussion.item_id,
            created_at=utcnow(),
            payload={"user_id": user.id, "notice": kind, "text": sentence(text), "url": url},
        )
    )


def notice_rows(event: NotificationEvent) -> list[dict[str, Any]]:
    """The one notification a notice event makes (none for the actor or a disabled account)."""
    payload = event.payload or {}
    user = db.session.get(User, payload.get("user_id"))
    if user is None or user.is_disabled or user.id == event.actor_id:
        return []
    return [
        {
            "user_id": user.id,
            "kind": "notice",
            "event_id": event.id,
            "project_id": event.project_id,
            "discussion_id": event.discussion_id,
            "comment_id": event.comment_id,
            "item_id": event.item_id,
            "tag_id": None,
            "actor_id": event.actor_id,
            "detail": payload.get("notice", ""),
            "text": payload.get("text", ""),
            "url": payload.get("url"),
            "created_at": utcnow(),
        }
    ]


def notice_url(notification: Notification, *, external: bool = False) -> str:
    """A notice's link: its path, on this site (absolute when ``external``: in emails and the
    API; the worker's request context is at ``TALK_PUBLIC_URL``)."""
    path = notification.url or "/"
    return request.host_url.rstrip("/") + path if external else path


def moderates_somewhere(user: Any) -> bool:
    """Whether ``user`` moderates some project (a site admin moderates all): who is offered
    the ``reports`` email category. One indexed query."""
    if not is_person(user):
        return False
    if user.is_site_admin:
        return True
    roles = [role for role, rank in policy.RANK.items() if rank >= policy.RANK["moderator"]]
    return bool(
        db.session.scalar(
            select(exists().where(Membership.user_id == user.id, Membership.role.in_(roles)))
        )
    )
