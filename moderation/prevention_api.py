"""Prevention as API resources: watched words, historical terms, limits, trust and the held
posts queue of a project (its moderators and admins). Lists are cursor pages, like every API
list (``limit``, ``cursor``; ``next_cursor`` leads on)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from moderation import prevention
from moderation.prevention_models import WORD_ACTIONS, WORD_KINDS, HistoricalTerm, WatchedWord
from talk import policy
from talk.api import auth, base, schemas
from talk.models import Comment, Project
from talk.services import accounts, discussions, held, projects

blp = base.api_blueprint(
    "api_moderation_prevention",
    "Watched words, historical terms, new volunteers' limits and held posts.",
)


class WatchedWordSchema(Schema):
    id = fields.Integer(dump_only=True)
    pattern = fields.String(required=True)
    kind = fields.String(load_default="word", validate=validate.OneOf(WORD_KINDS))
    action = fields.String(load_default="hold", validate=validate.OneOf(WORD_ACTIONS))
    category = fields.String(required=True)
    url = fields.String(load_default="")
    created_at = fields.DateTime(dump_only=True)


class HistoricalTermSchema(Schema):
    id = fields.Integer(dump_only=True)
    term = fields.String(required=True)


class LimitsSchema(Schema):
    held_comments = fields.Integer(allow_none=True, load_default=None)
    max_links = fields.Integer(allow_none=True, load_default=None)
    restrict_untrusted = fields.Boolean(load_default=False)
    trust_after = fields.Integer(allow_none=True, load_default=None)


class TrustSchema(Schema):
    username = fields.String(required=True)


class RejectSchema(Schema):
    reason = fields.String(load_default="")


def _project(slug: str, *, acting: bool = False) -> tuple[Any, Project]:
    project = projects.get_project(slug)
    user = auth.actor() if acting else auth.viewer()
    policy.require(user, "moderation.prevention", project)
    return user, project


WordPage = schemas.page_schema("WatchedWordPage", WatchedWordSchema)
TermPage = schemas.page_schema("HistoricalTermPage", HistoricalTermSchema)


class HeldCommentSchema(schemas.CommentSchema):
    """A held comment as the queue lists it: with its discussion's title, and whether it is a
    new discussion's first comment (approving it lists the discussion)."""

    discussion_title = fields.Function(lambda c: c.discussion.title, metadata={"type": "string"})
    opens_discussion = fields.Function(
        lambda c: c.discussion.is_held,
        metadata={"type": "boolean", "description": "The first comment of a held discussion."},
    )


HeldPage = schemas.page_schema("HeldCommentPage", HeldCommentSchema)


@blp.route("/projects/<slug>/moderation/watched-words")
class WatchedWords(MethodView):
    @blp.arguments(schemas.PageQuerySchema, location="query")
    @blp.response(200, WordPage)
    def get(self, args: dict[str, Any], slug: str) -> dict[str, Any]:
        """The project's watched words, in the order they were added (moderators)."""
        project = _project(slug)[1]
        page = prevention.watched_words_page(
            project, cursor=args.get("cursor"), limit=base.page_limit(args)
        )
        return base.page_body(page, keep=(project,))

    @blp.arguments(WatchedWordSchema)
    @blp.response(201, WatchedWordSchema)
    def post(self, body: dict[str, Any], slug: str) -> WatchedWord:
        """Watch a word, a `*` wildcard or a regular expression (a bad one is a 422 naming
        it); `action` block, hold, flag or link (with `url`, its help page)."""
        user, project = _project(slug, acting=True)
        return prevention.add_watched_word(user, project, **body)


@blp.route(f"/projects/<slug>/moderation/watched-words/<{base.ID}:word_id>")
class WatchedWordDetail(MethodView):
    @blp.response(204)
    def delete(self, slug: str, word_id: int) -> None:
        """Stop watching a word."""
        user, project = _project(slug, acting=True)
        prevention.remove_watched_word(user, project, prevention.get_watched_word(project, word_id))


@blp.route("/projects/<slug>/moderation/historical-terms")
class HistoricalTerms(MethodView):
    @blp.arguments(schemas.PageQuerySchema, location="query")
    @blp.response(200, TermPage)
    def get(self, args: dict[str, Any], slug: str) -> dict[str, Any]:
        """Words of the records that never trigger watched words inside quotations and
        transcription blocks, alphabetically."""
        project = _project(slug)[1]
        page = prevention.historical_terms_page(
            project, cursor=args.get("cursor"), limit=base.page_limit(args)
        )
        return base.page_body(page, keep=(project,))

    @blp.arguments(HistoricalTermSchema)
    @blp.response(201, HistoricalTermSchema)
    def post(self, body: dict[str, Any], slug: str) -> HistoricalTerm:
        """Add a historical term."""
        user, project = _project(slug, acting=True)
        return prevention.add_historical_term(user, project, body["term"])


@blp.route(f"/projects/<slug>/moderation/historical-terms/<{base.ID}:term_id>")
class HistoricalTermDetail(MethodView):
    @blp.response(204)
    def delete(self, slug: str, term_id: int) -> None:
        """Remove a historical term."""
        user, project = _project(slug, acting=True)
        prevention.remove_historical_term(
            user, project, prevention.get_historical_term(project, term_id)
        )


@blp.route("/projects/<slug>/moderation/limits")
class Limits(MethodView):
    @blp.response(200, LimitsSchema)
    def get(self, slug: str) -> Any:
        """New volunteers' limits (all null: none set)."""
        return prevention.limits_of(_project(slug)[1]) or {}

    @blp.arguments(LimitsSchema)
    @blp.response(200, LimitsSchema)
    def put(self, body: dict[str, Any], slug: str) -> Any:
        """Set the limits for volunteers not yet trusted."""
        user, project = _project(slug, acting=True)
        return prevention.set_limits(user, project, **body)


@blp.route("/projects/<slug>/moderation/trust")
class Trust(MethodView):
    @blp.arguments(TrustSchema)
    @blp.response(204)
    def post(self, body: dict[str, Any], slug: str) -> None:
        """Trust a volunteer in this project now."""
        user, project = _project(slug, acting=True)
        prevention.grant_trust(user, project, accounts.get_user(body["username"]))


@blp.route("/projects/<slug>/moderation/held")
class HeldComments(MethodView):
    @blp.arguments(schemas.PageQuerySchema, location="query")
    @blp.response(200, HeldPage)
    def get(self, args: dict[str, Any], slug: str) -> dict[str, Any]:
        """Comments waiting for approval, oldest first."""
        project = _project(slug)[1]
        page = held.held_page(project, cursor=args.get("cursor"), limit=base.page_limit(args))
        return base.page_body(page, keep=(project,))


@blp.route(f"/comments/<{base.ID}:comment_id>/approve")
class Approve(MethodView):
    @blp.response(200, schemas.CommentSchema)
    def post(self, comment_id: int) -> Comment:
        """Approve a held comment: shown, counted, searchable and notified from now."""
        return held.approve_comment(auth.actor(), discussions.get_comment(comment_id))


@blp.route(f"/comments/<{base.ID}:comment_id>/reject")
class Reject(MethodView):
    @blp.arguments(RejectSchema)
    @blp.response(200, schemas.CommentSchema)
    def post(self, body: dict[str, Any], comment_id: int) -> Comment:
        """Reject a held comment: it stays hidden, and its author is told the reason."""
        return held.reject_comment(
            auth.actor(), discussions.get_comment(comment_id), body["reason"]
        )
