"""Discussions and comments.

A discussion or comment on a board the caller may not read answers 404, as if it did not exist.
"""

from __future__ import annotations

from typing import Any

from flask import redirect, url_for
from flask.views import MethodView
from werkzeug.wrappers import Response

from talk.api import auth, base, schemas
from talk.errors import InvalidInput, NotFound
from talk.models import Comment, Discussion
from talk.services import discussions, listing, threads

blp = base.api_blueprint("api_discussions", "Discussions and their comments.")


def _moved(merged: Discussion, resource: str) -> Response:
    """A permanent redirect to ``resource`` of the discussion ``merged`` now lives in."""
    kept = threads.final_discussion(merged)
    return redirect(url_for(f"api_discussions.{resource}", discussion_id=kept.id), 301)


@blp.route(f"/discussions/<{base.ID}:discussion_id>")
class DiscussionDetail(MethodView):
    @blp.response(200, schemas.DiscussionSchema)
    @blp.alt_response(301, description="Merged into another discussion: `Location` names it.")
    def get(self, discussion_id: int) -> Discussion | Response:
        """A discussion with its board, its item (if any) and its counts. One merged into
        another answers 301 with the other's address."""
        discussion = base.readable_discussion(discussion_id)
        return _moved(discussion, "DiscussionDetail") if discussion.is_merged else discussion


@blp.route(f"/discussions/<{base.ID}:discussion_id>/comments")
class DiscussionComments(MethodView):
    @blp.arguments(schemas.PageQuerySchema, location="query")
    @blp.response(200, schemas.CommentPageSchema)
    @blp.alt_response(301, description="Merged into another discussion: `Location` names it.")
    def get(self, args: dict[str, Any], discussion_id: int) -> dict[str, Any] | Response:
        """A discussion's comments in the order they were written; deleted ones stay in place
        (body null) so replies keep their context. Those of one merged into another are
        there: 301 with its address."""
        discussion = base.readable_discussion(discussion_id)
        if discussion.is_merged:
            return _moved(discussion, "DiscussionComments")
        page = listing.discussion_comments(
            discussion, cursor=args.get("cursor"), limit=base.page_limit(args), viewer=auth.viewer()
        )
        return base.page_body(page)

    @blp.arguments(schemas.CommentCreateSchema)
    @blp.response(201, schemas.CommentSchema)
    def post(self, body: dict[str, Any], discussion_id: int) -> Comment:
        """Reply in a discussion; `reply_to` names the comment of this discussion answered."""
        discussion = base.readable_discussion(discussion_id)
        reply_to = None
        if body.get("reply_to") is not None:
            try:
                reply_to = discussions.get_comment(body["reply_to"])
            except NotFound as exc:
                raise InvalidInput(exc.message, {"reply_to": ["No such comment."]}) from exc
        return discussions.post_comment(auth.actor(), discussion, body["body"], reply_to=reply_to)


@blp.route(f"/comments/<{base.ID}:comment_id>")
class CommentDetail(MethodView):
    @blp.response(200, schemas.CommentSchema)
    def get(self, comment_id: int) -> Comment:
        """One comment."""
        return base.readable_comment(comment_id)

    @blp.arguments(schemas.CommentEditSchema)
    @blp.response(200, schemas.CommentSchema)
    def patch(self, body: dict[str, Any], comment_id: int) -> Comment:
        """Replace a comment's body (its author; or, with `moderator_note`, its project's
        moderators, the note shown under it); the previous body is kept in its history."""
        return discussions.edit_comment(
            auth.actor(),
            base.readable_comment(comment_id),
            body["body"],
            note=body.get("moderator_note"),
        )

    @blp.response(200, schemas.CommentSchema)
    def delete(self, comment_id: int) -> Comment:
        """Delete a comment (its author, or a moderator): it stays in the thread as deleted, with
        no body. Answers the deleted comment."""
        return discussions.delete_comment(auth.actor(), base.readable_comment(comment_id))
