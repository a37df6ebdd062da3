"""The moderators' actions on a discussion: lock, pin, move, merge, split (their project's
moderators and admins, and site admins). Each answers the discussion as it now is (a split, the
new one, 201; a merge, the one kept). A discussion the caller may not read is 404; one they may
read but not moderate, 403."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import fields, validate

from talk.api import auth, base, schemas
from talk.errors import InvalidInput, NotFound
from talk.limits import MAX_DISCUSSION_TITLE, MAX_ID
from talk.models import Board, Discussion, Item
from talk.services import items, threads

blp = base.api_blueprint("api_threads", "Moderators' actions on discussions.")


def _id(description: str, **kwargs: Any) -> fields.Integer:
    return fields.Integer(
        strict=True,
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={"description": description},
        **kwargs,
    )


class DiscussionLockSchema(schemas.RequestSchema):
    locked = fields.Boolean(required=True, metadata={"description": "true locks, false opens."})


class DiscussionPinSchema(schemas.RequestSchema):
    pinned = fields.Boolean(required=True, metadata={"description": "true pins, false unpins."})


class DiscussionMoveSchema(schemas.RequestSchema):
    board_id = _id("A board of the same project (not the items board).", allow_none=True)
    item = fields.String(
        allow_none=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "The external id of an item of the same project."},
    )


class DiscussionMergeSchema(schemas.RequestSchema):
    into = _id("The discussion to merge this one into (it is kept).", required=True)


class DiscussionSplitSchema(schemas.RequestSchema):
    comment_ids = fields.List(
        _id("A reply of this discussion (not its opening comment)."),
        required=True,
        validate=validate.Length(min=1, max=1000),
    )
    title = fields.String(required=True, validate=validate.Length(max=MAX_DISCUSSION_TITLE))


def _readable(discussion_id: int) -> Discussion:
    return base.readable_discussion(discussion_id)


@blp.route(f"/discussions/<{base.ID}:discussion_id>/lock")
class DiscussionLock(MethodView):
    @blp.arguments(DiscussionLockSchema)
    @blp.response(200, schemas.DiscussionSchema)
    def post(self, body: dict[str, Any], discussion_id: int) -> Discussion:
        """Lock (no replies but its moderators') or unlock a discussion."""
        return threads.lock_discussion(
            auth.actor(), _readable(discussion_id), locked=body["locked"]
        )


@blp.route(f"/discussions/<{base.ID}:discussion_id>/pin")
class DiscussionPin(MethodView):
    @blp.arguments(DiscussionPinSchema)
    @blp.response(200, schemas.DiscussionSchema)
    def post(self, body: dict[str, Any], discussion_id: int) -> Discussion:
        """Pin (listed first on its board and item) or unpin a discussion."""
        return threads.pin_discussion(auth.actor(), _readable(discussion_id), pinned=body["pinned"])


@blp.route(f"/discussions/<{base.ID}:discussion_id>/move")
class DiscussionMove(MethodView):
    @blp.arguments(DiscussionMoveSchema)
    @blp.response(200, schemas.DiscussionSchema)
    def post(self, body: dict[str, Any], discussion_id: int) -> Discussion:
        """Move a discussion onto an item (`item`) or a board (`board_id`) of its project."""
        discussion = _readable(discussion_id)
        board: Board | None = None
        item: Item | None = None
        try:
            if body.get("item"):
                item = items.get_item(discussion.project, body["item"])
            elif body.get("board_id") is not None:
                board = base.readable_board(body["board_id"])
        except NotFound as exc:
            raise InvalidInput(
                exc.message, {"item" if body.get("item") else "board_id": ["Not found."]}
            ) from exc
        return threads.move_discussion(auth.actor(), discussion, board=board, item=item)


@blp.route(f"/discussions/<{base.ID}:discussion_id>/merge")
class DiscussionMerge(MethodView):
    @blp.arguments(DiscussionMergeSchema)
    @blp.response(200, schemas.DiscussionSchema)
    def post(self, body: dict[str, Any], discussion_id: int) -> Discussion:
        """Merge this discussion into `into`: its comments move there in time order and its
        address answers 301 there. Answers the discussion kept."""
        merged = _readable(discussion_id)
        try:
            into = _readable(body["into"])
        except NotFound as exc:
            raise InvalidInput(exc.message, {"into": ["No such discussion."]}) from exc
        return threads.merge_discussions(auth.actor(), merged, into)


@blp.route(f"/discussions/<{base.ID}:discussion_id>/split")
class DiscussionSplit(MethodView):
    @blp.arguments(DiscussionSplitSchema)
    @blp.response(201, schemas.DiscussionSchema)
    def post(self, body: dict[str, Any], discussion_id: int) -> Discussion:
        """Move the chosen replies into a new discussion titled `title` (same board and
        item); replies answering across the split keep their link."""
        return threads.split_comments(
            auth.actor(), _readable(discussion_id), body["comment_ids"], body["title"]
        )
