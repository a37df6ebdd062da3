"""Email preferences: how often each kind of email reaches a person, and the delivery log they
read to learn why an email did not come.

Each category a person chooses (:data:`PREFERENCE_CATEGORIES`) is sent ``immediately``, in a
``daily`` or ``weekly`` digest, or ``never``: a site-wide choice (default :data:`DEFAULTS`)
that a per-project choice overrides, under an "everything off" switch. Account mail (sign-up,
password, address) is never off; ``digest`` and ``moderation`` are no choice of their own (a
digest carries the chosen categories; a moderation decision about a person's own content or
account is told to them at once), but everything-off stops them too. ``reports`` (new reports,
to moderators) is a choice like the others.

The email side asks :func:`email_choice` (or :func:`why_not`, for the reason to record with
:func:`skip`) before writing a message. Permissions: ``email.manage`` (an account): its owner
only, a read (a suspended person may still stop email).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from notifications import email_waits, outbox
from notifications.models import OutboxMessage
from notifications.preferences_models import EmailPreference, EmailSwitch
from talk import policy
from talk.clock import utcnow
from talk.errors import InvalidInput
from talk.extensions import db
from talk.models import Project, User
from talk.pagination import Page, keyset_page
from talk.policy import Actor

CHOICES: tuple[str, ...] = ("immediately", "daily", "weekly", "never")

#: The categories a person chooses for, with what they are, in the settings page's order.
PREFERENCE_CATEGORIES: dict[str, str] = {
    "mentions": "Someone mentions me (@name)",
    "replies": "Replies to my comments",
    "follows": "New comments in discussions, items, boards and projects I follow",
    "discussions": "New discussions in projects I follow",
    "tags": "Activity on tags I follow",
    "verdicts": "An expert's verdict on an item I discussed",
    "reports": "New reports in projects I moderate",
}

#: Categories offered only to some people: on the settings page, ``reports`` only to those who
#: moderate a project (:func:`notifications.notices.moderates_somewhere`).
MODERATOR_CATEGORIES = ("reports",)

#: What a person gets before choosing: what is about them at once, what they follow once a day.
#: A project's updates (newsletters) are no category: each is a consent of its own, per project
#: (:mod:`notifications.consent`); rows of the old ``newsletter`` category are ignored.
DEFAULTS: dict[str, str] = {
    "mentions": "immediately",
    "replies": "immediately",
    "follows": "daily",
    "discussions": "daily",
    "tags": "daily",
    "verdicts": "immediately",
    "reports": "daily",
}

#: Skip reasons (:func:`skip`, :func:`why_not`, the outbox's own) in words for the delivery log.
REASONS: dict[str, str] = {
    "unsubscribed": "you chose not to get these emails",
    "everything-off": "you turned all email off",
    "address-disabled": "your address is disabled (mail to it kept failing)",
    "address-bouncing": "your address is bouncing",
    "address-unverified": "your address is not confirmed yet",
    "account-disabled": "your account is disabled",
    "already-read": "you had already read it on the site",
    "empty-digest": "there was nothing new for the digest",
    "inactive": "you had not visited Talk for a long time, so digests paused",
    "muted-author": "it was from someone you muted",
    "muted": "it was about something you muted",
    "no-permission": "you may no longer see what it was about",
    "deferred": "the mail server asked us to try again later",
    "rate-limited": (
        "you had many emails within the hour, so the next ones wait and come together in one"
        " email when the hour allows"
    ),
    "rejected": "the mail server refused it",
    "gave-up": "the mail server kept refusing it, so we stopped trying",
    "lease-expired": "a worker stopped; it will be sent again",
    "worker-died": "a worker stopped while sending it; it may have arrived",
    "connection-lost": "the connection dropped while sending; it may have arrived",
}


@policy.rule("email.manage", read=True)
def _may_manage_email(user: Any, account: Any) -> bool:
    return (
        policy.is_logged_in(user)
        and not policy.is_operator(user)
        and isinstance(account, User)
        and user.id == account.id
    )


# --------------------------------------------------------------------------- reading


def _check(category: str, choice: str | None = None, name: str = "choice") -> None:
    """Refuse an unknown category or choice, naming the field (``name``) that carried it."""
    if category not in PREFERENCE_CATEGORIES:
        raise InvalidInput(
            f"No email category {category!r}.",
            {"category": [f"One of: {', '.join(PREFERENCE_CATEGORIES)}."]},
        )
    if choice is not None and choice not in CHOICES:
        raise InvalidInput(
            f"{name}: {choice!r} is not a choice for {category}.",
            {name: [f"One of: {', '.join(CHOICES)}."]},
        )


def check_category(category: str) -> None:
    _check(category)


def everything_off(user: User) -> bool:
    switch = db.session.get(EmailSwitch, user.id)
    return switch is not None and switch.everything_off


def stored_choice(user: User, project: Project | None, category: str) -> str | None:
    query = select(EmailPreference.choice).where(
        EmailPreference.user_id == user.id, EmailPreference.category == category
    )
    if project is None:
        query = query.where(EmailPreference.project_id.is_(None))
    else:
        query = query.where(EmailPreference.project_id == project.id)
    return db.session.scalar(query)


def chosen(user: User, project: Project | None, category: str) -> str:
    """The choice for ``category`` in ``project`` (or site-wide): the project's override, else
    the site-wide choice, else the default. Switches and addresses are not considered. A
    category nobody chooses (``moderation``, ``digest``) comes at once."""
    if category not in PREFERENCE_CATEGORIES:
        return "immediately"
    if project is not None and (found := stored_choice(user, project, category)) is not None:
        return found
    return stored_choice(user, None, category) or DEFAULTS[category]


def why_not(
    user: User, project: Project | None, category: str, choice: str | None = None
) -> str | None:
    """Why ``user`` gets no email of ``category`` about ``project`` (a :data:`REASONS` code),
    or None when they get it (then :func:`email_choice` says when). ``choice``: their
    :func:`chosen` one, when the caller has it already."""
    if category not in outbox.CATEGORIES:
        raise InvalidInput(f"Unknown email category {category!r}.", {"category": ["Unknown."]})
    if category == "account":
        return None
    if user.is_disabled:
        return "account-disabled"
    if not user.email_verified:
        return "address-unverified"
    status = outbox.address_status(user.email)
    if status is not None and status.state == "disabled":
        return "address-disabled"
    if everything_off(user):
        return "everything-off"
    if category in PREFERENCE_CATEGORIES and (choice or chosen(user, project, category)) == "never":
        return "unsubscribed"
    return None


def email_choice(user: User, project: Project | None, category: str) -> str:
    """How ``user`` gets email of ``category`` about ``project``: ``immediately``, ``daily``,
    ``weekly`` or ``never``. Account mail always comes at once; other mail only to a confirmed,
    working address of an enabled account whose owner has not turned it off."""
    if why_not(user, project, category) is not None:
        return "never"
    if category in PREFERENCE_CATEGORIES:
        return chosen(user, project, category)
    return "immediately"


@dataclass
class Preferences:
    """A person's choices as the page and the API show them."""

    everything_off: bool
    categories: dict[str, str]  # site-wide, defaults filled in
    projects: list[EmailPreference] = field(default_factory=list)  # overrides


