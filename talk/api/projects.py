"""Projects: list, create (site admins), read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask.views import MethodView

from talk.api import auth, base, schemas
from talk.models import Board, Project
from talk.services import listing, projects

blp = base.api_blueprint("api_projects", "Crowdsourcing projects.")


@dataclass
class ProjectWithBoards:
    """A project as one caller sees it: with only the boards that caller may read."""

    project: Project
    boards: list[Board]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.project, name)

    @classmethod
    def for_viewer(cls, project: Project) -> ProjectWithBoards:
        return cls(project, projects.readable_boards(auth.viewer(), project))


@blp.route("/projects")
class ProjectList(MethodView):
    @blp.arguments(schemas.PageQuerySchema, location="query")
    @blp.response(200, schemas.ProjectPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Every project, oldest first."""
        page = listing.all_projects(cursor=args.get("cursor"), limit=base.page_limit(args))
        return base.page_body(page)

    @blp.arguments(schemas.ProjectCreateSchema)
    @blp.response(201, schemas.ProjectDetailSchema)
    def post(self, body: dict[str, Any]) -> ProjectWithBoards:
        """Create a project with its boards; the caller becomes its owner. Site admins only."""
        project = projects.create_project(
            auth.actor(),
            body["slug"],
            body["title"],
            body["description"],
            body["settings"],
        )
        return ProjectWithBoards.for_viewer(project)


@blp.route("/projects/<slug>")
class ProjectDetail(MethodView):
    @blp.response(200, schemas.ProjectDetailSchema)
    def get(self, slug: str) -> ProjectWithBoards:
        """A project, with the boards the caller may read."""
        return ProjectWithBoards.for_viewer(projects.get_project(slug))
