"""Who receives a newsletter: a segment of the people opted in to the project's updates.

Every segment starts from the current consents (:func:`notifications.consent.opted_in_ids`) and
keeps only people who may be mailed now: a verified address, an account not closed, an address
the outbox has not disabled or seen bounce, and nobody a package excludes
(:func:`talk.policy.audience_exclusions`: moderation's suspensions and bans). Segments only
narrow that set; none widens it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select

from notifications import consent
from notifications.models import MailAddress
from talk import policy
from talk.errors import InvalidInput
from talk.extensions import db
from talk.models import Project, User

#: The segments a composer chooses from, with what each means.
SEGMENTS: dict[str, str] = {
    "everyone": "Everyone who asked for this project's updates",
}


def validate(project: Project, raw: Any) -> dict[str, Any]:
    """The segment ``raw`` names, checked and normalised (None: everyone opted in)."""
    if raw is None or raw in ("", {}):
        return {"kind": "everyone"}
    if isinstance(raw, str):
        raw = {"kind": raw}
    if not isinstance(raw, dict) or raw.get("kind") not in SEGMENTS:
        raise InvalidInput(
            f"Unknown segment; choose one of: {', '.join(SEGMENTS)}.",
            {"segment": ["Unknown segment."]},
        )
    return {"kind": raw["kind"]}


def audience(project: Project, segment: dict[str, Any], now: datetime) -> Select[int]:
    """The ids of the people ``segment`` of ``project`` reaches at ``now``."""
    mailable = (
        select(User.id)
        .where(User.id.in_(consent.opted_in_ids(project)))
        .where(User.email_verified_at.is_not(None), User.disabled_at.is_(None))
        .where(
            ~select(MailAddress.address)
            .where(MailAddress.address == func.lower(User.email), MailAddress.state != "ok")
            .exists()
        )
    )
    for excluded in policy.audience_exclusions(project, now):
        mailable = mailable.where(User.id.not_in(excluded))
    return mailable


def count(project: Project, segment: dict[str, Any], now: datetime) -> int:
    """How many people ``segment`` reaches now (what the composer shows before sending)."""
    ids = audience(project, segment, now).subquery()
    return int(db.session.scalar(select(func.count()).select_from(ids)) or 0)