def preferences_of(actor: Actor, user: User) -> Preferences:
    policy.require(actor, "email.manage", user)
    rows = db.session.scalars(
        select(EmailPreference)
        .where(EmailPreference.user_id == user.id)
        .order_by(EmailPreference.project_id, EmailPreference.category)
    ).all()
    site = {row.category: row.choice for row in rows if row.project_id is None}
    return Preferences(
        everything_off=everything_off(user),
        categories={c: site.get(c, DEFAULTS[c]) for c in PREFERENCE_CATEGORIES},
        # A category no longer offered (the old ``newsletter``) is left out: its rows mean nothing.
        projects=[
            row
            for row in rows
            if row.project_id is not None and row.category in PREFERENCE_CATEGORIES
        ],
    )


# --------------------------------------------------------------------------- changing


def set_choice(
    actor: Actor, user: User, category: str, choice: str | None, project: Project | None = None
) -> None:
    """Choose for ``category`` site-wide or in ``project``; ``None`` goes back to the default
    (site-wide) or to the site-wide choice (in a project)."""
    policy.require(actor, "email.manage", user)
    _check(category, choice)
    _set(user, category, choice, project)


def _set(user: User, category: str, choice: str | None, project: Project | None) -> None:
    scope = (
        EmailPreference.project_id.is_(None)
        if project is None
        else EmailPreference.project_id == project.id
    )
    where = (EmailPreference.user_id == user.id, EmailPreference.category == category, scope)
    row = db.session.scalar(select(EmailPreference).where(*where))
    if choice is None:
        if row is not None:
            db.session.execute(delete(EmailPreference).where(*where))
    elif row is None:
        db.session.add(
            EmailPreference(
                user_id=user.id,
                project_id=None if project is None else project.id,
                category=category,
                choice=choice,
            )
        )
    else:
        row.choice = choice
    email_waits.resort(user)
    db.session.flush()


