"""Newsletters (a project's updates to the volunteers who asked for them): writing, editing,
scheduling and cancelling. Pages, the API and the CLI share these; sending is
:mod:`notifications.newsletter_sending`, who receives one :mod:`notifications.newsletter_segments`,
what the email says :mod:`notifications.newsletter_mail`.

Permissions: ``newsletter.compose`` (a project): its owners, admins and team members, and site
admins; ``newsletter.read`` (a newsletter): anyone once it is sent (projects are public), otherwise
those who compose.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import Select, select

from notifications import newsletter_segments
from notifications.newsletter_models import (
    MAX_SENDER_NAME,
    MAX_SUBJECT,
    Newsletter,
    NewsletterSender,
)
from talk import policy
from talk.clock import utcnow
from talk.errors import Conflict, InvalidInput, NotFound
from talk.extensions import db
from talk.models import Project
from talk.policy import Actor, is_site_admin, role_in
from talk.services.validation import clean_text

#: Roles that write a project's updates (besides site admins).
COMPOSERS = ("team", "admin", "owner")

#: States in which a newsletter can still be changed (editing a cancelled one makes it a draft).
EDITABLE = ("draft", "scheduled", "cancelled")


@policy.rule("newsletter.compose")
def _compose(user: Any, project: Project) -> bool:
    return is_site_admin(user) or role_in(user, project) in COMPOSERS


@policy.rule("newsletter.read", read=True)
def _read(user: Any, newsletter: Newsletter) -> bool:
    return newsletter.state == "sent" or _compose(user, newsletter.project)


class AlreadySent(Conflict):
    """A newsletter whose sending started cannot be changed, rescheduled or cancelled."""

    code = "newsletter_already_sent"


def _subject(subject: str) -> str:
    subject = clean_text(subject, "subject", max_length=MAX_SUBJECT)
    if "\n" in subject or "\r" in subject:
        raise InvalidInput("A subject is one line.", {"subject": ["Must be one line."]})
    return subject


def _body(body: str) -> str:
    return clean_text(body, "body", max_length=current_app.config["TALK_MAX_COMMENT_LENGTH"])


def create(
    actor: Actor,
    project: Project,
    *,
    subject: str,
    body: str,
    segment: Any = None,
    personal: bool = True,
) -> Newsletter:
    """A new draft of ``project``'s update (``segment`` None: everyone opted in)."""
    policy.require(actor, "newsletter.compose", project)
    now = utcnow()
    newsletter = Newsletter(
        project=project,
        author_id=getattr(actor, "id", None),
        subject=_subject(subject),
        body=_body(body),
        segment=newsletter_segments.validate(project, segment),
        personal=bool(personal),
        state="draft",
        created_at=now,
        updated_at=now,
    )
    db.session.add(newsletter)
    db.session.flush()
    return newsletter


def _unsent(newsletter: Newsletter) -> None:
    if newsletter.state not in EDITABLE:
        raise AlreadySent(
            f"This update is already {newsletter.state}: it cannot be changed, rescheduled or "
            "cancelled any more.",
            {"state": [newsletter.state]},
        )


def _lock(newsletter: Newsletter) -> None:
    """Re-read ``newsletter`` locked (PostgreSQL), so an edit and the worker starting it to
    send run one after the other, each seeing the other's state."""
    db.session.refresh(newsletter, with_for_update=True)


def update(actor: Actor, newsletter: Newsletter, **changes: Any) -> Newsletter:
    """Change a newsletter not yet sending: ``subject``, ``body``, ``segment``, ``personal``."""
    policy.require(actor, "newsletter.compose", newsletter.project)
    _lock(newsletter)
    _unsent(newsletter)
    unknown = set(changes) - {"subject", "body", "segment", "personal"}
    if unknown:
        raise InvalidInput(
            f"Unknown field(s): {', '.join(sorted(unknown))}.", {k: ["Unknown."] for k in unknown}
        )
    if "subject" in changes:
        newsletter.subject = _subject(changes["subject"])
    if "body" in changes:
        newsletter.body = _body(changes["body"])
    if "segment" in changes:
        newsletter.segment = newsletter_segments.validate(newsletter.project, changes["segment"])
    if "personal" in changes:
        newsletter.personal = bool(changes["personal"])
    if newsletter.state == "cancelled":
        newsletter.state, newsletter.scheduled_at = "draft", None
    newsletter.updated_at = utcnow()
    db.session.flush()
    return newsletter


