"""Sending a newsletter: its recipients fixed when it starts, each delivery through the outbox
exactly once (``docs/newsletters.md``)."""

from __future__ import annotations

from sqlalchemy import func, select

from notifications.newsletter_models import DELIVERY_STATES, Newsletter, NewsletterDelivery
from talk.extensions import db


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
