"""The bulk item registration's request schemas: one row (an item) and the batch, whose refusal
names every problem the request alone shows."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate
from marshmallow.error_store import merge_errors

from talk.api.schemas import PageQuerySchema, RequestSchema
from talk.limits import MAX_METADATA_KEY, MAX_METADATA_KEYS, MAX_METADATA_VALUE, MAX_URL
from talk.services.items import (
    ITEM_SORTS,
    MAX_BATCH,
    MAX_ITEM_QUERY,
    TEXT_LIMITS,
    batch_duplicates,
    metadata_problems,
)
from talk.services.validation import url_problem


class MetadataValue(fields.Field):
    """Text or a number (stored as text)."""

    default_error_messages = {"invalid": "Must be text or a number."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.make_error("invalid")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValidationError("Must be a finite number.")
        if len(str(value)) > MAX_METADATA_VALUE:
            raise ValidationError(f"Longer than {MAX_METADATA_VALUE} characters.")
        return value


def _few_metadata_entries(value: Mapping[str, Any]) -> None:
    if len(value) > MAX_METADATA_KEYS:
        raise ValidationError(f"At most {MAX_METADATA_KEYS} entries.")
    if problems := metadata_problems(value):
        raise ValidationError(problems)


def _acceptable_url(value: str) -> None:
    if problem := url_problem(value.strip()):
        raise ValidationError(problem)


def _optional_url() -> fields.String:
    return fields.String(
        allow_none=True,
        validate=[validate.Length(max=MAX_URL), _acceptable_url],
        metadata={"description": "http(s) URL or a path starting with '/'."},
    )


class ItemRowSchema(Schema):
    """One item of a bulk registration; ``null`` means the same as leaving a field out."""

    external_id = fields.String(
        required=True,
        validate=validate.Length(min=1, max=TEXT_LIMITS["external_id"]),
        metadata={"description": "The platform's id for the item; unique in the project."},
    )
    title = fields.String(allow_none=True, validate=validate.Length(max=TEXT_LIMITS["title"]))
    image_url = _optional_url()
    thumbnail_url = _optional_url()
    iiif_manifest_uri = _optional_url()
    iiif_canvas_uri = _optional_url()
    source_url = _optional_url()
    metadata = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=MAX_METADATA_KEY)),
        values=MetadataValue(metadata={"oneOf": [{"type": "string"}, {"type": "number"}]}),
        allow_none=True,
        validate=_few_metadata_entries,
        metadata={"maxProperties": MAX_METADATA_KEYS, "description": "Names and values."},
    )

    @post_load
    def drop_nulls(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        return {key: value for key, value in data.items() if value is not None}


class ItemBatchSchema(RequestSchema):
    items = fields.List(
        fields.Nested(ItemRowSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_BATCH),
        metadata={"description": f"1–{MAX_BATCH} items, registered all together or not at all."},
    )

    def handle_error(self, error: ValidationError, data: Any, **kwargs: Any) -> None:
        """A refused batch's answer also names its repeated external ids, so one answer names
        every problem the request alone shows. (A batch whose only problems are repeats goes on
        to the service, which answers 409 for them and for ids registered already.)"""
        rows = data.get("items") if isinstance(data, Mapping) else None
        if not isinstance(rows, list) or len(rows) > MAX_BATCH:
            return
        repeats = {"items": {p.index: {p.field: [p.message]} for p in batch_duplicates(rows)}}
        if repeats["items"]:
            raise ValidationError(merge_errors(error.messages, repeats)) from error


class ItemListQuerySchema(PageQuerySchema):
    """The item list's search, order and filters (checked once more, with the caller's access,
    by :func:`talk.services.items.item_query`)."""

    q = fields.String(
        validate=validate.Length(max=MAX_ITEM_QUERY),
        metadata={
            "description": "An external id (its item comes first when it exists), or text a "
            "title contains or an external id starts with."
        },
    )
    sort = fields.String(
        validate=validate.OneOf(list(ITEM_SORTS)),
        metadata={
            "description": "registered (default), newest, discussed (most discussions first), "
            "active (recently active; discussed items only) or id (external id A–Z)."
        },
    )
    tag = fields.String(
        validate=validate.Length(max=MAX_ITEM_QUERY),
        metadata={"description": "Only items carrying this tag (any spelling, or a synonym)."},
    )
    discussed = fields.String(
        validate=validate.OneOf(["0", "1", "true", "false"]),
        metadata={"description": "1: only items with discussions."},
    )
