"""Schemas of the tag endpoints (see :mod:`talk.api.schemas` for the conventions they follow)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from talk.api.schemas import (
    ItemSchema,
    PageQuerySchema,
    RequestSchema,
    _page_schema,
    _url,
    link,
)
from talk.models import Tag
from talk.models.tags import MAX_TAG_NAME
from talk.services.tags import AUTOCOMPLETE_LIMIT, TRENDING_DAYS


def _tag_url(tag: Tag) -> str:
    return _url("tags.show", slug=tag.project.slug, name=tag.name)


def _tag_api_url(tag: Tag) -> str:
    return _url("api_tags.TagDetail", slug=tag.project.slug, name=tag.name)


class TagListQuerySchema(PageQuerySchema):
    trending = fields.Boolean(
        load_default=False,
        metadata={
            "description": f"true: the tags used most in the last {TRENDING_DAYS} days (today "
            "included), with `recent_uses`, as one unpaged list of at most `limit`."
        },
    )


class AutocompleteQuerySchema(RequestSchema):
    q = fields.String(
        required=True,
        validate=validate.Length(min=1, max=MAX_TAG_NAME + 1),
        metadata={"description": "What has been typed so far, with or without the '#'."},
    )
    limit = fields.Integer(
        load_default=AUTOCOMPLETE_LIMIT,
        validate=validate.Range(min=1, max=AUTOCOMPLETE_LIMIT),
        metadata={"description": f"At most this many tags, 1–{AUTOCOMPLETE_LIMIT}."},
    )


class TagSchema(Schema):
    name = fields.String(metadata={"description": "Normalised: case-folded, Unicode NFKC."})
    use_count = fields.Integer(metadata={"description": "Comments using the tag."})
    item_count = fields.Integer(metadata={"description": "Items carrying it."})
    discussion_count = fields.Integer(metadata={"description": "Discussions using it."})
    user_count = fields.Integer(metadata={"description": "People who have used it."})
    created_at = fields.DateTime()
    last_used_at = fields.DateTime()
    curated = fields.Function(
        lambda _tag: None,
        metadata={
            "type": "object",
            "nullable": True,
            "description": "The project's curation of the tag; always null in this version.",
        },
    )
    url = link(_tag_url, "Web page.")
    api_url = link(_tag_api_url, "This resource.")


class TagListRowSchema(TagSchema):
    recent_uses = fields.Integer(
        allow_none=True,
        metadata={"description": "With `trending=true`: uses in the window; otherwise null."},
    )


class RelatedTagSchema(Schema):
    name = fields.String()
    shared_items = fields.Integer(metadata={"description": "Recent items carrying both tags."})
    url = link(_tag_url, "Web page.")


class TagItemPageSchema(Schema):
    data = fields.List(fields.Nested(ItemSchema))
    next_cursor = fields.String(
        allow_none=True,
        metadata={"description": "Pass as `cursor` for the next page; null at the end."},
    )


class TagDetailSchema(TagSchema):
    items = fields.Nested(
        TagItemPageSchema,
        metadata={"description": "Items carrying the tag, most recently tagged first (paged)."},
    )
    related = fields.List(
        fields.Nested(RelatedTagSchema),
        metadata={"description": "Tags most often found on the same items."},
    )


class ItemTagSchema(Schema):
    tag = fields.Nested(TagSchema)
    use_count = fields.Integer(metadata={"description": "Comments about this item using it."})
    first_used_at = fields.DateTime()


TagPageSchema = _page_schema("TagPage", TagListRowSchema)
ItemTagListSchema = _page_schema("ItemTagList", ItemTagSchema)
TagListSchema = _page_schema("TagList", TagSchema)


class TagView:
    """A tag with values that depend on the question asked (recent uses, its items, shared
    items); everything else is the tag's own."""

    def __init__(self, tag: Tag, **extra: Any) -> None:
        self._tag = tag
        self.__dict__.update(extra)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tag, name)


__all__ = [
    "AutocompleteQuerySchema",
    "ItemTagListSchema",
    "TagDetailSchema",
    "TagListQuerySchema",
    "TagListSchema",
    "TagPageSchema",
    "TagView",
]