def delete(actor: Actor, newsletter: Newsletter) -> None:
    """Delete a newsletter that never started sending."""
    policy.require(actor, "newsletter.compose", newsletter.project)
    _lock(newsletter)
    _unsent(newsletter)
    db.session.delete(newsletter)
    db.session.flush()


def schedule(actor: Actor, newsletter: Newsletter, at: datetime | str) -> Newsletter:
    """Send at ``at`` (an aware time in the future) or ``"now"`` (the worker starts it at its
    next run; ``talk newsletter send`` starts it at once)."""
    policy.require(actor, "newsletter.compose", newsletter.project)
    _lock(newsletter)
    _unsent(newsletter)
    now = utcnow()
    if at == "now":
        when = now
    elif isinstance(at, datetime):
        if at.tzinfo is None:
            raise InvalidInput(
                "A time to send needs its time zone (e.g. 2026-12-01T09:00:00+00:00).",
                {"at": ["Give a time zone."]},
            )
        if at < now:
            raise InvalidInput("That time has passed.", {"at": ["In the past."]})
        when = at
    else:
        raise InvalidInput('Give "now" or a date and time.', {"at": ["Not a time."]})
    newsletter.state, newsletter.scheduled_at, newsletter.updated_at = "scheduled", when, now
    db.session.flush()
    return newsletter


def cancel(actor: Actor, newsletter: Newsletter) -> Newsletter:
    """Stop a scheduled newsletter before it starts (it stays, as ``cancelled``, to edit)."""
    policy.require(actor, "newsletter.compose", newsletter.project)
    _lock(newsletter)
    _unsent(newsletter)
    if newsletter.state != "scheduled":
        raise Conflict("Only a scheduled update can be cancelled.", {"state": [newsletter.state]})
    newsletter.state, newsletter.scheduled_at, newsletter.updated_at = "cancelled", None, utcnow()
    db.session.flush()
    return newsletter


def get(actor: Actor, project: Project, newsletter_id: int) -> Newsletter:
    """The project's newsletter ``newsletter_id`` if ``actor`` may read it; 404 otherwise (a
    draft's existence is not told to those who may not see it)."""
    newsletter = db.session.get(Newsletter, newsletter_id)
    if (
        newsletter is None
        or newsletter.project_id != project.id
        or not policy.may(actor, "newsletter.read", newsletter)
    ):
        raise NotFound("No such update.")
    return newsletter


def visible(actor: Actor, project: Project) -> Select[Newsletter]:
    """The query of the project's newsletters ``actor`` may see: all of them for those who
    compose, the sent ones for everyone else (the archive)."""
    query = select(Newsletter).where(Newsletter.project_id == project.id)
    if not policy.may(actor, "newsletter.compose", project):
        query = query.where(Newsletter.state == "sent")
    return query


def listing(actor: Actor, project: Project) -> list[Newsletter]:
    """:func:`visible`, newest first."""
    return list(db.session.scalars(visible(actor, project).order_by(Newsletter.id.desc())))


# --- the project's sender identity ----------------------------------------------------------


def sender(project: Project) -> NewsletterSender:
    """The project's sender settings (unsaved defaults when it has none)."""
    return db.session.get(NewsletterSender, project.id) or NewsletterSender(
        project_id=project.id, sender_name="", reply_to=""
    )


def set_sender(actor: Actor, project: Project, *, sender_name: str, reply_to: str) -> None:
    """Set the name newsletters are sent under and their reply-to address (blank: none)."""
    from talk.services.accounts import normalise_email

    policy.require(actor, "newsletter.compose", project)
    name = clean_text(sender_name, "sender_name", max_length=MAX_SENDER_NAME, required=False)
    if any(c in name for c in '\r\n"<>'):
        raise InvalidInput(
            "A sender name cannot hold line breaks, quotes or angle brackets.",
            {"sender_name": ["Not allowed here."]},
        )
    address = normalise_email(reply_to) if reply_to.strip() else ""
    row = db.session.get(NewsletterSender, project.id)
    if row is None:
        row = NewsletterSender(project_id=project.id)
        db.session.add(row)
    row.sender_name, row.reply_to = name, address
    db.session.flush()
