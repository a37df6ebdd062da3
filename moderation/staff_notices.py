"""Telling a project's moderators that something waits for them: a new case (a report or a
watched word's flag), a held post, an appeal. One ``notice`` each (the core's signal; the
notifications package delivers the ``moderation.new_report``, ``moderation.held_post`` and
``moderation.new_appeal`` kinds at the frequency the moderator chose for "reports")."""

from __future__ import annotations

from sqlalchemy import select

from talk import policy, signals
from talk.extensions import db
from talk.models import Comment, Discussion, Membership, Project, User
from talk.policy import Actor


def moderators_of(project: Project) -> list[User]:
    """The project's moderators and admins (its members ranked moderator or above)."""
    roles = [role for role, rank in policy.RANK.items() if rank >= policy.RANK["moderator"]]
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.project_id == project.id, Membership.role.in_(roles))
            .order_by(User.id)
        )
    )


def tell_moderators(
    actor: Actor,
    project: Project,
    kind: str,
    text: str,
    url: str,
    *,
    discussion: Discussion | None = None,
    comment: Comment | None = None,
) -> None:
    """One notice to each of ``project``'s moderators (the notice's receiver tells nobody of
    what they did themselves, so ``actor`` is left out there)."""
    for moderator in moderators_of(project):
        signals.notice.send(
            moderator,
            actor=actor,
            project=project,
            kind=kind,
            text=text,
            url=url,
            discussion=discussion,
            comment=comment,
        )
