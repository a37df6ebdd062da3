"""API tokens as their owner sees them (never the secret, except once in the creation's answer)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from marshmallow import Schema, fields, pre_dump, validate

from talk.api.schemas import RequestSchema, Whole
from talk.limits import MAX_PROJECT_SLUG, MAX_TOKEN_NAME
from talk.services.tokens import MAX_EXPIRES_DAYS, IssuedToken, is_expired


class TokenCreateSchema(RequestSchema):
    name = fields.String(
        load_default="",
        validate=validate.Length(max=MAX_TOKEN_NAME),
        metadata={"description": "What the token is for (e.g. the script using it)."},
    )
    project = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=MAX_PROJECT_SLUG),
        metadata={
            "description": "Slug of the one project the token may act in; omit for all. "
            "Elsewhere such a token reads as an anonymous visitor and is refused (403) writes."
        },
    )
    expires_days = Whole(
        load_default=None,
        validate=validate.Range(min=1, max=MAX_EXPIRES_DAYS),
        metadata={"description": "Days until the token stops working; omit for no expiry."},
    )


class TokenSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    project = fields.Function(
        lambda t: t.project.slug if t.project else None,
        metadata={"type": "string", "nullable": True, "description": "The token's one project."},
    )
    created_at = fields.DateTime()
    last_used_at = fields.DateTime(
        metadata={"description": "Recorded at most once a minute; null if never used."}
    )
    expires_at = fields.DateTime()
    expired = fields.Function(is_expired, metadata={"type": "boolean"})


class NewTokenSchema(TokenSchema):
    """Dumps an :class:`~talk.services.tokens.IssuedToken`: the token and, this once, its secret."""

    token = fields.String(
        metadata={"description": "The secret: shown only in this answer, stored only hashed."}
    )

    @pre_dump
    def with_secret(self, issued: IssuedToken, **_kwargs: Any) -> SimpleNamespace:
        row = issued.token
        columns = ("id", "name", "project", "created_at", "last_used_at", "expires_at")
        return SimpleNamespace(**{c: getattr(row, c) for c in columns}, token=issued.secret)


class TokenListSchema(Schema):
    rows = fields.List(fields.Nested(TokenSchema))
