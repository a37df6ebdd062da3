"""Schemas of the tag endpoints (the conventions they follow: :mod:`talk.api.base_schemas`)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, missing, validate

from talk.api.schemas import (
    ItemSchema,
    PageQuerySchema,
    RequestSchema,
    Whole,
    absolute_url,
    link,
    page_schema,
)
from talk.limits import MAX_TAG_NAME
from talk.models import Tag, Verdict
from talk.services import curation
from talk.services.tags import AUTOCOMPLETE_LIMIT, TRENDING_DAYS


def tag_url(tag: Tag) -> str:
    return absolute_url("tags.show", slug=tag.project.slug, name=tag.name)


def tag_api_url(tag: Tag) -> str:
    return absolute_url("api_tags.TagDetail", slug=tag.project.slug, name=tag.name)


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
    limit = Whole(
        load_default=AUTOCOMPLETE_LIMIT,
        validate=validate.Range(min=1, max=AUTOCOMPLETE_LIMIT),
        metadata={"description": f"At most this many tags, 1–{AUTOCOMPLETE_LIMIT}."},
    )


class Computed(fields.Nested):
    """A nested object made from the whole object being dumped (``compute(obj)``, or None)."""

    def __init__(self, compute: Any, nested: Any, **kwargs: Any) -> None:
        super().__init__(nested, dump_only=True, **kwargs)
        self._compute = compute

    def get_value(self, obj: Any, attr: str, accessor: Any = None, default: Any = missing) -> Any:
        return self._compute(obj)


class AuthoritySchema(Schema):
    uri = fields.String(metadata={"format": "uri", "description": "The authority record."})
    source = fields.String(
        allow_none=True,
        metadata={"description": "e.g. `Wikidata`, `Getty AAT`; null if not recognised."},
    )
    identifier = fields.String(
        allow_none=True, metadata={"description": "The record's id there, e.g. `Q16970`."}
    )
    label = fields.String(metadata={"description": "e.g. `Wikidata Q16970`, for display."})


class CurationSchema(Schema):
    description = fields.String(metadata={"description": "The experts' scope note; may be empty."})
    authority = fields.Nested(AuthoritySchema, allow_none=True)
    synonyms = fields.List(
        fields.String(),
        metadata={"description": "Names that stand for this tag (their uses count here)."},
    )
    curated_by = fields.String(
        allow_none=True, metadata={"description": "Username of who curated it."}
    )
    curated_at = fields.DateTime()


def synonym_names(tag: Any) -> list[str]:
    """The tag's synonyms: loaded for a whole list by :func:`with_synonyms`, else read now."""
    names = getattr(tag, "synonym_names", None)
    return curation.synonyms(tag) if names is None else names


def _curation(tag: Any) -> dict[str, Any] | None:
    if tag.curated_at is None:
        return None
    curator = tag.curated_by
    return {
        "description": tag.description,
        "authority": curation.authority(tag.authority_uri),
        "synonyms": synonym_names(tag),
        "curated_by": curator.username if curator else None,
        "curated_at": tag.curated_at,
    }


class TagSchema(Schema):
    name = fields.String(metadata={"description": "Normalised: case-folded, Unicode NFKC."})
    use_count = fields.Integer(metadata={"description": "Comments using the tag."})
    item_count = fields.Integer(metadata={"description": "Items carrying it."})
    discussion_count = fields.Integer(metadata={"description": "Discussions using it."})
    user_count = fields.Integer(metadata={"description": "People who have used it."})
    created_at = fields.DateTime()
    last_used_at = fields.DateTime()
    curated = Computed(
        _curation,
        CurationSchema,
        allow_none=True,
        metadata={"description": "The experts' curation of the tag; null if not curated."},
    )
    url = link(tag_url, "Web page.")
    api_url = link(tag_api_url, "This resource.")


class TagListRowSchema(TagSchema):
    recent_uses = fields.Integer(
        allow_none=True,
        metadata={"description": "With `trending=true`: uses in the window; otherwise null."},
    )


class RelatedTagSchema(Schema):
    name = fields.String()
    shared_items = fields.Integer(metadata={"description": "Recent items carrying both tags."})
    url = link(tag_url, "Web page.")


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


class ItemVerdictSchema(Schema):
    verdict = fields.String(metadata={"enum": [v.value for v in Verdict]})
    decided_by = fields.String(
        allow_none=True, metadata={"description": "Username of the expert (null if deleted)."}
    )
    label = fields.String(
        allow_none=True,
        metadata={"description": "The expert's visible title, e.g. 'Herbarium curator'."},
    )
    decided_at = fields.DateTime()
    note = fields.String()


class ItemTagSchema(Schema):
    tag = fields.Nested(TagSchema)
    use_count = fields.Integer(
        metadata={"description": "Comments about this item using it (0: put there by an expert)."}
    )
    first_used_at = fields.DateTime(
        allow_none=True, metadata={"description": "Null when no comment about the item uses it."}
    )
    verdict = fields.Nested(
        ItemVerdictSchema,
        allow_none=True,
        metadata={"description": "An expert's verdict on the tag for this item; null if none."},
    )


TagPageSchema = page_schema("TagPage", TagListRowSchema)
ItemTagListSchema = page_schema("ItemTagList", ItemTagSchema)
TagListSchema = page_schema("TagList", TagSchema)


class TagView:
    """A tag with values that depend on the question asked (recent uses, its items, shared
    items); everything else is the tag's own."""

    synonym_names: list[str]

    def __init__(self, tag: Tag, **extra: Any) -> None:
        self._tag = tag
        self.__dict__.update(extra)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tag, name)


def with_synonyms(views: list[TagView]) -> list[TagView]:
    """Load the synonyms of a list's curated tags in one query (``curated.synonyms``)."""
    names = curation.synonyms_of(view.id for view in views if view.curated_at is not None)
    for view in views:
        view.synonym_names = names.get(view.id, [])
    return views


__all__ = [
    "AutocompleteQuerySchema",
    "ItemTagListSchema",
    "TagDetailSchema",
    "TagListQuerySchema",
    "TagListSchema",
    "TagPageSchema",
    "TagView",
    "with_synonyms",
]