def unsubscribe(user: User, category: str, project: Project | None = None) -> None:
    """Turn ``category`` off for ``user`` (in ``project``): a one-click unsubscribe link, whose
    signed token is the authority (no actor: the person is not logged in)."""
    _check(category)
    _set(user, category, "never", project)


def resubscribe(
    user: User, category: str, choice: str | None, project: Project | None = None
) -> None:
    """Undo :func:`unsubscribe`: ``choice`` again (None: no choice of its own)."""
    _check(category, choice)
    _set(user, category, choice, project)


def set_preferences(
    actor: Actor, user: User, categories: Mapping[str, str], field: str = "categories.{}"
) -> None:
    """Set several site-wide choices at once; one bad value changes nothing, and its error
    names its field (``field`` formatted with the category)."""
    policy.require(actor, "email.manage", user)
    for category, choice in categories.items():
        _check(category, choice, name=field.format(category))
    for category, choice in categories.items():
        _set(user, category, choice, None)


def set_everything_off(actor: Actor, user: User, value: bool) -> None:
    policy.require(actor, "email.manage", user)
    switch = db.session.get(EmailSwitch, user.id)
    if switch is None:
        switch = EmailSwitch(user_id=user.id)
        db.session.add(switch)
    switch.everything_off = value
    email_waits.resort(user)
    db.session.flush()


# --------------------------------------------------------------------------- delivery log


def skip(
    user: User,
    category: str,
    reason: str,
    subject: str,
    *,
    state: str = "skipped",
    now: datetime | None = None,
) -> OutboxMessage:
    """Record in the delivery log an email Talk decided not to send (state ``skipped``), or
    not yet (``deferred``: the hourly cap), so its person can read why (``reason``, a
    :data:`REASONS` code)."""
    if reason not in REASONS:
        raise InvalidInput(f"Unknown skip reason {reason!r}.", {"reason": ["Unknown."]})
    if category not in outbox.CATEGORIES:
        raise InvalidInput(f"Unknown email category {category!r}.", {"category": ["Unknown."]})
    now = now or utcnow()
    message = OutboxMessage(
        to_address=user.email,
        user_id=user.id,
        category=category,
        subject=subject.replace("\r", " ").replace("\n", " ")[:400],
        text_body="",
        html_body=None,
        headers={},
        state=state,
        reason=reason,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    db.session.add(message)
    db.session.flush()
    return message


def shown_state(message: OutboxMessage) -> str:
    """The state a person reads: a queued message waiting after a refusal is ``deferred``."""
    if message.state == "queued" and message.reason == "deferred":
        return "deferred"
    return message.state


def reason_text(message: OutboxMessage) -> str | None:
    if message.reason is None:
        return None
    return REASONS.get(message.reason, message.reason)


def deliveries_page(
    actor: Actor, user: User, *, cursor: str | None, limit: int
) -> Page[OutboxMessage]:
    """``user``'s emails, newest first: their own only."""
    policy.require(actor, "email.manage", user)
    return keyset_page(
        select(OutboxMessage).where(OutboxMessage.user_id == user.id),
        [OutboxMessage.id],
        cursor=cursor,
        limit=limit,
        descending=True,
    )


def address_problem(user: User) -> Any:
    """What went wrong with ``user``'s address (a :class:`MailAddress`), or None."""
    status = outbox.address_status(user.email)
    return status if status is not None and status.state != "ok" else None


def reenable_address(actor: Actor, user: User) -> OutboxMessage:
    """Mail ``user``'s address again after they fixed it, and send it a notice at once: if the
    address still fails, the worker disables it again and the log says so."""
    policy.require(actor, "email.manage", user)
    outbox.enable_address(user.email)
    return outbox.enqueue(
        to_address=user.email,
        subject="Talk can email you again",
        text=(
            "This address receives Talk's email again. If you did not ask for this, you can "
            "turn email off in your settings.\n"
        ),
        category="account",
        user=user,
    )
