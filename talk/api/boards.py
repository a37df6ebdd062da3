"""Boards: a project's boards, and the discussions on a general board."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from talk.api import auth, base, schemas
from talk.models import Board, Discussion
from talk.services import discussions, listing, projects

blp = base.api_blueprint("api_boards", "Boards and their discussions.")


@blp.route("/projects/<slug>/boards")
class ProjectBoards(MethodView):
    @blp.response(200, schemas.BoardPageSchema)
    def get(self, slug: str) -> dict[str, Any]:
        """The boards of a project the caller may read, in display order (one short list,
        never paged: `next_cursor` is always null)."""
        project = projects.get_project(slug)
        return base.whole_list(projects.readable_boards(auth.viewer(), project), keep=(project,))

    @blp.arguments(schemas.BoardCreateSchema)
    @blp.response(201, schemas.BoardSchema)
    def post(self, body: dict[str, Any], slug: str) -> Board:
        """Add a general board. Project admins and owners."""
        return projects.create_board(
            auth.actor(),
            projects.get_project(slug),
            body["title"],
            body["description"],
            read_level=body["read_level"],
            write_level=body["write_level"],
        )


@blp.route(f"/boards/<{base.ID}:board_id>")
class BoardDetail(MethodView):
    @blp.response(200, schemas.BoardSchema)
    def get(self, board_id: int) -> Board:
        """A board (404 if the caller may not read it)."""
        return base.readable_board(board_id)


@blp.route(f"/boards/<{base.ID}:board_id>/discussions")
class BoardDiscussions(MethodView):
    @blp.arguments(schemas.PageQuerySchema, location="query")
    @blp.response(200, schemas.DiscussionPageSchema)
    def get(self, args: dict[str, Any], board_id: int) -> dict[str, Any]:
        """A board's discussions, most recently active first (404 if not readable)."""
        board = base.readable_board(board_id)
        page = listing.board_discussions(
            board, cursor=args.get("cursor"), limit=base.page_limit(args)
        )
        return base.page_body(page, keep=(board, board.project))

    @blp.arguments(schemas.DiscussionCreateSchema)
    @blp.response(201, schemas.DiscussionSchema)
    def post(self, body: dict[str, Any], board_id: int) -> Discussion:
        """Start a discussion (with its first comment) on a general board. Item threads are
        started on the item: `POST /projects/{slug}/items/{external_id}/discussions`."""
        board = base.readable_board(board_id)
        return discussions.start_discussion(auth.actor(), board, body["title"], body["body"])
