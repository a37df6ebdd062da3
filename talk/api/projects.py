"""Projects: list, create (site admins), read."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from talk.api import auth, base, schemas
from talk.models import Project
from talk.services import listing, projects
from talk.services.projects import ProjectAsSeen

blp = base.api_blueprint("api_projects", "Crowdsourcing projects.")


def _as_seen(project: Project) -> ProjectAsSeen:
    """The project with the boards, and the counts, the caller may read."""
    return projects.as_seen_by(auth.viewer(), [project])[0]


@blp.route("/projects")
class ProjectList(MethodView):
    @blp.arguments(schemas.PageQuerySchema, location="query")
    @blp.response(200, schemas.ProjectPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Every project, oldest first."""
        page = listing.all_projects(
            auth.viewer(), cursor=args.get("cursor"), limit=base.page_limit(args)
        )
        return base.page_body(page)

    @blp.arguments(schemas.ProjectCreateSchema)
    @blp.response(201, schemas.ProjectDetailSchema)
    def post(self, body: dict[str, Any]) -> ProjectAsSeen:
        """Create a project with its boards; the caller becomes its owner. Site admins only."""
        project = projects.create_project(
            auth.actor(),
            body["slug"],
            body["title"],
            body["description"],
            body["settings"],
            image_hosts=body["image_hosts"],
        )
        return _as_seen(project)


@blp.route("/projects/<slug>")
class ProjectDetail(MethodView):
    @blp.response(200, schemas.ProjectDetailSchema)
    def get(self, slug: str) -> ProjectAsSeen:
        """A project, with the boards the caller may read (its counts are over those)."""
        return _as_seen(projects.get_project(slug))

    @blp.arguments(schemas.ProjectEditSchema)
    @blp.response(200, schemas.ProjectDetailSchema)
    def patch(self, body: dict[str, Any], slug: str) -> ProjectAsSeen:
        """Change the hosts whose images the project's comments show inline (project admins
        and owners); comments showing an image are rendered again."""
        project = projects.set_image_hosts(
            auth.actor(), projects.get_project(slug), body["image_hosts"]
        )
        return _as_seen(project)
