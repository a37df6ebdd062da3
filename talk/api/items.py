"""Items: bulk registration by the platform, reading, and each item's own discussions.

External ids may hold any character, '/' included, so the rules use ``<path:external_id>``;
``…/items/<external_id>/discussions`` therefore always means an item's discussions (an item
whose external id itself ends in ``/discussions`` cannot be read through this API).
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from talk import policy
from talk.api import auth, base, schemas
from talk.api.item_schemas import ItemBatchSchema, ItemListQuerySchema
from talk.errors import NotFound
from talk.models import Board, Discussion, Item, Project
from talk.services import discussions, items, listing, projects, reading

blp = base.api_blueprint("api_items", "Project items and their discussions.")


@blp.route("/projects/<slug>/items")
class ProjectItems(MethodView):
    @blp.arguments(ItemListQuerySchema, location="query")
    @blp.response(200, schemas.ItemPageSchema)
    def get(self, args: dict[str, Any], slug: str) -> dict[str, Any]:
        """A project's items, in the order they were registered unless `sort` says otherwise.

        `q` finds the item whose external id it is (first, on the first page), then items whose
        title contains it or whose external id starts with it (the exact match is one row more
        than `limit`). `sort=discussed`, `sort=active`
        and `discussed=1` need read access to the item discussions (else 422).
        """
        project = projects.get_project(slug)
        sees = listing.can_see_item_threads(auth.viewer(), project)
        query = items.item_query(args, sees_discussions=sees)
        tag = listing.item_list_tag(project, query)
        cursor = args.get("cursor")
        page = listing.project_items(
            project, cursor=cursor, limit=base.page_limit(args), query=query, tag=tag
        )
        exact = None if cursor else items.find_exact(project, query.text)
        if exact is not None:
            page.rows = [exact, *page.rows]
        return base.page_body(page, keep=(project,))

    @blp.arguments(ItemBatchSchema)
    @blp.response(201, schemas.ItemPageSchema)
    def post(self, body: dict[str, Any], slug: str) -> dict[str, Any]:
        """Register 1–1,000 items in one transaction: all of them or, on any problem, none.

        Problems are reported per row as `items.<index>.<field>`; 409 when every problem is an
        external id registered already (earlier, or twice in this batch). Project team and up.
        """
        project = projects.get_project(slug)
        created = items.register_items(auth.actor(), project, body["items"])
        return base.whole_list(created, keep=(project,))


# Registered before the item itself, although werkzeug would pick the longer rule anyway.
@blp.route("/projects/<slug>/items/<path:external_id>/discussions")
class ItemDiscussions(MethodView):
    @blp.arguments(schemas.PageQuerySchema, location="query")
    @blp.response(200, schemas.DiscussionPageSchema)
    def get(self, args: dict[str, Any], slug: str, external_id: str) -> dict[str, Any]:
        """An item's discussions, most recently active first (404 when the caller may not read
        the project's item board)."""
        project, board, item = _item_threads(slug, external_id)
        page = listing.item_discussions(
            item, cursor=args.get("cursor"), limit=base.page_limit(args)
        )
        return base.page_body(page, keep=(project, board, item))

    @blp.arguments(schemas.DiscussionCreateSchema)
    @blp.response(201, schemas.DiscussionSchema)
    def post(self, body: dict[str, Any], slug: str, external_id: str) -> Discussion:
        """Start a discussion about the item, with its first comment."""
        _project, board, item = _item_threads(slug, external_id)
        return discussions.start_discussion(
            auth.actor(), board, body["title"], body["body"], item=item
        )


@blp.route("/projects/<slug>/items/<path:external_id>")
class ItemDetail(MethodView):
    @blp.response(200, schemas.ItemSchema)
    def get(self, slug: str, external_id: str) -> Item:
        """An item, by the platform's external id."""
        return reading.item(slug, external_id)[1]


def _item_threads(slug: str, external_id: str) -> tuple[Project, Board, Item]:
    """The project, its items board and the item — 404 unless the caller may read the board."""
    project, item = reading.item(slug, external_id)
    board = policy.items_board(project)
    if not policy.may(auth.viewer(), "board.read", board):
        raise NotFound(f"No discussions of item {external_id!r} that you may read.")
    return project, board, item
