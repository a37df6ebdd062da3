"""The newsletter API's schemas (requests and responses, and so the OpenAPI document's).

What the public sees of a sent update is what its archive page shows: subject, body, when it
went out. The team (those who compose) sees, besides, its segment, the recipient count, its
schedule and the delivery counts; a delivery shows the recipient's username, never an address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_dump, validate

from notifications import newsletter_mail, newsletter_segments
from notifications.newsletter_models import (
    DELIVERY_STATES,
    MAX_SUBJECT,
    NEWSLETTER_STATES,
    Newsletter,
    NewsletterDelivery,
)
from talk.api import schemas

_SEGMENT_DOC = {
    "description": "Who it goes to (omitted or null: everyone opted in): "
    '`{"kind": "everyone"}`, `{"kind": "active", "days": 30}`, '
    '`{"kind": "lapsed", "days": 90}`, `{"kind": "tag_followers", "tag": "ward-7"}` (a '
    'curated tag), `{"kind": "board_followers", "board_id": 3}`, '
    '`{"kind": "tag_group", "group": "<slug or id>"}`. Always within the people opted in '
    "with a confirmed address; `days` 1–3650.",
    "type": "object",
    "nullable": True,
}


class Segment(fields.Raw):
    """A segment as given: an object or a kind's name (checked by the service)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if value is not None and not isinstance(value, (dict, str)):
            raise ValidationError('An object such as {"kind": "active", "days": 30}.')
        return value


class NewsletterCreateSchema(schemas.RequestSchema):
    subject = fields.String(required=True, validate=validate.Length(min=1, max=MAX_SUBJECT))
    body = fields.String(
        required=True,
        validate=[validate.Length(min=1), schemas.max_comment_length],
        metadata={"description": "Markdown, as in comments (`^item` cards, images by URL)."},
    )
    segment = Segment(allow_none=True, metadata=_SEGMENT_DOC)
    personal = schemas.JsonBoolean(
        metadata={"description": "A greeting and the recipient's contribution (default true)."}
    )


class NewsletterEditSchema(NewsletterCreateSchema):
    """What to change; what is left out stays as it is."""

    subject = fields.String(validate=validate.Length(min=1, max=MAX_SUBJECT))
    body = fields.String(validate=[validate.Length(min=1), schemas.max_comment_length])


class SendTime(fields.String):
    """``"now"``, or an ISO 8601 time (its zone and that it is ahead: the service checks)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        if text == "now":
            return text
        if len(text) > 64:
            raise ValidationError("Longer than any time.")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError as exc:
            raise ValidationError('"now", or an ISO 8601 time with its zone.') from exc
        if moment.tzinfo is None:
            return moment  # the service says what is missing
        try:
            return moment.astimezone(UTC)
        except OverflowError as exc:  # 9999-12-31T23:59-14:00 is past the last storable day
            raise ValidationError("Out of range.") from exc


class ScheduleSchema(schemas.RequestSchema):
    at = SendTime(
        required=True,
        metadata={"description": '"now", or an ISO 8601 time with its zone, in the future.'},
    )


@dataclass
class NewsletterView:
    """A newsletter as the caller may see it: ``team`` says whether they compose."""

    newsletter: Newsletter
    team: bool
    recipient_count: int | None = None
    deliveries: dict[str, int] | None = None


#: What only those who compose see.
TEAM_FIELDS = (
    "segment",
    "segment_text",
    "personal",
    "scheduled_at",
    "recipient_count",
    "deliveries",
    "created_at",
    "updated_at",
)


class NewsletterSchema(Schema):
    id = fields.Function(lambda v: v.newsletter.id, metadata={"type": "integer"})
    subject = fields.Function(lambda v: v.newsletter.subject, metadata={"type": "string"})
    body = fields.Function(
        lambda v: v.newsletter.body, metadata={"type": "string", "description": "Markdown."}
    )
    body_html = fields.Function(
        lambda v: newsletter_mail.body_html(v.newsletter),
        metadata={"type": "string", "description": "The body rendered and sanitised."},
    )
    state = fields.Function(
        lambda v: v.newsletter.state, metadata={"type": "string", "enum": list(NEWSLETTER_STATES)}
    )
    sent_at = fields.Function(
        lambda v: _iso(v.newsletter.started_at),
        metadata={"type": "string", "format": "date-time", "nullable": True},
    )
    url = schemas.link(lambda v: newsletter_mail.view_url(v.newsletter), "Its web page.")
    segment = fields.Function(lambda v: v.newsletter.segment, metadata=_SEGMENT_DOC)
    segment_text = fields.Function(
        lambda v: newsletter_segments.describe(v.newsletter.segment),
        metadata={"type": "string", "description": "The segment in words."},
    )
    personal = fields.Function(lambda v: v.newsletter.personal, metadata={"type": "boolean"})
    scheduled_at = fields.Function(
        lambda v: _iso(v.newsletter.scheduled_at),
        metadata={"type": "string", "format": "date-time", "nullable": True},
    )
    recipient_count = fields.Function(
        lambda v: v.recipient_count,
        metadata={
            "type": "integer",
            "nullable": True,
            "description": "Before sending, how many the segment reaches now (an estimate; "
            "null in lists); once sending started, how many it was fixed to.",
        },
    )
    deliveries = fields.Function(
        lambda v: v.deliveries,
        metadata={
            "type": "object",
            "nullable": True,
            "description": f"Deliveries per state ({', '.join(DELIVERY_STATES)}); null in lists.",
        },
    )
    created_at = fields.Function(
        lambda v: _iso(v.newsletter.created_at), metadata={"type": "string", "format": "date-time"}
    )
    updated_at = fields.Function(
        lambda v: _iso(v.newsletter.updated_at), metadata={"type": "string", "format": "date-time"}
    )

    @post_dump(pass_original=True)
    def _team_only(self, data: dict[str, Any], view: NewsletterView, **_: Any) -> dict[str, Any]:
        """The team's fields (segment, counts, schedule) are left out for everyone else."""
        if not view.team:
            for name in TEAM_FIELDS:
                data.pop(name, None)
        return data


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


NewsletterPageSchema = schemas.page_schema("NewsletterPage", NewsletterSchema)


@dataclass
class DeliveryView:
    delivery: NewsletterDelivery
    sent_at: datetime | None


class NewsletterDeliverySchema(Schema):
    """One recipient's delivery: their username, never their address."""

    id = fields.Function(lambda v: v.delivery.id, metadata={"type": "integer"})
    username = fields.Function(lambda v: v.delivery.user.username, metadata={"type": "string"})
    state = fields.Function(
        lambda v: v.delivery.state, metadata={"type": "string", "enum": list(DELIVERY_STATES)}
    )
    reason = fields.Function(
        lambda v: v.delivery.reason,
        metadata={
            "type": "string",
            "nullable": True,
            "description": "Why it failed or was skipped.",
        },
    )
    sent_at = fields.Function(
        lambda v: _iso(v.sent_at),
        metadata={"type": "string", "format": "date-time", "nullable": True},
    )
    updated_at = fields.Function(
        lambda v: _iso(v.delivery.updated_at),
        metadata={"type": "string", "format": "date-time", "nullable": True},
    )


NewsletterDeliveryPageSchema = schemas.page_schema(
    "NewsletterDeliveryPage", NewsletterDeliverySchema
)


class SentTestSchema(Schema):
    to_address = fields.String(metadata={"description": "The caller's own confirmed address."})
    subject = fields.String()
