"""The caller's notifications in the JSON API: ``GET /api/v1/notifications`` and
``POST /api/v1/notifications/read``."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate, validates_schema
from marshmallow.exceptions import ValidationError

from notifications import inbox
from notifications.inbox_models import KINDS
from notifications.inbox_views import notification_url
from talk.api import auth, base, schemas
from talk.api.schemas import MAX_PAGE_SIZE
from talk.limits import MAX_ID

blp = base.api_blueprint("api_notifications", "The caller's notifications.")


class NotificationQuerySchema(schemas.PageQuerySchema):
    unread = fields.Boolean(load_default=False, metadata={"description": "Only unread ones."})


class ReadSchema(schemas.RequestSchema):
    ids = fields.List(
        schemas.Whole(validate=validate.Range(min=1, max=MAX_ID)),
        validate=validate.Length(max=MAX_PAGE_SIZE),
        metadata={"description": "The notifications to mark read (the caller's own)."},
    )
    all = fields.Boolean(load_default=False, metadata={"description": "Mark all read."})

    @validates_schema
    def _one_of(self, data: dict[str, Any], **_: Any) -> None:
        if not data.get("all") and not data.get("ids"):
            raise ValidationError("Give ids, or all: true.", "ids")


class TargetSchema(Schema):
    discussion_id = fields.Integer(allow_none=True)
    comment_id = fields.Integer(allow_none=True)
    item_id = fields.Integer(allow_none=True)
    tag = fields.Function(lambda n: n.tag.name if n.tag is not None else None)


class NotificationSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"enum": list(KINDS)})
    project = fields.Function(lambda n: n.project.slug, metadata={"type": "string"})
    target = fields.Function(lambda n: TargetSchema().dump(n), metadata={"type": "object"})
    actor = fields.Nested(schemas.AuthorSchema, allow_none=True)
    detail = fields.String(
        metadata={
            "description": "The group mentioned; the verdict given; a notice's own kind "
            "(`moderation.hidden`, `moderation.new_report`…)."
        }
    )
    text = fields.String(metadata={"description": "A notice's sentence (other kinds: empty)."})
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)
    url = schemas.link(lambda n: notification_url(n, _external=True), "Where it leads.")


class ReadResultSchema(Schema):
    marked = fields.Integer(metadata={"description": "How many were unread."})


NotificationPageSchema = schemas.page_schema("NotificationPage", NotificationSchema)


@blp.route("/notifications")
class Notifications(MethodView):
    @blp.arguments(NotificationQuerySchema, location="query")
    @blp.response(200, NotificationPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The caller's notifications, newest first (`unread=true`: only unread ones)."""
        page = inbox.inbox_page(
            auth.actor(),
            auth.actor(),
            cursor=args.get("cursor"),
            limit=base.page_limit(args),
            unread=args["unread"],
        )
        return base.page_body(page)


@blp.route("/notifications/read")
class NotificationsRead(MethodView):
    @blp.arguments(ReadSchema)
    @blp.response(200, ReadResultSchema)
    def post(self, body: dict[str, Any]) -> dict[str, int]:
        """Mark the caller's notifications `ids` (others' are ignored), or `all`, read."""
        marked = inbox.mark_read(
            auth.actor(), auth.actor(), body.get("ids") or (), everything=body["all"]
        )
        return {"marked": marked}
