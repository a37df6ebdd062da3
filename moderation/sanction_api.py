"""Sanctions, notes and appeals in the JSON API.

Under a project: ``/projects/{slug}/moderation/people/{username}`` (the person's standing, for
moderators), its ``/actions`` (warn, mute, suspend, lift) and ``/notes``, and
``/projects/{slug}/moderation/appeals``. Site-wide: ``/moderation/bans`` (site admins),
``/moderation/sanctions/{id}/appeal`` (the person), ``/moderation/sanctions/{id}/lift``,
``/moderation/appeals/{id}/decision`` and ``/me/standing``. Outside their project, moderators
find nothing (404).
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate, validates_schema
from marshmallow.exceptions import ValidationError

from moderation import appeals, sanctions
from moderation.sanction_models import APPEAL_STATES, KINDS, REASONS, Appeal, Sanction
from talk.api import auth, base, schemas
from talk.clock import utcnow
from talk.errors import InvalidInput
from talk.limits import MAX_USERNAME
from talk.models import Project, User
from talk.services import accounts, projects

blp = base.api_blueprint(
    "api_sanctions", "Sanctions on people (warn, mute, suspend, ban), notes and appeals."
)

ACTIONS = ("warn", "mute", "suspend", "lift")
_NOTE = fields.String(load_default="", validate=validate.Length(max=sanctions.MAX_NOTE))


def _days() -> schemas.Whole:
    return schemas.Whole(
        validate=validate.Range(min=1, max=sanctions.MAX_DAYS),
        metadata={"description": "Mute: required. Suspend or ban: leave out for indefinitely."},
    )


class PersonActionSchema(schemas.RequestSchema):
    action = fields.String(required=True, validate=validate.OneOf(ACTIONS))
    reason = fields.String(validate=validate.OneOf(REASONS), metadata={"description": "Not lift."})
    note = _NOTE
    days = _days()

    @validates_schema
    def _complete(self, data: dict[str, Any], **_: Any) -> None:
        if data["action"] != "lift" and "reason" not in data:
            raise ValidationError("Give a reason.", "reason")
        if data["action"] == "mute" and "days" not in data:
            raise ValidationError("A mute needs a number of days.", "days")
        if data["action"] in ("warn", "lift") and "days" in data:
            raise ValidationError(f"A {data['action']} takes no days.", "days")


class BanCreateSchema(schemas.RequestSchema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=MAX_USERNAME))
    reason = fields.String(required=True, validate=validate.OneOf(REASONS))
    note = _NOTE
    days = _days()


class NoteCreateSchema(schemas.RequestSchema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=sanctions.MAX_NOTE))


class AppealCreateSchema(schemas.RequestSchema):
    note = fields.String(required=True, validate=validate.Length(min=1, max=sanctions.MAX_NOTE))


class SanctionLiftSchema(schemas.RequestSchema):
    note = _NOTE


class AppealDecisionSchema(schemas.RequestSchema):
    outcome = fields.String(required=True, validate=validate.OneOf(appeals.OUTCOMES))
    note = _NOTE


class AppealQuerySchema(schemas.PageQuerySchema):
    state = fields.String(validate=validate.OneOf(APPEAL_STATES))


class AppealBriefSchema(Schema):
    id = fields.Integer()
    state = fields.String(metadata={"enum": list(APPEAL_STATES)})
    note = fields.String()
    created_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    decision_note = fields.String()


class SanctionSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"enum": list(KINDS)})
    project = fields.Function(
        lambda s: s.project.slug if s.project else None,
        metadata={"type": "string", "nullable": True, "description": "None: a site ban."},
    )
    user = fields.Nested(schemas.AuthorSchema, attribute="person")
    reason = fields.String(metadata={"enum": list(REASONS)})
    note = fields.String()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime(allow_none=True, metadata={"description": "None: indefinite."})
    in_force = fields.Function(lambda s: s.active_at(utcnow()), metadata={"type": "boolean"})
    lifted_at = fields.DateTime(allow_none=True)
    case_id = fields.Integer(allow_none=True)
    appeal = fields.Nested(AppealBriefSchema, allow_none=True)


class AppealSchema(AppealBriefSchema):
    sanction = fields.Nested(SanctionSchema)
    decided_by = fields.Nested(schemas.AuthorSchema, allow_none=True)
    decided_alone = fields.Function(
        appeals.decided_alone,
        metadata={
            "type": "boolean",
            "description": "No moderator but the one who decided may decide it.",
        },
    )


class SanctionSuggestionSchema(Schema):
    action = fields.String()
    days = fields.Integer(allow_none=True)
    why = fields.String()


class PersonStandingSchema(Schema):
    user = fields.Nested(schemas.AuthorSchema)
    history = fields.List(fields.Nested(SanctionSchema))
    suggestion = fields.Nested(SanctionSuggestionSchema)


class ModeratorNoteSchema(Schema):
    id = fields.Integer()
    body = fields.String()
    author = fields.Nested(schemas.AuthorSchema, allow_none=True)
    created_at = fields.DateTime()


SanctionListSchema = schemas.page_schema("SanctionList", SanctionSchema)
NoteListSchema = schemas.page_schema("NoteList", ModeratorNoteSchema)
AppealPageSchema = schemas.page_schema("AppealPage", AppealSchema)


def _person(slug: str, username: str) -> tuple[Project, User]:
    """The project and person, once the caller is known to moderate it (else 404)."""
    project = projects.get_project(slug)
    sanctions.moderation_area(auth.viewer(), project)
    return project, accounts.get_user(username)


@blp.route("/projects/<slug>/moderation/people/<username>")
class Person(MethodView):
    @blp.response(200, PersonStandingSchema)
    def get(self, slug: str, username: str) -> dict[str, Any]:
        """A person's decisions in the project and the suggested next step (moderators)."""
        project, person = _person(slug, username)
        return {
            "user": person,
            "history": sanctions.history(project, person),
            "suggestion": sanctions.suggest(project, person),
        }


