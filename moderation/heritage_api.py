"""Content warnings and workflow flags in the JSON API.

``/projects/{slug}/content-warnings`` (list, create), ``…/{id}`` (read, change, delete),
``…/{id}/attachments`` (where it is shown: list, attach, detach), ``…/{id}/acknowledgement``
(the caller read it); the warnings before an item, discussion or board
(``/projects/{slug}/items/{external_id}/content-warnings``,
``/discussions/{id}/content-warnings``, ``/boards/{id}/content-warnings``);
``/projects/{slug}/workflow-flags`` (the configured hashtags) and ``/projects/{slug}/review-list``
(what waits for an answer, oldest first).
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from moderation import content_warnings, workflow
from moderation.content_warnings import Shown, Target
from moderation.heritage_models import ContentWarning, ContentWarningAttachment, WorkflowFlag
from moderation.heritage_models import WorkflowRequest as ReviewRequest
from moderation.heritage_schemas import (
    AttachmentListSchema,
    AttachmentSchema,
    AttachmentTargetSchema,
    FlagCreateSchema,
    FlagListSchema,
    FlagSchema,
    ReviewPageSchema,
    ReviewRequestSchema,
    ShownWarningListSchema,
    WarningCreateSchema,
    WarningEditSchema,
    WarningPageSchema,
    WarningSchema,
)
from talk.api import auth, base, schemas
from talk.errors import InvalidInput
from talk.models import Project
from talk.services import projects, reading

blp = base.api_blueprint(
    "api_heritage", "Content warnings, workflow flags and the staff's review list."
)


def _warning(slug: str, warning_id: int) -> tuple[Project, ContentWarning]:
    project = projects.get_project(slug)
    return project, content_warnings.get_warning(project, warning_id)


@blp.route("/projects/<slug>/content-warnings")
class Warnings(MethodView):
    @blp.arguments(schemas.PageQuerySchema, location="query")
    @blp.response(200, WarningPageSchema)
    def get(self, args: dict[str, Any], slug: str) -> dict[str, Any]:
        """A project's content warnings, oldest first (public: they are shown on its pages)."""
        project = projects.get_project(slug)
        page = content_warnings.warnings_page(
            project, cursor=args.get("cursor"), limit=base.page_limit(args)
        )
        return base.page_body(page, keep=(project,))

    @blp.arguments(WarningCreateSchema)
    @blp.response(201, WarningSchema)
    def post(self, body: dict[str, Any], slug: str) -> ContentWarning:
        """Write a content warning (project staff: team, experts, moderators, admins)."""
        project = projects.get_project(slug)
        return content_warnings.create_warning(auth.actor(), project, body["title"], body["text"])


@blp.route(f"/projects/<slug>/content-warnings/<{base.ID}:warning_id>")
class WarningDetail(MethodView):
    @blp.response(200, WarningSchema)
    def get(self, slug: str, warning_id: int) -> ContentWarning:
        return _warning(slug, warning_id)[1]

    @blp.arguments(WarningEditSchema)
    @blp.response(200, WarningSchema)
    def patch(self, body: dict[str, Any], slug: str, warning_id: int) -> ContentWarning:
        """Change the title or text; a change asks everyone to read it again."""
        warning = _warning(slug, warning_id)[1]
        return content_warnings.edit_warning(
            auth.actor(), warning, title=body.get("title"), text=body.get("text")
        )

    @blp.response(204)
    def delete(self, slug: str, warning_id: int) -> None:
        content_warnings.delete_warning(auth.actor(), _warning(slug, warning_id)[1])


def _target(project: Project, args: dict[str, Any]) -> Target:
    kind = args["type"]
    ref = args.get("external_id") if kind == "item" else args.get("id")
    if ref is None:
        field = "external_id" if kind == "item" else "id"
        raise InvalidInput(f"Name the {kind} by its {field}.", {field: ["Required."]})
    return content_warnings.find_target(auth.viewer(), project, kind, ref)


@blp.route(f"/projects/<slug>/content-warnings/<{base.ID}:warning_id>/attachments")
class Attachments(MethodView):
    @blp.response(200, AttachmentListSchema)
    def get(self, slug: str, warning_id: int) -> dict[str, Any]:
        """Where the warning is shown (items, discussions and boards; all of them)."""
        warning = _warning(slug, warning_id)[1]
        readable = [
            a
            for a in content_warnings.attachments(warning)
            if content_warnings.readable(auth.viewer(), a.target)
        ]
        return base.whole_list(readable)

    @blp.arguments(AttachmentTargetSchema)
    @blp.response(201, AttachmentSchema)
    def post(self, body: dict[str, Any], slug: str, warning_id: int) -> ContentWarningAttachment:
        """Show the warning before an item, discussion or board of the same project (409 if
        it is shown there already; another project's is not found)."""
        project, warning = _warning(slug, warning_id)
        return content_warnings.attach(auth.actor(), warning, _target(project, body))

    @blp.arguments(AttachmentTargetSchema, location="query")
    @blp.response(204)
    def delete(self, args: dict[str, Any], slug: str, warning_id: int) -> None:
        """Stop showing it before what the query names (`?type=item&external_id=S-1`)."""
        project, warning = _warning(slug, warning_id)
        content_warnings.detach(auth.actor(), warning, _target(project, args))


