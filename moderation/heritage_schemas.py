"""The JSON shapes of content warnings and workflow flags (:mod:`moderation.heritage_api`)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from moderation.heritage_models import (
    ANSWERED_HOW,
    ATTACHMENT_KINDS,
    MAX_FLAG_DESCRIPTION,
    MAX_WARNING_TEXT,
    MAX_WARNING_TITLE,
)
from moderation.warning_views import target_url
from talk.api import schemas
from talk.limits import MAX_ID, TAG_NAME_COLUMN


class WarningCreateSchema(schemas.RequestSchema):
    title = fields.String(required=True, validate=validate.Length(max=MAX_WARNING_TITLE))
    text = fields.String(required=True, validate=validate.Length(max=MAX_WARNING_TEXT))


class WarningEditSchema(schemas.RequestSchema):
    title = fields.String(validate=validate.Length(max=MAX_WARNING_TITLE))
    text = fields.String(validate=validate.Length(max=MAX_WARNING_TEXT))


class WarningSchema(Schema):
    id = fields.Integer()
    project = fields.Function(lambda w: w.project.slug, metadata={"type": "string"})
    title = fields.String()
    text = fields.String(metadata={"description": "Plain text, shown as it is (never HTML)."})
    version = fields.Integer(
        metadata={"description": "Raised by each change: acknowledgements of older ones lapse."}
    )
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ShownWarningSchema(WarningSchema):
    """A warning as the caller meets it before something."""

    acknowledged = fields.Boolean(
        metadata={"description": "Whether the caller read this version (false for visitors)."}
    )


class AttachmentTargetSchema(schemas.RequestSchema):
    """Names what a warning is attached to: an item by `external_id`, a discussion or a board
    by `id`."""

    type = fields.String(required=True, validate=validate.OneOf(ATTACHMENT_KINDS))
    id = schemas.Whole(validate=validate.Range(min=1, max=MAX_ID))
    external_id = fields.String(validate=validate.Length(min=1, max=512))


class AttachmentSchema(Schema):
    type = fields.String(attribute="kind", metadata={"enum": list(ATTACHMENT_KINDS)})
    id = fields.Function(lambda a: a.target.id, metadata={"type": "integer"})
    external_id = fields.Function(
        lambda a: a.item.external_id if a.item else None,
        metadata={"type": "string", "nullable": True, "description": "An item's."},
    )
    title = fields.Function(lambda a: a.target.title, metadata={"type": "string"})
    url = schemas.link(lambda a: target_url(a.target, _external=True), "Its web page.")
    created_at = fields.DateTime()


class FlagCreateSchema(schemas.RequestSchema):
    tag = fields.String(
        required=True,
        validate=validate.Length(min=1, max=TAG_NAME_COLUMN),
        metadata={"description": "The hashtag, with or without `#` (`help`, `#correction`)."},
    )
    description = fields.String(load_default="", validate=validate.Length(max=MAX_FLAG_DESCRIPTION))


class FlagSchema(Schema):
    tag = fields.String(attribute="tag_name")
    description = fields.String()
    created_at = fields.DateTime()


class ReviewRequestSchema(Schema):
    id = fields.Integer()
    flag = fields.Function(lambda r: r.flag.tag_name, metadata={"type": "string"})
    discussion_id = fields.Integer()
    discussion_title = fields.Function(lambda r: r.discussion.title, metadata={"type": "string"})
    item_external_id = fields.Function(
        lambda r: r.item.external_id if r.item else None,
        metadata={"type": "string", "nullable": True},
    )
    comment_id = fields.Integer(metadata={"description": "The comment that asked."})
    asked_by = fields.Nested(schemas.AuthorSchema, allow_none=True)
    asked_at = fields.DateTime()
    answered_at = fields.DateTime(allow_none=True)
    answered_by = fields.Nested(schemas.AuthorSchema, allow_none=True)
    answered_how = fields.String(allow_none=True, metadata={"enum": list(ANSWERED_HOW)})
    url = schemas.link(
        lambda r: schemas.absolute_url("discussions.comment", comment_id=r.comment_id),
        "The comment that asked.",
    )


WarningPageSchema = schemas.page_schema("ContentWarningPage", WarningSchema)
ShownWarningListSchema = schemas.page_schema("ShownContentWarningList", ShownWarningSchema)
AttachmentListSchema = schemas.page_schema("ContentWarningAttachmentList", AttachmentSchema)
FlagListSchema = schemas.page_schema("WorkflowFlagList", FlagSchema)
ReviewPageSchema = schemas.page_schema("ReviewRequestPage", ReviewRequestSchema)
