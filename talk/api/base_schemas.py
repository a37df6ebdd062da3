"""marshmallow schemas: they validate request bodies and query strings, serialise responses, and
are the OpenAPI document's component schemas — one definition for all three.

Request schemas check shapes, types, lengths and required fields; the services still check the
domain rules (unique slugs and external ids, URL forms, permissions). Every request schema
refuses, anywhere in its input (names included), a NUL character or an unpaired surrogate — no
database stores them and no legitimate text holds them — and values nested over 20 levels deep.

These are the conventions and building blocks every schema uses, the core's
(:mod:`talk.api.schemas` and its siblings ``*_schemas.py``) and the packages' alike: the base
request schema, strict numbers and booleans, the error body, the cursor page query and the one
list envelope (:func:`page_schema`). :mod:`talk.api.schemas` re-exports them, so
``schemas.RequestSchema`` and the like keep working wherever they are used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import url_for
from marshmallow import Schema, ValidationError, fields, pre_load, validate

MAX_PAGE_SIZE = 100
MAX_DEPTH = 20


# --------------------------------------------------------------------------- helpers


def link(make: Callable[[Any], str], description: str) -> fields.Function:
    """An absolute URL computed from the object being dumped."""
    return fields.Function(
        make,
        dump_only=True,
        metadata={"type": "string", "format": "uri", "description": description},
    )


def absolute_url(endpoint: str, **values: Any) -> str:
    return url_for(endpoint, _external=True, **values)


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "Contains a NUL byte."
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "Contains an unpaired surrogate: not valid Unicode text."
    return None


def _input_problems(data: Any) -> dict[str, list[str]]:
    """NUL bytes and unpaired surrogates anywhere in ``data`` (names included), and nesting
    deeper than :data:`MAX_DEPTH`, by dotted path. Iterative: deep input cannot exhaust the
    stack here."""
    found: dict[str, list[str]] = {}
    pending: list[tuple[Any, tuple[str, ...]]] = [(data, ())]
    while pending:
        value, path = pending.pop()
        where = ".".join(path) or "_schema"
        if len(path) > MAX_DEPTH:
            found[where] = [f"Nested more than {MAX_DEPTH} levels deep."]
        elif isinstance(value, str):
            if problem := _text_problem(value):
                found[where] = [problem]
        elif isinstance(value, Mapping):
            for key in value:
                if problem := _text_problem(str(key)):
                    found[where] = [f"A name: {problem[0].lower()}{problem[1:]}"]
                else:
                    pending.append((value[key], (*path, str(key))))
        elif isinstance(value, list | tuple):
            pending.extend((inner, (*path, str(i))) for i, inner in enumerate(value))
    return found


class RequestSchema(Schema):
    """Base of every top-level request schema: unknown fields are errors, and so is text no
    database should store (NUL bytes, unpaired surrogates) or nesting deeper than MAX_DEPTH."""

    @pre_load
    def refuse_unstorable_text(self, data: Any, **_kwargs: Any) -> Any:
        if found := _input_problems(data):
            raise ValidationError(found)
        return data


class Whole(fields.Integer):
    """A whole number: a JSON integer, or (in a query string or path) ASCII digits 0–9 only.

    marshmallow's ``Integer`` reads text with ``int()``, which takes any Unicode digit
    (``limit=５``), surrounding spaces, a sign and underscores (``1_0``); none of them is how a
    client writes a number, so they are refused rather than guessed at.
    """

    default_error_messages = {"invalid": "Must be a whole number written with the digits 0–9."}

    def _validated(self, value: Any) -> int:
        if isinstance(value, str) and not (value.isascii() and value.isdigit()):
            raise self.make_error("invalid")
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid")
        return super()._validated(value)


class JsonBoolean(fields.Boolean):
    """``true`` or ``false`` in a JSON body, nothing else: marshmallow's ``Boolean`` also reads
    ``0``, ``1``, ``"yes"``, ``"off"`` and more, a guess a client's bug should not get."""

    default_error_messages = {"invalid": "Must be true or false."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


# --------------------------------------------------------------------------- errors


class ErrorDetailSchema(Schema):
    code = fields.String(metadata={"description": "Stable key, e.g. `invalid`, `not_found`."})
    message = fields.String(metadata={"description": "What went wrong, for people."})
    fields_ = fields.Dict(
        data_key="fields",
        attribute="fields",
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Problems per input field, e.g. `items.3.external_id`."},
    )


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema)


# --------------------------------------------------------------------------- pages


class PageQuerySchema(RequestSchema):
    cursor = fields.String(
        validate=validate.Length(max=1000),
        metadata={"description": "`next_cursor` of the previous page; omit for the first page."},
    )
    limit = Whole(
        validate=validate.Range(min=1, max=MAX_PAGE_SIZE),
        metadata={"description": f"Rows per page, 1–{MAX_PAGE_SIZE} (default: TALK_PAGE_SIZE)."},
    )


def page_schema(name: str, row_schema: type[Schema]) -> type[Schema]:
    """The one list envelope: ``{"data": [...], "next_cursor": "..." | null}``."""
    return Schema.from_dict(
        {
            "data": fields.List(fields.Nested(row_schema)),
            "next_cursor": fields.String(
                allow_none=True,
                metadata={"description": "Pass as `cursor` for the next page; null at the end."},
            ),
        },
        name=name,
    )