@blp.route(f"/projects/<slug>/content-warnings/<{base.ID}:warning_id>/acknowledgement")
class Acknowledgement(MethodView):
    @blp.response(204)
    def put(self, slug: str, warning_id: int) -> None:
        """Remember that the caller (logged in: the API takes no anonymous writes) read this
        version of the warning."""
        content_warnings.acknowledge(auth.viewer(), _warning(slug, warning_id)[1])


class _AsShown:
    """A warning with the caller's ``acknowledged``, for :class:`ShownWarningSchema`."""

    def __init__(self, shown: Shown) -> None:
        self.acknowledged = shown.acknowledged
        self._warning = shown.warning

    def __getattr__(self, name: str) -> Any:
        return getattr(self._warning, name)


def _shown(target: Target) -> dict[str, Any]:
    shown = content_warnings.shown_for(auth.viewer(), target)
    return base.whole_list([_AsShown(s) for s in shown])


@blp.route("/projects/<slug>/items/<path:external_id>/content-warnings")
class ItemWarnings(MethodView):
    @blp.response(200, ShownWarningListSchema)
    def get(self, slug: str, external_id: str) -> dict[str, Any]:
        """The warnings shown before an item, and whether the caller read each."""
        return _shown(reading.item(slug, external_id)[1])


@blp.route(f"/discussions/<{base.ID}:discussion_id>/content-warnings")
class DiscussionWarnings(MethodView):
    @blp.response(200, ShownWarningListSchema)
    def get(self, discussion_id: int) -> dict[str, Any]:
        """The warnings shown before a discussion: its own, its item's and its board's."""
        return _shown(base.readable_discussion(discussion_id))


@blp.route(f"/boards/<{base.ID}:board_id>/content-warnings")
class BoardWarnings(MethodView):
    @blp.response(200, ShownWarningListSchema)
    def get(self, board_id: int) -> dict[str, Any]:
        return _shown(base.readable_board(board_id))


# ------------------------------------------------------------------------------ workflow


@blp.route("/projects/<slug>/workflow-flags")
class Flags(MethodView):
    @blp.response(200, FlagListSchema)
    def get(self, slug: str) -> dict[str, Any]:
        """The hashtags that put an item on the review list (public: volunteers use them)."""
        return base.whole_list(workflow.flags(projects.get_project(slug)))

    @blp.arguments(FlagCreateSchema)
    @blp.response(201, FlagSchema)
    def post(self, body: dict[str, Any], slug: str) -> WorkflowFlag:
        """Add a hashtag (project staff; 409 if it is one already)."""
        project = projects.get_project(slug)
        return workflow.add_flag(auth.actor(), project, body["tag"], body["description"])


@blp.route("/projects/<slug>/workflow-flags/<name>")
class FlagDetail(MethodView):
    @blp.response(204)
    def delete(self, slug: str, name: str) -> None:
        """Stop using the hashtag as a flag; its requests leave the review list."""
        workflow.remove_flag(auth.actor(), workflow.get_flag(projects.get_project(slug), name))


@blp.route("/projects/<slug>/review-list")
class ReviewList(MethodView):
    @blp.arguments(schemas.PageQuerySchema, location="query")
    @blp.response(200, ReviewPageSchema)
    def get(self, args: dict[str, Any], slug: str) -> dict[str, Any]:
        """Unanswered requests, oldest first (project staff)."""
        page = workflow.review_page(
            auth.actor(),
            projects.get_project(slug),
            cursor=args.get("cursor"),
            limit=base.page_limit(args),
        )
        return base.page_body(page)


@blp.route(f"/projects/<slug>/review-list/<{base.ID}:request_id>/answered")
class MarkAnswered(MethodView):
    @blp.response(200, ReviewRequestSchema)
    def post(self, slug: str, request_id: int) -> ReviewRequest:
        """Take a request off the review list by hand (409 if it was answered already)."""
        found = workflow.get_request(projects.get_project(slug), request_id)
        return workflow.mark_answered(auth.actor(), found)
