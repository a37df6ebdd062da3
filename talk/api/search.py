"""Full-text search: ``GET /api/v1/search?q=…`` with the web page's filters."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from talk import search
from talk.api import auth, base, schemas
from talk.limits import MAX_ID, MAX_ITEM_EXTERNAL_ID, MAX_PROJECT_SLUG, MAX_TAG_NAME, MAX_USERNAME
from talk.search.query import MAX_QUERY_LENGTH

blp = base.api_blueprint(
    "api_search",
    "Full-text search over comments, discussion titles, items and tags, best match first: one "
    "result per discussion (its best-matching comment, or its title), item and tag.",
)

QUERY_HELP = (
    'Words (all must be found), "a phrase", -excluded, a OR b. '
    "English projects match word forms (leaf, leaves); accents are ignored (eglise, Église)."
)


class SearchQuerySchema(schemas.PageQuerySchema):
    q = fields.String(
        required=True,
        validate=validate.Length(min=1, max=MAX_QUERY_LENGTH),
        metadata={"description": QUERY_HELP},
    )
    project = fields.String(
        validate=validate.Length(min=1, max=MAX_PROJECT_SLUG),
        metadata={"description": "A project's slug: search only there (default: every project)."},
    )
    board = schemas.Whole(
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={"description": "Only comments and discussions on this board."},
    )
    item = fields.String(
        validate=validate.Length(min=1, max=MAX_ITEM_EXTERNAL_ID),
        metadata={"description": "An item's external_id (with project): the item and its threads."},
    )
    author = fields.String(
        validate=validate.Length(min=1, max=MAX_USERNAME),
        metadata={"description": "A username: only what they wrote."},
    )
    tag = fields.String(
        validate=validate.Length(min=1, max=MAX_TAG_NAME + 1),  # with its '#'
        metadata={"description": "A tag (with project): what carries it, and the tag itself."},
    )
    kind = fields.String(
        validate=validate.OneOf(search.KINDS),
        metadata={"description": "Only results of this kind."},
    )
    date_from = fields.Date(
        data_key="from",
        metadata={"description": "Written on or after this day (UTC), YYYY-MM-DD."},
    )
    date_to = fields.Date(
        data_key="to",
        metadata={"description": "Written on or before this day (UTC), YYYY-MM-DD."},
    )


class SearchResultSchema(Schema):
    kind = fields.String(
        metadata={
            "enum": list(search.KINDS),
            "description": "A thread is one result: 'comment' (its best-matching comment) when "
            "a comment matched, else 'discussion' (its title).",
        }
    )
    id = fields.Integer(
        metadata={"description": "The comment's, discussion's, item's or tag's id."}
    )
    title = fields.String(
        metadata={"description": "The discussion's title (for a comment, its discussion's)."}
    )
    discussion_id = fields.Integer(
        allow_none=True,
        metadata={"description": "The discussion (thread) of a comment or discussion; null else."},
    )
    snippet_html = fields.String(
        metadata={
            "description": "The best fragment, HTML-escaped, with matches in <mark> (no other "
            "tags)."
        }
    )
    url = schemas.link(lambda r: r.url(external=True), "Web page (a comment's permalink).")
    project = fields.String(metadata={"description": "The project's slug."})
    author = fields.String(
        allow_none=True, metadata={"description": "Username; null for items and tags."}
    )
    created_at = fields.DateTime()
    score = fields.Float(metadata={"description": "Relevance; higher is better."})


class SearchPageSchema(schemas.page_schema("SearchPage", SearchResultSchema)):  # type: ignore[misc]
    total = fields.Integer(
        allow_none=True,
        metadata={
            "description": "How many results this search has on all its pages (exact); null "
            "on a page past the end. When `narrowed_to` is set, the results among the ranked "
            "matches only: the search has more."
        },
    )
    narrowed_to = fields.Integer(
        allow_none=True,
        metadata={
            "description": "Set when more documents matched than a search ranks "
            "(`TALK_SEARCH_RANK_WINDOW`): only the newest this many matches were ranked, so "
            "older ones are not among the results; add words or filters to narrow the search. "
            "Null when every match was ranked."
        },
    )


@blp.route("/search")
class Search(MethodView):
    @blp.arguments(SearchQuerySchema, location="query")
    @blp.response(200, SearchPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Ranked, highlighted results the caller may read; 404 for an unknown project, board,
        item, author or tag, 422 for a query that cannot be searched."""
        request = search.SearchRequest(
            q=args["q"],
            project=args.get("project"),
            board=args.get("board"),
            item=args.get("item"),
            author=args.get("author"),
            tag=args.get("tag"),
            kind=args.get("kind"),
            date_from=args.get("date_from"),
            date_to=args.get("date_to"),
        )
        found = search.search(
            auth.viewer(), request, cursor=args.get("cursor"), limit=base.page_limit(args)
        )
        return {
            "data": found.rows,
            "next_cursor": found.next_cursor,
            "total": found.total,
            "narrowed_to": found.narrowed_to,
        }
