"""Consent to a project's updates (newsletters): given or withdrawn only by the person, each
answer recorded with its time, source and the words shown, never assumed.

Pages, the API, registration, joining a project and the one-click unsubscribe all call
:func:`opt_in` / :func:`opt_out`; the audience of a newsletter starts from :func:`opted_in_ids`.
"""

from __future__ import annotations

from sqlalchemy import Select, select

from notifications.newsletter_models import CONSENT_SOURCES, ConsentEvent, UpdatesConsent
from talk.clock import utcnow
from talk.errors import InvalidInput
from talk.extensions import db
from talk.models import Project, User


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
    """``user`` withdraws their consent to ``project``'s updates."""
    return _answer(user, project, False, source, "")


def history(user: User, project: Project | None = None) -> list[ConsentEvent]:
    query = select(ConsentEvent).where(ConsentEvent.user_id == user.id)
    if project is not None:
        query = query.where(ConsentEvent.project_id == project.id)
    return list(db.session.scalars(query.order_by(ConsentEvent.id)))


def opted_in_ids(project: Project) -> Select[int]:
    """The ids of the people who currently want ``project``'s updates (nothing else checked:
    :mod:`notifications.newsletter_segments` adds verification, bans and bounces)."""
    return select(UpdatesConsent.user_id).where(
        UpdatesConsent.project_id == project.id, UpdatesConsent.opted_in.is_(True)
    )
