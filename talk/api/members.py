"""Project members and their roles; and the people an ``@`` may name while writing."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from talk import policy
from talk.api import auth, base, schemas
from talk.models import Membership
from talk.services import accounts, composing, listing, projects

blp = base.api_blueprint("api_members", "Project members and their roles; @mention suggestions.")


class PeopleQuerySchema(schemas.RequestSchema):
    q = fields.String(
        required=True,
        validate=validate.Length(min=1, max=composing.MAX_TYPED),
        metadata={"description": "What has been typed so far, with or without the '@'."},
    )
    limit = schemas.Whole(
        load_default=composing.SUGGESTIONS,
        validate=validate.Range(min=1, max=composing.SUGGESTIONS),
        metadata={"description": f"At most this many people, 1–{composing.SUGGESTIONS}."},
    )


class PersonSchema(schemas.AuthorSchema):
    label = fields.String(
        allow_none=True, metadata={"description": "Their staff label here; null for volunteers."}
    )


class PeopleSchema(Schema):
    data = fields.List(fields.Nested(PersonSchema))


@blp.route("/projects/<slug>/people/autocomplete")
class PeopleAutocomplete(MethodView):
    @blp.arguments(PeopleQuerySchema, location="query")
    @blp.response(200, PeopleSchema)
    def get(self, args: dict[str, Any], slug: str) -> dict[str, Any]:
        """People to @mention whose username or name starts with `q`: the project's members
        first, then others who took part in discussions the caller may read. Logged-in callers
        only (401 otherwise); public profile fields only, never an email address."""
        project = projects.get_project(slug)
        people = composing.suggest_people(auth.viewer(), project, args["q"], limit=args["limit"])
        return {"data": people}


@blp.route("/projects/<slug>/members")
class ProjectMembers(MethodView):
    @blp.arguments(schemas.PageQuerySchema, location="query")
    @blp.response(200, schemas.MemberPageSchema)
    def get(self, args: dict[str, Any], slug: str) -> dict[str, Any]:
        """Everyone with a role in the project, in the order they got it."""
        project = projects.get_project(slug)
        policy.require(auth.viewer(), "members.view", project)
        page = listing.project_members(
            project, cursor=args.get("cursor"), limit=base.page_limit(args)
        )
        return base.page_body(page)


@blp.route("/projects/<slug>/members/<username>")
class ProjectMember(MethodView):
    @blp.arguments(schemas.MemberSetSchema)
    @blp.response(200, schemas.MemberSchema)
    def put(self, body: dict[str, Any], slug: str, username: str) -> Membership:
        """Give a user a role (and an optional visible label). Project admins and owners; only
        owners make or unmake owners; a project always keeps one owner (409)."""
        project = projects.get_project(slug)
        user = accounts.get_user(username)
        return projects.set_role(auth.actor(), project, user, body["role"], body["label"])

    @blp.response(204)
    def delete(self, slug: str, username: str) -> None:
        """Take away a user's role (they become an ordinary volunteer)."""
        project = projects.get_project(slug)
        projects.remove_member(auth.actor(), project, accounts.get_user(username))
