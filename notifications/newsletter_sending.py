"""Sending a newsletter: its recipients fixed when it starts, each delivery through the outbox
exactly once (``docs/newsletters.md``, "Sending").

* :func:`start` fixes the recipients in one ``INSERT … SELECT`` from the segment's audience
  (no Python object per person), so 100,000 people queue in seconds with flat memory.
* :func:`move` hands queued deliveries to the outbox in batches: each person is checked again
  (consent withdrawn, address disabled, suspended since the start → ``skipped``), the email is
  rendered and queued, and the delivery takes the outbox row's id in the same transaction,
  conditional on having none, so a delivery never gets a second outbox row whatever crashes.
  The outbox's drain (:mod:`notifications.delivery`) then sends it with its own rules, and the
  outbox row's id gives the delivery its one ``Message-ID`` (:func:`outbox.message_id`).
* :func:`sync` copies the outbox rows' outcomes onto the deliveries (set-based), and
  :func:`finish` marks a newsletter ``sent`` once none of its deliveries is left to send.
* :func:`send_newsletters` is the worker's job (one run per period across workers), throttled
  to ``TALK_NEWSLETTER_RATE``; ``talk newsletter send`` drives the same functions in the
  foreground.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import Select, and_, exists, func, insert, literal, or_, select, update

from notifications import batch_sql, consent, newsletter_mail, newsletter_segments, outbox
from notifications.delivery import changed
from notifications.models import OutboxMessage
from notifications.newsletter_models import DELIVERY_STATES, Newsletter, NewsletterDelivery
from talk import policy
from talk.clock import utcnow
from talk.extensions import db
from talk.models import User
from talk.models._types import UTCDateTime
from talk.policy import Actor

log = logging.getLogger(__name__)

#: Seconds between two runs of the worker's newsletter job (once per period across workers).
JOB_SECONDS = 15

#: Deliveries handed to the outbox per transaction (memory stays flat: one batch at a time).
BATCH = 200

#: Outbox states after which a delivery's outcome is known (copied by :func:`sync`).
FINAL = ("sent", "failed", "uncertain", "skipped")

#: Delivery states still to be sent: a newsletter is finished when none of its rows has one.
UNFINISHED = ("queued", "sending")

#: What a delivery's ``reason`` code means, for the progress view.
REASONS = {
    "consent-withdrawn": "withdrew their consent after the send started",
    "account-closed": "closed their account",
    "address-unconfirmed": "no confirmed address",
    "address-disabled": "address disabled after bounces or a refusal",
    "excluded": "suspended or banned",
    "not-mailable": "may no longer be mailed",
    "rejected": "the mail server refused it",
    "gave-up": "the mail server was unreachable after every attempt",
    "worker-died": "a worker stopped while handing it over",
    "connection-lost": "the connection broke while handing it over",
    "outbox-row-gone": "its outbox row was deleted",
    "render-error": "the email could not be written",
}


# --- starting: the recipients fixed ---------------------------------------------------------


def start(newsletter: Newsletter, now: datetime) -> int | None:
    """Start sending ``newsletter`` if it is ``scheduled`` for ``now`` or earlier: fix its
    recipients (one delivery row each, ``queued``) and commit. Returns how many (0 for an
    audience nobody is in any more); None, changing nothing, for any other newsletter (already
    started, a draft, not due yet)."""
    db.session.refresh(newsletter, with_for_update=True)  # one starter at a time (PostgreSQL)
    due = newsletter.state == "scheduled" and (
        newsletter.scheduled_at is not None and newsletter.scheduled_at <= now
    )
    if not due or not changed(
        update(Newsletter)
        .where(Newsletter.id == newsletter.id, Newsletter.state == "scheduled")
        .values(state="sending", started_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    ):
        db.session.commit()
        return None
    people = newsletter_segments.audience(newsletter.project, newsletter.segment, now).subquery()
    person = next(iter(people.c))
    db.session.execute(
        insert(NewsletterDelivery).from_select(
            ["newsletter_id", "user_id", "state", "created_at"],
            select(
                literal(newsletter.id),
                person,
                literal("queued"),
                literal(now, UTCDateTime()),
            ).distinct(),
        )
    )
    # Counted (by the index): psycopg reports no row count for an INSERT … SELECT here.
    fixed = int(
        db.session.scalar(
            select(func.count())
            .select_from(NewsletterDelivery)
            .where(NewsletterDelivery.newsletter_id == newsletter.id)
        )
        or 0
    )
    db.session.execute(
        update(Newsletter)
        .where(Newsletter.id == newsletter.id)
        .values(recipient_count=fixed)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    db.session.refresh(newsletter)
    return fixed


def start_due(now: datetime) -> int:
    """Start every newsletter scheduled for ``now`` or earlier; returns how many started."""
    due = list(
        db.session.scalars(
            select(Newsletter.id)
            .where(Newsletter.state == "scheduled", Newsletter.scheduled_at <= now)
            .order_by(Newsletter.scheduled_at, Newsletter.id)
        )
    )
    started = 0
    for newsletter_id in due:
        newsletter = db.session.get(Newsletter, newsletter_id)
        if newsletter is not None and start(newsletter, now) is not None:
            started += 1
    return started


# --- handing deliveries to the outbox -------------------------------------------------------


def _mailable(newsletter: Newsletter, user_ids: list[int], now: datetime) -> set[int]:
    """Which of ``user_ids`` may still get the project's updates now: the base audience (every
    segment's), not the segment again: the segment was fixed at the start."""
    # Narrowed to the batch (users' primary key and their consents): as a subquery, SQLite
    # evaluated the whole audience for every batch (29 ms a delivery at 100,000 people), and
    # with only the users narrowed it still listed every opted-in person (35 µs a delivery).
    everyone = {"kind": "everyone"}
    return set(
        db.session.scalars(
            newsletter_segments.audience(newsletter.project, everyone, now, among=user_ids)
        )
    )


