"""Reports, cases and the audit log in the JSON API: ``POST /reports``, a project's cases and
audit log (cursor pages), one case, its actions (the registry of
:mod:`moderation.case_actions`) and its claim. A case of a project the caller does not moderate
answers 404, as one that does not exist."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from moderation import audit_log, case_actions, cases, reports
from moderation.case_models import MAX_DAYS, MAX_NOTE, REASONS, REPORT_TARGETS, Case, Report
from moderation.cases import STATE_FILTERS
from talk import api
from talk.api import auth, base, schemas
from talk.limits import MAX_ID
from talk.services import projects

blp = base.api_blueprint("api_moderation", "Reports, moderation cases and the audit log.")


class ReportCreateSchema(schemas.RequestSchema):
    target_type = fields.String(required=True, validate=validate.OneOf(REPORT_TARGETS))
    target_id = schemas.Whole(required=True, validate=validate.Range(min=1, max=MAX_ID))
    reason = fields.String(required=True, validate=validate.OneOf(list(REASONS)))
    note = fields.String(load_default="", validate=validate.Length(max=MAX_NOTE))
    project = fields.String(
        validate=validate.Length(max=100),
        metadata={"description": "The project's slug: required when reporting a person."},
    )


class ReportSchema(Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    target_type = fields.Function(lambda r: r.case.target_type)
    target_id = fields.Function(lambda r: r.case.target_id)
    reason = fields.String()
    note = fields.String()
    created_at = fields.DateTime()
    outcome = fields.Function(
        reports.outcome,
        metadata={"enum": ["pending", "actioned", "dismissed"], "description": "What came of it."},
    )


class ReportForModeratorsSchema(ReportSchema):
    reporter = fields.Nested(
        schemas.AuthorSchema,
        allow_none=True,
        metadata={"description": "Who reported it; null for a watched word's flag."},
    )
    weight = fields.Integer(metadata={"description": "The reporter's standing when reporting."})


class CaseSchema(Schema):
    id = fields.Integer()
    project = fields.Function(lambda c: c.project.slug, metadata={"type": "string"})
    target_type = fields.String()
    target_id = fields.Integer()
    subject = fields.Nested(schemas.AuthorSchema, attribute="subject_user")
    board_id = fields.Integer(allow_none=True)
    state = fields.String()
    reason = fields.String()
    priority = fields.Integer()
    report_count = fields.Integer()
    opened_at = fields.DateTime()
    due_at = fields.DateTime(allow_none=True)
    claimed_by = fields.Nested(schemas.AuthorSchema, allow_none=True)
    claimed_at = fields.DateTime(allow_none=True)
    resolved_by = fields.Nested(schemas.AuthorSchema, allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    resolution = fields.String()
    resolution_reason = fields.String()
    resolution_note = fields.String()


class CaseDetailSchema(CaseSchema):
    reports = fields.List(fields.Nested(ReportForModeratorsSchema))
    actions = fields.Function(
        lambda c: [a.name for a in case_actions.available(c, cases.target_of(c))],
        metadata={"description": "The actions that apply now."},
    )


class CaseQuerySchema(schemas.PageQuerySchema):
    state = fields.String(load_default="open", validate=validate.OneOf(STATE_FILTERS))
    reason = fields.String(validate=validate.OneOf(list(REASONS)))
    board = schemas.Whole(validate=validate.Range(min=1, max=MAX_ID))
    author = fields.String(validate=validate.Length(max=100))


class ActionSchema(schemas.RequestSchema):
    action = fields.String(required=True, validate=validate.Length(max=40))
    reason = fields.String(load_default="", validate=validate.Length(max=40))
    note = fields.String(load_default="", validate=validate.Length(max=MAX_NOTE))
    days = schemas.Whole(
        validate=validate.Range(min=1, max=MAX_DAYS),
        metadata={"description": "For actions that last (a mute, a suspension)."},
    )


class AuditQuerySchema(schemas.PageQuerySchema):
    action = fields.String(validate=validate.Length(max=40))
    actor = fields.String(validate=validate.Length(max=100))
    subject = fields.String(validate=validate.Length(max=100))
    since = fields.Date()
    until = fields.Date()


class AuditEntrySchema(Schema):
    id = fields.Integer()
    created_at = fields.DateTime()
    actor = fields.Nested(schemas.AuthorSchema, allow_none=True)
    action = fields.String()
    target_type = fields.String()
    target_id = fields.Integer(allow_none=True)
    subject = fields.Nested(schemas.AuthorSchema, attribute="subject_user", allow_none=True)
    case_id = fields.Integer(allow_none=True)
    reason = fields.String()
    note = fields.String()
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)


@blp.route("/reports")
class Reports(MethodView):
    @blp.arguments(schemas.PageQuerySchema, location="query")
    @blp.response(200, schemas.page_schema("ReportPage", ReportSchema))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The caller's reports, newest first, with what came of each."""
        page = reports.my_reports(
            auth.viewer(), cursor=args.get("cursor"), limit=base.page_limit(args)
        )
        return base.page_body(page)

    @blp.arguments(ReportCreateSchema)
    @blp.response(201, ReportSchema)
    def post(self, body: dict[str, Any]) -> Report:
        """Report a comment, a discussion or a person (then `project` names where); 409 if
        you reported it already."""
        return reports.file_report(
            auth.actor(),
            body["target_type"],
            body["target_id"],
            body["reason"],
            body["note"],
            project_slug=body.get("project"),
        )


