"""The newsletter composer's forms, and the conversions between their values and what the
services take: the chosen segment with its own fields, and the send time in the writer's zone
(:mod:`notifications.newsletter_views` serves them)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, RadioField, StringField, TextAreaField

from notifications import newsletter_segments
from notifications.emails import zone_named
from notifications.newsletter_models import MAX_SENDER_NAME, MAX_SUBJECT, Newsletter
from talk.errors import InvalidInput
from talk.limits import MAX_EMAIL
from talk.web.common import viewer

#: The composer's fields for segments' values (:data:`newsletter_segments.FIELDS` says which
#: kind takes which), with their labels. A chosen segment gets only its own fields, so what was
#: typed beside another choice is not sent.
FIELD_LABELS = {
    "days": "Days",
    "tag": "Curated tag",
    "board_id": "Board number",
    "group": "Tag group",
}

#: Whole-number fields among them.
NUMBER_FIELDS = ("days", "board_id")

#: What the composer's date and time look like (``datetime-local``'s value).
DATE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2})?")


class NewsletterForm(FlaskForm):
    """The composer. The services check every rule; the form only carries the values."""

    subject = StringField("Subject", render_kw={"maxlength": MAX_SUBJECT})
    body = TextAreaField("Your update", render_kw={"rows": 14})
    segment = RadioField("Who receives it", default="everyone", validate_choice=False)
    days = StringField(FIELD_LABELS["days"], render_kw={"inputmode": "numeric"})
    tag = StringField(FIELD_LABELS["tag"])
    board_id = StringField(FIELD_LABELS["board_id"], render_kw={"inputmode": "numeric"})
    group = StringField(FIELD_LABELS["group"])
    personal = BooleanField(
        "Add a personal block: a greeting by name and what each volunteer did since the last "
        "update",
        default=True,
    )
    send_at = StringField("Date and time", render_kw={"type": "datetime-local"})


class SenderForm(FlaskForm):
    sender_name = StringField("Sender name", render_kw={"maxlength": MAX_SENDER_NAME})
    reply_to = EmailField("Reply-to address", render_kw={"maxlength": MAX_EMAIL})


def segment_choices() -> list[tuple[str, str]]:
    return list(newsletter_segments.SEGMENTS.items())


def fields_of(kind: str) -> list[str]:
    """The composer's fields a segment kind takes."""
    return [name for name in newsletter_segments.FIELDS.get(kind, ()) if name in FIELD_LABELS]


def segment_of(form: NewsletterForm) -> dict[str, Any]:
    """The chosen segment with its own fields' values, as :func:`newsletter_segments.validate`
    takes it (numbers as numbers; an empty field left out, for the service to name)."""
    kind = (form.segment.data or "everyone").strip()
    segment: dict[str, Any] = {"kind": kind}
    for name in fields_of(kind):
        value = (getattr(form, name).data or "").strip()
        if not value:
            continue
        if name in NUMBER_FIELDS:
            if not (value.isascii() and value.isdigit()) or len(value) > 9:
                raise InvalidInput(
                    f"{FIELD_LABELS[name]} must be a whole number.",
                    {name: ["Must be a whole number written with the digits 0–9."]},
                )
            segment[name] = int(value)
        else:
            segment[name] = value
    return segment


def fill(form: NewsletterForm, newsletter: Newsletter) -> None:
    """Put a stored newsletter's values into an unsubmitted form."""
    form.subject.data, form.body.data = newsletter.subject, newsletter.body
    segment = dict(newsletter.segment or {"kind": "everyone"})
    form.segment.data = segment.get("kind", "everyone")
    for name in FIELD_LABELS:
        if name in segment:
            getattr(form, name).data = str(segment[name])
    form.personal.data = newsletter.personal
    if newsletter.state == "scheduled" and newsletter.scheduled_at is not None:
        local = newsletter.scheduled_at.astimezone(viewer_zone())
        form.send_at.data = local.strftime("%Y-%m-%dT%H:%M")


def viewer_zone() -> ZoneInfo:
    """The time zone the viewer reads and writes times in (UTC for visitors)."""
    return zone_named(getattr(viewer(), "time_zone", None))


def zone_name() -> str:
    return viewer_zone().key


def local_time(moment: datetime | None) -> str:
    """``moment`` in the viewer's time zone, e.g. "1 Dec 2026, 09:00 (Europe/London)"."""
    if moment is None:
        return ""
    zone = viewer_zone()
    local = moment.astimezone(zone)
    return f"{local.day} {local:%b %Y, %H:%M} ({zone.key})"


def parse_send_at(raw: str) -> datetime:
    """The composer's date and time (``2026-12-01T09:00``), read in the viewer's time zone."""
    raw = raw.strip().replace(" ", "T", 1)
    if not raw:
        raise InvalidInput("Choose a date and time to send it.", {"send_at": ["Required."]})
    wrong = InvalidInput(
        "Give the date and time as 2026-12-01T09:00.", {"send_at": ["Not a date and time."]}
    )
    if not DATE_TIME.fullmatch(raw):  # fromisoformat alone takes more (a trailing NUL…)
        raise wrong
    try:
        naive = datetime.fromisoformat(raw)
    except ValueError:
        raise wrong from None
    try:  # the stored time is UTC: the last minutes of year 9999 may have none
        return naive.replace(tzinfo=viewer_zone()).astimezone(UTC)
    except OverflowError:
        raise wrong from None
