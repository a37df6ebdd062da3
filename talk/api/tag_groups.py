"""Tag groups: saved tag queries (``#nurse AND #smallpox``), each a live collection of items.

Anyone may read groups and their items; any logged-in user may create one; its creator, the
project's moderators and admins may change or delete it. A group's items are evaluated when
asked, so they follow new tags, synonyms and merges.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from talk.api import auth, base
from talk.api import tag_group_schemas as schemas
from talk.api.schemas import PageQuerySchema
from talk.api.tag_group_schemas import GroupItemView, GroupView
from talk.models import TagGroup
from talk.services import projects, reading, tag_groups, tag_matching

blp = base.api_blueprint(
    "api_tag_groups", "Tag groups: saved tag queries, each a live collection of items."
)


def _detail(group: TagGroup) -> GroupView:
    matches = tag_matching.group_matches(group)
    return GroupView(group, matches, tag_matching.count_items(matches))


@blp.route("/projects/<slug>/groups")
class TagGroupList(MethodView):
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, schemas.TagGroupPageSchema)
    def get(self, args: dict[str, Any], slug: str) -> dict[str, Any]:
        """The project's tag groups, by address (slug)."""
        project = projects.get_project(slug)
        page = tag_groups.list_groups(
            project, cursor=args.get("cursor"), limit=base.page_limit(args)
        )
        return base.page_body(page, keep=(project,))

    @blp.arguments(schemas.TagGroupCreateSchema)
    @blp.response(201, schemas.TagGroupDetailSchema)
    def post(self, body: dict[str, Any], slug: str) -> GroupView:
        """Save a tag query as a group (any logged-in user). Its address comes from the title.
        Names no item carries yet are accepted and listed in `not_on_items`."""
        project = projects.get_project(slug)
        return _detail(tag_groups.create_group(auth.actor(), project, **body))


@blp.route("/projects/<slug>/groups/<group_slug>")
class TagGroupDetail(MethodView):
    @blp.response(200, schemas.TagGroupDetailSchema)
    def get(self, slug: str, group_slug: str) -> GroupView:
        """A group with its query's tags resolved now and how many items match."""
        return _detail(reading.tag_group(slug, group_slug)[1])

    @blp.arguments(schemas.TagGroupEditSchema)
    @blp.response(200, schemas.TagGroupDetailSchema)
    def patch(self, body: dict[str, Any], slug: str, group_slug: str) -> GroupView:
        """Change a group's title, description, query or `verified_only` (its creator, the
        project's moderators and admins). The address stays."""
        _project, group = reading.tag_group(slug, group_slug)
        return _detail(tag_groups.edit_group(auth.actor(), group, **body))

    @blp.response(204)
    def delete(self, slug: str, group_slug: str) -> None:
        """Delete a group (the items and their tags stay)."""
        _project, group = reading.tag_group(slug, group_slug)
        tag_groups.delete_group(auth.actor(), group)


@blp.route("/projects/<slug>/groups/<group_slug>/items")
class TagGroupItems(MethodView):
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, schemas.GroupItemPageSchema)
    def get(self, args: dict[str, Any], slug: str, group_slug: str) -> dict[str, Any]:
        """The items matching the group now, newest first, each with the group's tags on it."""
        project, group = reading.tag_group(slug, group_slug)
        matches = tag_matching.group_matches(group)
        page = tag_matching.matching_items(
            matches, cursor=args.get("cursor"), limit=base.page_limit(args)
        )
        found = tag_matching.tags_on_items(matches, page.rows)
        shown = page.with_rows([GroupItemView(item, found[item.id]) for item in page.rows])
        return base.page_body(shown, keep=(project,))