@blp.route("/projects/<slug>/moderation/cases")
class ProjectCases(MethodView):
    @blp.arguments(CaseQuerySchema, location="query")
    @blp.response(200, schemas.page_schema("CasePage", CaseSchema))
    def get(self, args: dict[str, Any], slug: str) -> dict[str, Any]:
        """The project's cases, most urgent first (moderators, admins)."""
        project = projects.get_project(slug)
        filters = cases.QueueFilters(
            state=args["state"],
            reason=args.get("reason"),
            board_id=args.get("board"),
            author=args.get("author"),
        )
        page = cases.queue(
            auth.viewer(), project, filters, cursor=args.get("cursor"), limit=base.page_limit(args)
        )
        return base.page_body(page, keep=(project,))


@blp.route(f"/moderation/cases/<{base.ID}:case_id>")
class CaseDetail(MethodView):
    @blp.response(200, CaseDetailSchema)
    def get(self, case_id: int) -> Case:
        """One case with its reports and the actions that apply now."""
        return cases.get_case(auth.viewer(), case_id)


@blp.route(f"/moderation/cases/<{base.ID}:case_id>/actions")
class CaseActions(MethodView):
    @blp.arguments(ActionSchema)
    @blp.response(200, CaseDetailSchema)
    def post(self, body: dict[str, Any], case_id: int) -> Case:
        """Act on a case: `dismiss`, `watch`, `hide` (a comment; `reason` required),
        `restore`, `delete`…; answers the case afterwards."""
        case = cases.get_case(auth.viewer(), case_id)
        return case_actions.perform(
            auth.actor(),
            case,
            body["action"],
            reason=body["reason"],
            note=body["note"],
            params={"days": body.get("days")},
        )


@blp.route(f"/moderation/cases/<{base.ID}:case_id>/claim")
class CaseClaim(MethodView):
    @blp.response(200, CaseDetailSchema)
    def put(self, case_id: int) -> Case:
        """Claim the case (others still may act, and see who claimed it)."""
        return cases.claim(auth.actor(), cases.get_case(auth.viewer(), case_id))

    @blp.response(200, CaseDetailSchema)
    def delete(self, case_id: int) -> Case:
        """Release the claim."""
        return cases.unclaim(auth.actor(), cases.get_case(auth.viewer(), case_id))


@blp.route("/projects/<slug>/moderation/audit")
class ProjectAudit(MethodView):
    @blp.arguments(AuditQuerySchema, location="query")
    @blp.response(200, schemas.page_schema("AuditPage", AuditEntrySchema))
    def get(self, args: dict[str, Any], slug: str) -> dict[str, Any]:
        """The project's audit log, newest first (moderators, admins)."""
        project = projects.get_project(slug)
        filters = audit_log.AuditFilters(
            action=args.get("action"),
            actor=args.get("actor"),
            subject=args.get("subject"),
            since=str(args["since"]) if args.get("since") else None,
            until=str(args["until"]) if args.get("until") else None,
        )
        page = audit_log.entries(
            auth.viewer(), project, filters, cursor=args.get("cursor"), limit=base.page_limit(args)
        )
        return base.page_body(page, keep=(project,))


def init_app(app: Flask) -> None:
    api.register_blueprint(app, blp)
