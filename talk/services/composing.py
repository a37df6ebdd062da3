"""Helping someone write a comment: a preview of how it will look, and the people an ``@`` may
name. Neither writes anything."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, or_, select

from talk import markdown, policy
from talk.extensions import db
from talk.models import Board, Comment, Discussion, Membership, Project, User
from talk.services import mentions
from talk.services.projects import ROLE_NAMES
from talk.services.validation import clean_text

SUGGESTIONS = 8
MAX_TYPED = 40  # longer than any username; a longer "q" is refused


def preview(author: User, board: Board, body: str) -> str:
    """The HTML a comment with ``body`` would show on ``board``: rendered and sanitised as
    posting renders it, with tags, mentions and item cards linked the same way."""
    policy.require(author, "comment.preview", board)
    limit = current_app.config["TALK_MAX_COMMENT_LENGTH"]
    body = clean_text(body, "body", max_length=limit)
    discussion = Discussion(board=board, project=board.project)  # never added to the session
    links = mentions.comment_links(author, discussion, body, check_limits=False)
    return markdown.render(body, links, image_hosts=board.project.image_hosts)


@dataclass(frozen=True)
class Person:
    """Someone an ``@`` may name: what their public profile shows, and their staff label."""

    username: str
    display_name: str
    label: str | None  # "Herbarium curator", "Moderator"…; None for volunteers


def suggest_people(
    viewer: User, project: Project, typed: str, *, limit: int = SUGGESTIONS
) -> list[Person]:
    """People whose username or display name starts with ``typed``: the project's members
    first, then others who commented where ``viewer`` may read; each group by username."""
    policy.require(viewer, "people.suggest", project)
    typed = clean_text(typed, "q", max_length=MAX_TYPED).removeprefix("@").lower()
    matches = or_(
        User.username_key.startswith(typed, autoescape=True),
        func.lower(User.display_name).startswith(typed, autoescape=True),
        func.lower(User.display_name).contains(" " + typed, autoescape=True),  # "Jane Smith": sm
    )
    found: list[Person] = []
    members = db.session.execute(
        select(User, Membership)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.project_id == project.id, matches)
        .order_by(User.username_key)
        .limit(limit)
    )
    for user, membership in members:
        label = (
            (membership.label or ROLE_NAMES[membership.role])
            if membership.role in ROLE_NAMES
            else None
        )
        found.append(Person(user.username, user.display_name, label))
    if len(found) < limit:
        commenters = (
            select(Comment.author_id)
            .join(Discussion, Discussion.id == Comment.discussion_id)
            .where(
                Comment.project_id == project.id,
                Comment.deleted_at.is_(None),
                Comment.hidden_at.is_(None),
                Discussion.board_id.in_(policy.readable_board_ids(viewer)),
            )
        )
        member_ids = select(Membership.user_id).where(Membership.project_id == project.id)
        others = db.session.scalars(
            select(User)
            .where(User.id.in_(commenters), User.id.not_in(member_ids), matches)
            .order_by(User.username_key)
            .limit(limit - len(found))
        )
        found += [Person(user.username, user.display_name, None) for user in others]
    return found