def _skip_reason(newsletter: Newsletter, user_id: int) -> str:
    """Why someone dropped out of the audience since the start (the few skipped, one by one)."""
    user = db.session.get(User, user_id)
    if user is None:
        return "account-closed"
    if not consent.is_opted_in(user, newsletter.project):
        return "consent-withdrawn"
    if user.disabled_at is not None:
        return "account-closed"
    if user.email_verified_at is None:
        return "address-unconfirmed"
    status = outbox.address_status(user.email)
    if status is not None and status.state != "ok":
        return "address-disabled"
    return "excluded"


@dataclass(frozen=True, slots=True)
class _Person:
    """A recipient of a batch as its columns: 200 ``User`` objects (loading, identity map,
    expiring at the commit) cost more than reading what the email needs of them."""

    id: int
    email: str
    display_name: str


def _people(user_ids: list[int]) -> dict[int, _Person]:
    rows = db.session.execute(
        select(User.id, User.email, User.display_name).where(batch_sql.among(User.id, user_ids))
    )
    return {row[0]: _Person(*row) for row in rows}


def move(newsletter: Newsletter, limit: int | None, now: datetime | None = None) -> int:
    """Hand up to ``limit`` (None: all) of ``newsletter``'s queued deliveries to the outbox,
    a batch per transaction; returns how many were queued in the outbox (skipped ones not
    counted). Each delivery takes its outbox row's id only if it has none yet: should that
    ever fail (someone else moved it), the batch is rolled back, outbox rows and all."""
    queued = 0
    while limit is None or queued < limit:
        size = BATCH if limit is None else min(BATCH, limit - queued)
        batch = db.session.execute(
            select(NewsletterDelivery.id, NewsletterDelivery.user_id)
            .where(
                NewsletterDelivery.newsletter_id == newsletter.id,
                NewsletterDelivery.state == "queued",
                NewsletterDelivery.outbox_id.is_(None),
            )
            .order_by(NewsletterDelivery.id)
            .limit(size)
            .with_for_update(skip_locked=True)
        ).all()
        if not batch:
            db.session.commit()
            break
        moved = _move_batch(newsletter, [(row[0], row[1]) for row in batch], now or utcnow())
        if moved is None:
            break
        queued += moved
    return queued


