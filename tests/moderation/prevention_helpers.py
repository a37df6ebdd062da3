"""Building prevention settings and posting through the services, for the prevention tests."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, select

from moderation import prevention
from talk.extensions import db
from talk.models import Comment, Discussion, Project, User
from talk.services import discussions, held
from tests.conftest import Factory


def watch(make: Factory, project: SimpleNamespace, pattern: str, **kwargs: Any) -> None:
    kwargs.setdefault("category", "abuse")
    with make.context():
        prevention.add_watched_word(
            db.session.get(User, project.owner.id),
            db.session.get(Project, project.id),
            pattern=pattern,
            **kwargs,
        )


def historical(make: Factory, project: SimpleNamespace, term: str) -> None:
    with make.context():
        prevention.add_historical_term(
            db.session.get(User, project.owner.id), db.session.get(Project, project.id), term
        )


def limit(make: Factory, project: SimpleNamespace, **kwargs: Any) -> None:
    with make.context():
        prevention.set_limits(
            db.session.get(User, project.owner.id), db.session.get(Project, project.id), **kwargs
        )


def post(make: Factory, thread: SimpleNamespace, author: SimpleNamespace, body: str) -> Any:
    """Post through the service: the comment's snapshot, or the refusal raised."""
    with make.context():
        comment = discussions.post_comment(
            db.session.get(User, author.id), discussions.get_discussion(thread.id), body
        )
        return SimpleNamespace(id=comment.id, held=comment.is_held, html=comment.body_html)


def decide(make: Factory, moderator: SimpleNamespace, comment_id: int, reason: str | None = None):
    with make.context():
        comment = db.session.get(Comment, comment_id)
        actor = db.session.get(User, moderator.id)
        if reason is None:
            held.approve_comment(actor, comment)
        else:
            held.reject_comment(actor, comment, reason)


def shown_count(make: Factory, thread: SimpleNamespace) -> int:
    with make.context():
        stored = db.session.get(Discussion, thread.id).comment_count
        recounted = db.session.scalar(
            select(func.count(Comment.id)).where(
                Comment.discussion_id == thread.id,
                Comment.hidden_at.is_(None),
                Comment.deleted_at.is_(None),
            )
        )
        assert stored == recounted
        return stored
