"""Tags: a project's tags (popular or trending), one tag with its items, an item's tags, and
autocomplete for a half-typed ``#tag``.

Tag names are matched in any spelling: ``/tags/Église`` finds ``église``, and a synonym finds
its curated tag. A tag named ``autocomplete`` is read on its web page (``/tags/autocomplete``
here is the autocomplete). Every tag carries its curation (:mod:`talk.api.curation`), null for
tags the experts have not curated; lists read their tags' synonyms and curators all at once.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from talk.api import base
from talk.api import tag_schemas as schemas
from talk.api.curation_schemas import item_verdict
from talk.api.schemas import PageQuerySchema
from talk.api.tag_schemas import TagView, with_synonyms
from talk.services import curation, projects, reading, tags

blp = base.api_blueprint("api_tags", "Hashtags: popular, trending, their items, autocomplete.")

RELATED = 10


@blp.route("/projects/<slug>/tags")
class TagList(MethodView):
    @blp.arguments(schemas.TagListQuerySchema, location="query")
    @blp.response(200, schemas.TagPageSchema)
    def get(self, args: dict[str, Any], slug: str) -> dict[str, Any]:
        """The project's tags, most used first (paged); with `trending=true`, the tags used most
        in the last days instead, with `recent_uses`."""
        project = projects.get_project(slug)
        limit = base.page_limit(args)
        if args["trending"]:
            trending = tags.trending_tags(project, limit=limit)
            rows = [TagView(row.tag, recent_uses=row.count) for row in trending]
            return base.whole_list(with_synonyms(rows), keep=(project,))
        page = tags.popular_tags(project, cursor=args.get("cursor"), limit=limit)
        shown = page.with_rows(with_synonyms([TagView(tag, recent_uses=None) for tag in page.rows]))
        return base.page_body(shown, keep=(project,))


@blp.route("/projects/<slug>/tags/autocomplete")
class TagAutocomplete(MethodView):
    @blp.arguments(schemas.AutocompleteQuerySchema, location="query")
    @blp.response(200, schemas.TagListSchema)
    def get(self, args: dict[str, Any], slug: str) -> dict[str, Any]:
        """Tags for what has been typed: those starting with it, most used first, then those
        containing it."""
        project = projects.get_project(slug)
        found = tags.autocomplete(project, args["q"], limit=args["limit"])
        return base.whole_list(with_synonyms([TagView(tag) for tag in found]), keep=(project,))


@blp.route("/projects/<slug>/tags/<name>")
class TagDetail(MethodView):
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, schemas.TagDetailSchema)
    def get(self, args: dict[str, Any], slug: str, name: str) -> TagView:
        """A tag with its counts, related tags, and its items (most recently tagged first; page
        them with `cursor` and `limit`)."""
        project, tag = reading.tag(slug, name)
        page = tags.tag_items(tag, cursor=args.get("cursor"), limit=base.page_limit(args))
        related = [
            TagView(row.tag, shared_items=row.count)
            for row in tags.related_tags(tag, limit=RELATED)
        ]
        return TagView(
            tag,
            items={"data": [row.item for row in page.rows], "next_cursor": page.next_cursor},
            related=related,
            _kept=project,
        )


@blp.route("/projects/<slug>/items/<path:external_id>/tags")
class ItemTags(MethodView):
    @blp.response(200, schemas.ItemTagListSchema)
    def get(self, slug: str, external_id: str) -> dict[str, Any]:
        """An item's tags with how many comments about it use each, and the experts' verdicts:
        verified first, then most used, rejected last. A tag an expert verified on the item is
        listed even if no comment about it uses the tag (`use_count` 0)."""
        project, item = reading.item(slug, external_id)
        entries = curation.item_tag_entries(item)
        decided = [entry.verdict for entry in entries if entry.verdict is not None]
        labels = projects.staff_labels(
            project, {v.decided_by_id for v in decided if v.decided_by_id}
        )
        views = with_synonyms([TagView(entry.tag) for entry in entries])
        rows = [
            {
                "tag": view,
                "use_count": entry.use_count,
                "first_used_at": entry.first_used_at,
                "verdict": entry.verdict and item_verdict(entry.verdict, labels),
            }
            for view, entry in zip(views, entries, strict=True)
        ]
        return base.whole_list(rows, keep=(project, item))
