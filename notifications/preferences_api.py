"""Email preferences and the delivery log in the JSON API: ``/api/v1/me/email-preferences``
(GET, PUT) and ``/api/v1/me/deliveries`` (the caller's emails, newest first)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from notifications import preferences
from talk.api import auth, base, schemas
from talk.limits import MAX_PROJECT_SLUG
from talk.services import projects

blp = base.api_blueprint(
    "api_email_preferences", "The caller's email preferences and their delivery log."
)

_CATEGORY = validate.OneOf(list(preferences.PREFERENCE_CATEGORIES))
_CHOICE = validate.OneOf(list(preferences.CHOICES))


class ProjectChoiceSchema(Schema):
    project = fields.String(required=True, validate=validate.Length(min=1, max=MAX_PROJECT_SLUG))
    category = fields.String(required=True, validate=_CATEGORY)
    choice = fields.String(
        required=True,
        allow_none=True,
        validate=_CHOICE,
        metadata={"description": "null: back to the site-wide choice."},
    )


class EmailPreferencesUpdateSchema(schemas.RequestSchema):
    """What to change; what is left out stays as it is."""

    everything_off = fields.Boolean(
        metadata={"description": "No email at all (account emails still come)."}
    )
    categories = fields.Dict(
        keys=fields.String(validate=_CATEGORY),
        values=fields.String(validate=_CHOICE),
        metadata={"description": "Site-wide choice per category."},
    )
    projects = fields.List(
        fields.Nested(ProjectChoiceSchema),
        validate=validate.Length(max=100),
        metadata={"description": "Per-project choices, overriding the site-wide ones."},
    )


class ProjectChoiceOutSchema(Schema):
    project = fields.Function(lambda row: row.project.slug, metadata={"type": "string"})
    category = fields.String()
    choice = fields.String()


class EmailPreferencesSchema(Schema):
    everything_off = fields.Boolean()
    categories = fields.Dict(keys=fields.String(), values=fields.String())
    defaults = fields.Function(lambda _prefs: preferences.DEFAULTS, metadata={"type": "object"})
    projects = fields.List(fields.Nested(ProjectChoiceOutSchema))


class DeliverySchema(Schema):
    id = fields.Integer()
    subject = fields.String()
    category = fields.String()
    to_address = fields.String()
    state = fields.Function(
        preferences.shown_state,
        metadata={
            "type": "string",
            "description": "sent, queued, deferred, sending, failed, uncertain or skipped.",
        },
    )
    reason = fields.String(allow_none=True, metadata={"description": "Why, as a short code."})
    reason_text = fields.Function(
        preferences.reason_text, metadata={"type": "string", "nullable": True}
    )
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)


DeliveryPageSchema = schemas.page_schema("DeliveryPage", DeliverySchema)


@blp.route("/me/email-preferences")
class MyEmailPreferences(MethodView):
    @blp.response(200, EmailPreferencesSchema)
    def get(self) -> preferences.Preferences:
        """Every category's site-wide choice, the defaults, per-project choices, the switch."""
        return preferences.preferences_of(auth.actor(), auth.actor())

    @blp.arguments(EmailPreferencesUpdateSchema)
    @blp.response(200, EmailPreferencesSchema)
    def put(self, body: dict[str, Any]) -> preferences.Preferences:
        """Change what the body names, all or nothing (an unknown project: 404)."""
        user = auth.actor()
        overrides = [
            (projects.get_project(row["project"]), row["category"], row["choice"])
            for row in body.get("projects", [])
        ]
        preferences.set_preferences(user, user, body.get("categories", {}))
        for project, category, choice in overrides:
            preferences.set_choice(user, user, category, choice, project=project)
        if "everything_off" in body:
            preferences.set_everything_off(user, user, body["everything_off"])
        return preferences.preferences_of(user, user)


@blp.route("/me/deliveries")
class MyDeliveries(MethodView):
    @blp.arguments(schemas.PageQuerySchema, location="query")
    @blp.response(200, DeliveryPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The caller's emails, newest first, with what became of each and why: nobody
        else's (site admins read everyone's at /admin/outbox)."""
        page = preferences.deliveries_page(
            auth.actor(), auth.actor(), cursor=args.get("cursor"), limit=base.page_limit(args)
        )
        return base.page_body(page)
