"""Consent to a project's updates (newsletters): given or withdrawn only by the person, each
answer recorded with its time, source and the words shown, never assumed.

Pages, the API, registration, joining a project and the one-click unsubscribe all call
:func:`opt_in` / :func:`opt_out` (a logged-in person's own answer through :func:`answer`, which
asks the policy); the audience of a newsletter starts from :func:`opted_in_ids`. Where each
surface asks, and why: ``docs/newsletters.md`` ("Consent").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, union, update

from notifications.follow_models import Follow
from notifications.models import OutboxMessage
from notifications.newsletter_models import (
    CONSENT_SOURCES,
    ConsentEvent,
    Newsletter,
    NewsletterDelivery,
    UpdatesConsent,
)
from talk import policy
from talk.clock import utcnow
from talk.errors import InvalidInput
from talk.extensions import db
from talk.models import Comment, Project, User
from talk.policy import Actor


@policy.rule("updates.answer", read=True)
def _may_answer(user: Any, project: Any) -> bool:
    """A person answers for themselves only. A read: a veto (a suspension) must never stop
    anyone withdrawing, and an opt-in of someone excluded from the audience mails nothing."""
    return policy.is_person(user) and isinstance(project, Project)


def wording(project: Project) -> str:
    """The sentence a person agrees to (recorded with each consent)."""
    return (
        f"Send me updates from {project.title} by email: news from the project's team, "
        "at most a few a month. I can stop them at any time from any update or my settings."
    )


def is_opted_in(user: User, project: Project) -> bool:
    row = _current(user, project)
    return bool(row is not None and row.opted_in)


def _current(user: User, project: Project) -> UpdatesConsent | None:
    return db.session.scalar(
        select(UpdatesConsent).where(
            UpdatesConsent.user_id == user.id, UpdatesConsent.project_id == project.id
        )
    )


def _answer(user: User, project: Project, opted_in: bool, source: str, shown: str) -> bool:
    """Record an answer; returns whether it changed the current one (an unchanged answer
    still goes into the history only when it is a new opt-in, with the words shown)."""
    if source not in CONSENT_SOURCES:
        raise InvalidInput(f"Unknown consent source {source!r}.", {"source": ["Unknown."]})
    now = utcnow()
    row = _current(user, project)
    if row is not None and row.opted_in == opted_in:
        return False
    if row is None:
        row = UpdatesConsent(user_id=user.id, project_id=project.id)
        db.session.add(row)
    row.opted_in, row.changed_at = opted_in, now
    db.session.add(
        ConsentEvent(
            user_id=user.id,
            project_id=project.id,
            opted_in=opted_in,
            source=source,
            wording=shown,
            created_at=now,
        )
    )
    db.session.flush()
    return True


def opt_in(user: User, project: Project, *, source: str) -> bool:
    """``user`` asks for ``project``'s updates (the words of :func:`wording` are recorded)."""
    return _answer(user, project, True, source, wording(project))


def opt_out(user: User, project: Project, *, source: str) -> bool:
    """``user`` withdraws their consent to ``project``'s updates. Updates of the project
    already in the outbox for them but not yet taken by a worker (a mail server down, a
    throttled send) never go out: they are skipped with the reason ``consent-withdrawn``."""
    changed = _answer(user, project, False, source, "")
    if changed:
        waiting = (
            select(NewsletterDelivery.outbox_id)
            .join(Newsletter, Newsletter.id == NewsletterDelivery.newsletter_id)
            .where(Newsletter.project_id == project.id, NewsletterDelivery.user_id == user.id)
            .where(NewsletterDelivery.outbox_id.is_not(None))
        )
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(waiting), OutboxMessage.state == "queued")
            .values(state="skipped", reason="consent-withdrawn")
            .execution_options(synchronize_session=False)
        )
    return changed


def answer(actor: Actor, project: Project, opted_in: bool, *, source: str) -> bool:
    """The logged-in ``actor``'s own answer about ``project``'s updates (pages, the API).
    Returns whether it changed anything."""
    policy.require(actor, "updates.answer", project)
    assert isinstance(actor, User)  # the rule admits people only
    if opted_in:
        return opt_in(actor, project, source=source)
    return opt_out(actor, project, source=source)


@dataclass(frozen=True)
class Standing:
    """A person's current answer about one project's updates, as pages and the API show it:
    ``changed_at`` None when they never answered (which is a no)."""

    project: Project
    opted_in: bool
    changed_at: datetime | None
    wording: str


def standing(user: User, project: Project) -> Standing:
    row = _current(user, project)
    return Standing(
        project,
        bool(row is not None and row.opted_in),
        None if row is None else row.changed_at,
        wording(project),
    )


def projects_to_offer(user: User) -> list[Standing]:
    """The projects whose updates the settings page offers ``user``: those they answered
    about, follow, or posted in, by title."""
    ids = union(
        select(UpdatesConsent.project_id).where(UpdatesConsent.user_id == user.id),
        select(Follow.project_id).where(
            Follow.user_id == user.id, Follow.project_id.is_not(None), Follow.level == "follow"
        ),
        select(Comment.project_id).where(Comment.author_id == user.id).distinct(),
    ).subquery()
    rows = db.session.execute(
        select(Project, UpdatesConsent)
        .where(Project.id.in_(select(ids.c[0])))
        .outerjoin(
            UpdatesConsent,
            (UpdatesConsent.project_id == Project.id) & (UpdatesConsent.user_id == user.id),
        )
        .order_by(Project.title, Project.id)
    ).all()
    return [
        Standing(
            project,
            bool(row is not None and row.opted_in),
            None if row is None else row.changed_at,
            wording(project),
        )
        for project, row in rows
    ]


def history(user: User, project: Project | None = None) -> list[ConsentEvent]:
    query = select(ConsentEvent).where(ConsentEvent.user_id == user.id)
    if project is not None:
        query = query.where(ConsentEvent.project_id == project.id)
    return list(db.session.scalars(query.order_by(ConsentEvent.id)))


def history_with_projects(user: User) -> list[tuple[ConsentEvent, Project]]:
    """``user``'s every answer, newest first, with its project (their own record)."""
    rows = db.session.execute(
        select(ConsentEvent, Project)
        .join(Project, Project.id == ConsentEvent.project_id)
        .where(ConsentEvent.user_id == user.id)
        .order_by(ConsentEvent.id.desc())
    ).all()
    return [(event, project) for event, project in rows]


def opted_in_ids(project: Project) -> Select[int]:
    """The ids of the people who currently want ``project``'s updates (nothing else checked:
    :mod:`notifications.newsletter_segments` adds verification, bans and bounces)."""
    return select(UpdatesConsent.user_id).where(
        UpdatesConsent.project_id == project.id, UpdatesConsent.opted_in.is_(True)
    )
