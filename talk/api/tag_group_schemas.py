"""Schemas of the tag group endpoints (see :mod:`talk.api.base_schemas` for the conventions)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from talk.api.schemas import (
    AuthorSchema,
    ItemSchema,
    JsonBoolean,
    RequestSchema,
    absolute_url,
    link,
    page_schema,
)
from talk.limits import MAX_GROUP_DESCRIPTION, MAX_GROUP_QUERY, MAX_GROUP_TITLE
from talk.models import Item, TagGroup
from talk.services.tag_matching import Matches, TagOnItem
from talk.services.tag_query import MAX_TERMS
from talk.services.tags import is_listed

QUERY_DESCRIPTION = (
    "Tags written `#name` (or bare), joined with `AND`, `OR`, `NOT` (any case; NOT binds "
    f"tightest, then AND, then OR) and parentheses; at most {MAX_TERMS} tags. It must include "
    "at least one tag (`NOT #a` alone is refused). Stored as typed; each name is resolved to "
    "its tag (synonyms too) whenever the group is read."
)


def _group_url(endpoint: str) -> Any:
    return lambda g: absolute_url(endpoint, slug=g.project.slug, group_slug=g.slug)


def _title(**options: Any) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=MAX_GROUP_TITLE), **options)


def _description(**options: Any) -> fields.String:
    return fields.String(validate=validate.Length(max=MAX_GROUP_DESCRIPTION), **options)


def _query(**options: Any) -> fields.String:
    return fields.String(
        validate=validate.Length(min=1, max=MAX_GROUP_QUERY),
        metadata={"description": QUERY_DESCRIPTION, "example": "#nurse AND NOT #smallpox"},
        **options,
    )


def _verified_only(**options: Any) -> fields.Boolean:
    return JsonBoolean(
        metadata={
            "description": "true: a tag that includes items counts on an item only where an "
            "expert verified it there."
        },
        **options,
    )


class TagGroupCreateSchema(RequestSchema):
    title = _title(required=True)
    description = _description(load_default="")
    query = _query(required=True)
    verified_only = _verified_only(load_default=False)


class TagGroupEditSchema(RequestSchema):
    """Any of the fields; the group's address (slug) never changes."""

    title = _title()
    description = _description()
    query = _query()
    verified_only = _verified_only()

    @validates_schema
    def something_to_change(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if not data:
            raise ValidationError("Send at least one of title, description, query, verified_only.")


class TagGroupSchema(Schema):
    slug = fields.String(metadata={"description": "The group's address in its project."})
    project = fields.Function(lambda g: g.project.slug, metadata={"type": "string"})
    title = fields.String()
    description = fields.String()
    query = fields.String(metadata={"description": "As typed."})
    verified_only = fields.Boolean()
    created_by = fields.Nested(AuthorSchema, allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    url = link(_group_url("tag_groups.show"), "Web page (the link to share).")
    api_url = link(_group_url("api_tag_groups.TagGroupDetail"), "This resource.")
    items_url = link(_group_url("api_tag_groups.TagGroupItems"), "Its items (API).")
    export_csv_url = link(_group_url("tag_groups.export_csv"), "Every item as CSV.")
    export_json_url = link(_group_url("tag_groups.export_json"), "Every item as JSON.")


class QueryTagSchema(Schema):
    written = fields.String(metadata={"description": "The name as first written in the query."})
    name = fields.String(
        allow_none=True,
        metadata={"description": "The tag it resolves to now (a synonym's canonical tag)."},
    )
    on_items = fields.Boolean(
        metadata={"description": "Whether any item carries that tag (used or verified there)."}
    )
    url = fields.String(
        allow_none=True, metadata={"format": "uri", "description": "The tag's page, if it has one."}
    )


class TagGroupDetailSchema(TagGroupSchema):
    item_count = fields.Integer(metadata={"description": "Items matching now."})
    tags = fields.List(
        fields.Nested(QueryTagSchema), metadata={"description": "The query's tags, resolved now."}
    )
    not_on_items = fields.List(
        fields.String(),
        metadata={"description": "Names (as written) that no item carries yet: a warning."},
    )


class GroupTagSchema(Schema):
    name = fields.String()
    verified = fields.Boolean(metadata={"description": "An expert verified it on this item."})


class GroupItemSchema(ItemSchema):
    group_tags = fields.List(
        fields.Nested(GroupTagSchema),
        metadata={"description": "The group's tags the item carries or has verified."},
    )


TagGroupPageSchema = page_schema("TagGroupPage", TagGroupSchema)
GroupItemPageSchema = page_schema("GroupItemPage", GroupItemSchema)


class GroupView:
    """A group with what its query matches now."""

    def __init__(self, group: TagGroup, matches: Matches, item_count: int) -> None:
        self._group = group
        self.item_count = item_count
        self.not_on_items = matches.not_on_items
        self.tags = []
        written = {t.name: t.text for t in reversed(matches.query.tokens) if t.kind == "tag"}
        for name in matches.query.names:
            tag = matches.tags[name]
            self.tags.append(
                {
                    "written": written[name],
                    "name": tag.name if tag else None,
                    "on_items": name in matches.on_items,
                    "url": absolute_url("tags.show", slug=group.project.slug, name=tag.name)
                    if tag is not None and is_listed(tag)
                    else None,
                }
            )

    def __getattr__(self, name: str) -> Any:
        return getattr(self._group, name)


class GroupItemView:
    """An item with the group's tags found on it."""

    def __init__(self, item: Item, found: list[TagOnItem]) -> None:
        self._item = item
        self.group_tags = [{"name": t.tag.name, "verified": t.verified} for t in found]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._item, name)
