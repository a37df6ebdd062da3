"""Project members and their roles."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from talk import policy
from talk.api import auth, base, schemas
from talk.models import Membership
from talk.services import accounts, listing, projects

blp = base.api_blueprint("api_members", "Project members and their roles.")


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