@blp.route("/projects/<slug>/moderation/people/<username>/actions")
class PersonActions(MethodView):
    @blp.arguments(PersonActionSchema)
    @blp.response(201, SanctionListSchema)
    def post(self, body: dict[str, Any], slug: str, username: str) -> dict[str, Any]:
        """Warn, mute, suspend (no `days`: indefinitely) or lift every mute and suspension in
        force. Answers the decisions made or lifted."""
        project, person = _person(slug, username)
        actor, action = auth.actor(), body["action"]
        common = {"reason": body.get("reason", ""), "note": body["note"]}
        if action == "lift":
            lifted = sanctions.active_in(person, project)
            if not lifted:
                raise InvalidInput(
                    f"{person.display_name} has no mute or suspension in force here.",
                    {"action": ["Nothing to lift."]},
                )
            for sanction in lifted:
                sanctions.lift(actor, sanction, note=body["note"])
            return base.whole_list(lifted)
        if action == "warn":
            made = sanctions.warn(actor, project, person, **common)
        elif action == "mute":
            made = sanctions.mute(actor, project, person, days=body["days"], **common)
        else:
            made = sanctions.suspend(actor, project, person, days=body.get("days"), **common)
        return base.whole_list([made])


@blp.route("/projects/<slug>/moderation/people/<username>/notes")
class PersonNotes(MethodView):
    @blp.response(200, NoteListSchema)
    def get(self, slug: str, username: str) -> dict[str, Any]:
        """Moderators' private notes on the person, newest first."""
        project, person = _person(slug, username)
        return base.whole_list(sanctions.notes(auth.actor(), project, person))

    @blp.arguments(NoteCreateSchema)
    @blp.response(201, ModeratorNoteSchema)
    def post(self, body: dict[str, Any], slug: str, username: str) -> Any:
        """Add a private note (seen by this project's moderators only)."""
        project, person = _person(slug, username)
        return sanctions.add_note(auth.actor(), project, person, body["body"])


@blp.route("/projects/<slug>/moderation/appeals")
class ProjectAppeals(MethodView):
    @blp.arguments(AppealQuerySchema, location="query")
    @blp.response(200, AppealPageSchema)
    def get(self, args: dict[str, Any], slug: str) -> dict[str, Any]:
        """The project's appeals, oldest first (`?state=open` for those waiting)."""
        page = appeals.appeals_page(
            auth.viewer(),
            projects.get_project(slug),
            state=args.get("state"),
            cursor=args.get("cursor"),
            limit=base.page_limit(args),
        )
        return base.page_body(page)


@blp.route("/moderation/appeals/<int:appeal_id>/decision")
class AppealDecision(MethodView):
    @blp.arguments(AppealDecisionSchema)
    @blp.response(200, AppealSchema)
    def post(self, body: dict[str, Any], appeal_id: int) -> Appeal:
        """Uphold or overturn (which lifts the decision); the person is told."""
        row = appeals.get_appeal(auth.viewer(), appeal_id)
        return appeals.decide(auth.actor(), row, body["outcome"], body["note"])


@blp.route("/moderation/sanctions/<int:sanction_id>/appeal")
class SanctionAppeal(MethodView):
    @blp.arguments(AppealCreateSchema)
    @blp.response(201, AppealBriefSchema)
    def post(self, body: dict[str, Any], sanction_id: int) -> Appeal:
        """Appeal a decision about the caller, once, saying why."""
        sanction = appeals.get_sanction(auth.viewer(), sanction_id)
        return appeals.appeal(auth.actor(), sanction, body["note"])


@blp.route("/moderation/sanctions/<int:sanction_id>/lift")
class SanctionLift(MethodView):
    @blp.arguments(SanctionLiftSchema)
    @blp.response(200, SanctionSchema)
    def post(self, body: dict[str, Any], sanction_id: int) -> Sanction:
        """End a mute, suspension or ban now."""
        sanction = appeals.get_sanction(auth.viewer(), sanction_id)
        sanctions.lift(auth.actor(), sanction, note=body["note"])
        return sanction


@blp.route("/moderation/bans")
class Bans(MethodView):
    @blp.response(200, SanctionListSchema)
    def get(self) -> dict[str, Any]:
        """Site bans in force (site admins)."""
        return base.whole_list(sanctions.bans_in_force(auth.viewer()))

    @blp.arguments(BanCreateSchema)
    @blp.response(201, SanctionSchema)
    def post(self, body: dict[str, Any]) -> Sanction:
        """Ban a person from writing anywhere (no `days`: until lifted); site admins only."""
        person = accounts.get_user(body["username"])
        return sanctions.ban(
            auth.actor(),
            person,
            reason=body["reason"],
            note=body["note"],
            days=body.get("days"),
        )


@blp.route("/me/standing")
class MyStanding(MethodView):
    @blp.response(200, SanctionListSchema)
    def get(self) -> dict[str, Any]:
        """Every decision about the caller, newest first, with its appeal."""
        return base.whole_list(sanctions.own_standing(auth.viewer(), None))