def _move_batch(newsletter: Newsletter, batch: list[tuple[int, int]], now: datetime) -> int | None:
    """One batch in one transaction (committed); None when it was rolled back."""
    user_ids = [user_id for _, user_id in batch]
    mailable = _mailable(newsletter, user_ids, now)
    people = _people(user_ids)
    mails = dict(
        newsletter_mail.render_each(
            newsletter, [people[id_] for id_ in user_ids if id_ in mailable and id_ in people]
        )
    )
    outcomes: dict[int, dict[str, Any]] = {}  # the skipped and failed
    sending: list[tuple[int, outbox.Mail]] = []
    for delivery_id, user_id in batch:
        person = people.get(user_id)
        if person is None or user_id not in mailable:
            outcomes[delivery_id] = {
                "state": "skipped",
                "reason": _skip_reason(newsletter, user_id),
            }
        elif (rendered := mails[person]) is None:
            outcomes[delivery_id] = {"state": "failed", "reason": "render-error"}  # logged
        else:
            mail = outbox.Mail(
                to_address=person.email,
                subject=rendered.subject,
                text=rendered.text,
                html=rendered.html or None,
                category="newsletter",
                user=person,
                headers=rendered.headers,
            )
            sending.append((delivery_id, mail))
    ids = outbox.enqueue_many([mail for _, mail in sending])
    handed = dict(zip((delivery_id for delivery_id, _ in sending), ids, strict=True))
    unmoved = (NewsletterDelivery.state == "queued", NewsletterDelivery.outbox_id.is_(None))
    # The handed-over ones in one statement (each its own outbox row); the few skipped or
    # failed one by one.
    if batch_sql.hand_over(handed, now) != len(handed):
        _moved_by_another(newsletter)
        return None
    for delivery_id, values in outcomes.items():
        if not changed(
            update(NewsletterDelivery)
            .where(NewsletterDelivery.id == delivery_id, *unmoved)
            .values(**values, updated_at=now)
            .execution_options(synchronize_session=False)
        ):
            _moved_by_another(newsletter)
            return None
    db.session.commit()
    return len(sending)


def _moved_by_another(newsletter: Newsletter) -> None:
    """Some delivery of the batch was no longer queued without an outbox row: roll the whole
    batch back, outbox rows and all (it never happens while one mover runs at a time)."""
    log.warning("newsletter %s: a delivery of the batch was moved by another", newsletter.id)
    db.session.rollback()


# --- outcomes -------------------------------------------------------------------------------


def active_ids() -> Select[int]:
    """Newsletters with deliveries still to follow: sending, or sent and retrying some."""
    return select(Newsletter.id).where(
        or_(
            Newsletter.state == "sending",
            and_(Newsletter.state == "sent", Newsletter.finished_at.is_(None)),
        )
    )


def sync(now: datetime | None = None) -> int:
    """Copy the outcome of each finished outbox row to its delivery (sent, failed, uncertain,
    skipped, with the outbox's reason), in set-based ``UPDATE``s; commits. Returns how many
    deliveries changed."""
    now = now or utcnow()
    carrier = OutboxMessage.id == NewsletterDelivery.outbox_id
    in_flight = (
        NewsletterDelivery.newsletter_id.in_(active_ids()),
        NewsletterDelivery.state == "sending",
    )
    count = changed(
        update(NewsletterDelivery)
        .where(*in_flight)
        .where(exists().where(carrier, OutboxMessage.state.in_(FINAL)))
        .values(
            state=select(OutboxMessage.state).where(carrier).scalar_subquery(),
            reason=select(OutboxMessage.reason).where(carrier).scalar_subquery(),
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    # An outbox row deleted under a delivery (outbox_id set NULL): what became of it is unknown.
    count += changed(
        update(NewsletterDelivery)
        .where(*in_flight, NewsletterDelivery.outbox_id.is_(None))
        .values(state="uncertain", reason="outbox-row-gone", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return count


def finish(now: datetime | None = None) -> int:
    """Mark ``sent`` (with ``finished_at``) every active newsletter none of whose deliveries
    is queued or sending; commits. Returns how many finished."""
    now = now or utcnow()
    count = changed(
        update(Newsletter)
        .where(Newsletter.id.in_(active_ids()))
        .where(
            ~exists().where(
                NewsletterDelivery.newsletter_id == Newsletter.id,
                NewsletterDelivery.state.in_(UNFINISHED),
            )
        )
        .values(state="sent", finished_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return count


# --- the throttle and the worker's job ------------------------------------------------------


def allowance(seconds: float) -> int | None:
    """How many deliveries ``TALK_NEWSLETTER_RATE`` (per minute, per site) lets into the outbox
    in ``seconds``; None: no limit."""
    rate = int(current_app.config["TALK_NEWSLETTER_RATE"])
    if rate <= 0:
        return None
    return max(1, math.floor(rate * seconds / 60))


def in_flight() -> int:
    """Deliveries in the outbox and not sent yet, across newsletters (the throttle counts them:
    while the mail server is down they stay, and no more are added)."""
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(NewsletterDelivery)
            .where(
                NewsletterDelivery.newsletter_id.in_(active_ids()),
                NewsletterDelivery.state == "sending",
            )
        )
        or 0
    )


def send_newsletters(_worker_id: str = "", now: datetime | None = None) -> int:
    """The worker's job: start what is due, record outcomes, hand the next deliveries to the
    outbox within the throttle (oldest newsletter first), finish what is done. Returns how many
    deliveries went to the outbox."""
    now = now or utcnow()
    start_due(now)
    sync(now)
    budget = allowance(JOB_SECONDS)
    if budget is not None:
        budget = max(0, budget - in_flight())
    moved = 0
    for newsletter_id in list(db.session.scalars(active_ids().order_by(Newsletter.id))):
        if budget is not None and moved >= budget:
            break
        newsletter = db.session.get(Newsletter, newsletter_id)
        if newsletter is not None:
            moved += move(newsletter, None if budget is None else budget - moved, now)
    finish(now)
    return moved


# --- progress and retrying ------------------------------------------------------------------


def progress(newsletter: Newsletter) -> dict[str, int]:
    """How many of the newsletter's deliveries are in each state (every state, zeros too)."""
    counts = dict.fromkeys(DELIVERY_STATES, 0)
    rows = db.session.execute(
        select(NewsletterDelivery.state, func.count())
        .where(NewsletterDelivery.newsletter_id == newsletter.id)
        .group_by(NewsletterDelivery.state)
    )
    for state, number in rows:
        counts[state] = int(number)
    return counts


def reasons(newsletter: Newsletter, state: str) -> dict[str, int]:
    """How many of the newsletter's deliveries in ``state`` have each reason, most first."""
    rows = db.session.execute(
        select(NewsletterDelivery.reason, func.count())
        .where(NewsletterDelivery.newsletter_id == newsletter.id, NewsletterDelivery.state == state)
        .group_by(NewsletterDelivery.reason)
    )
    counted = {str(reason or "unknown"): int(number) for reason, number in rows}
    return dict(sorted(counted.items(), key=lambda item: (-item[1], item[0])))


def reason_text(code: str) -> str:
    return REASONS.get(code, code)


def retry_failed(actor: Actor, newsletter: Newsletter) -> int:
    """Send the failed deliveries again: their outbox rows queued again (the same row, so the
    same ``Message-ID``; attempts start over), those never written queued to be moved again.
    People no longer mailable are ``skipped`` instead. Returns how many will be retried.
    Uncertain ones are never retried (they may have arrived)."""
    policy.require(actor, "newsletter.compose", newsletter.project)
    db.session.refresh(newsletter, with_for_update=True)
    if newsletter.state not in ("sending", "sent"):
        return 0
    now = utcnow()
    mine = (NewsletterDelivery.newsletter_id == newsletter.id, NewsletterDelivery.state == "failed")
    base = newsletter_segments.audience(newsletter.project, {"kind": "everyone"}, now).subquery()
    changed(
        update(NewsletterDelivery)
        .where(*mine, NewsletterDelivery.user_id.not_in(select(next(iter(base.c)))))
        .values(state="skipped", reason="not-mailable", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    changed(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(select(NewsletterDelivery.outbox_id).where(*mine)))
        .where(OutboxMessage.state == "failed")
        .values(
            # to the address the person has now (they may have fixed the one that failed)
            to_address=select(User.email).where(User.id == OutboxMessage.user_id).scalar_subquery(),
            state="queued",
            reason="retried",
            attempts=0,
            next_attempt_at=now,
            handed_at=None,
            claimed_by=None,
            lease_until=None,
        )
        .execution_options(synchronize_session=False)
    )
    requeued = changed(
        update(NewsletterDelivery)
        .where(*mine)
        .where(
            exists().where(
                OutboxMessage.id == NewsletterDelivery.outbox_id, OutboxMessage.state == "queued"
            )
        )
        .values(state="sending", reason=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    rewritten = changed(
        update(NewsletterDelivery)
        .where(*mine, NewsletterDelivery.outbox_id.is_(None))
        .values(state="queued", reason=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if requeued + rewritten and newsletter.state == "sent":
        newsletter.finished_at = None  # followed again until these are done; still published
    db.session.flush()
    return requeued + rewritten
