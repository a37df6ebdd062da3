"""marshmallow schemas: they validate request bodies and query strings, serialise responses, and
are the OpenAPI document's component schemas — one definition for all three.

Request schemas check shapes, types, lengths and required fields; the services still check the
domain rules (unique slugs and external ids, URL forms, permissions). Every request schema
refuses, anywhere in its input (names included), a NUL character or an unpaired surrogate — no
database stores them and no legitimate text holds them — and values nested over 20 levels deep.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import current_app, url_for
from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_dump,
    pre_load,
    validate,
)

from talk import policy
from talk.api import auth
from talk.limits import (
    MAX_BOARD_DESCRIPTION,
    MAX_BOARD_TITLE,
    MAX_DISCUSSION_TITLE,
    MAX_ID,
    MAX_MEMBER_LABEL,
    MAX_MODERATOR_NOTE,
    MAX_PROJECT_DESCRIPTION,
    MAX_PROJECT_SLUG,
    MAX_PROJECT_TITLE,
)
from talk.models import ACCESS_LEVELS, ROLES, Board, BoardKind, Item
from talk.services import listing
from talk.services.validation import SLUG_RE

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


def max_comment_length(value: str) -> None:
    """``TALK_MAX_COMMENT_LENGTH`` is configuration, so it is read when a body is validated."""
    limit = current_app.config["TALK_MAX_COMMENT_LENGTH"]
    if len(value) > limit:
        raise ValidationError(f"Longer than {limit} characters.")


def _body_field() -> fields.String:
    return fields.String(
        required=True,
        validate=[validate.Length(min=1), max_comment_length],
        metadata={"description": "Markdown; at most TALK_MAX_COMMENT_LENGTH characters."},
    )


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


# --------------------------------------------------------------------------- requests


class PageQuerySchema(RequestSchema):
    cursor = fields.String(
        validate=validate.Length(max=1000),
        metadata={"description": "`next_cursor` of the previous page; omit for the first page."},
    )
    limit = Whole(
        validate=validate.Range(min=1, max=MAX_PAGE_SIZE),
        metadata={"description": f"Rows per page, 1–{MAX_PAGE_SIZE} (default: TALK_PAGE_SIZE)."},
    )


IMAGE_HOSTS_DOC = {
    "description": "Hosts whose images comments show inline, over HTTPS (the project's IIIF and "
    "image servers): `images.example.org`, or `.example.org` for it and its subdomains. Images "
    "from other hosts show as links."
}


class ProjectCreateSchema(RequestSchema):
    slug = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=MAX_PROJECT_SLUG),
            validate.Regexp(SLUG_RE, error="Use lower-case letters, digits and hyphens."),
        ],
    )
    title = fields.String(required=True, validate=validate.Length(min=1, max=MAX_PROJECT_TITLE))
    description = fields.String(
        load_default="", validate=validate.Length(max=MAX_PROJECT_DESCRIPTION)
    )
    settings = fields.Dict(keys=fields.String(), load_default=dict)
    image_hosts = fields.List(fields.String(), load_default=list, metadata=IMAGE_HOSTS_DOC)


class ProjectEditSchema(RequestSchema):
    image_hosts = fields.List(fields.String(), required=True, metadata=IMAGE_HOSTS_DOC)


class BoardCreateSchema(RequestSchema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=MAX_BOARD_TITLE))
    description = fields.String(
        load_default="", validate=validate.Length(max=MAX_BOARD_DESCRIPTION)
    )
    read_level = fields.String(load_default="everyone", validate=validate.OneOf(ACCESS_LEVELS))
    write_level = fields.String(load_default="logged-in", validate=validate.OneOf(ACCESS_LEVELS))


class DiscussionCreateSchema(RequestSchema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=MAX_DISCUSSION_TITLE))
    body = _body_field()


class CommentCreateSchema(RequestSchema):
    body = _body_field()
    reply_to = fields.Integer(
        strict=True,
        allow_none=True,
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={"description": "Id of the comment in this discussion being answered."},
    )


class CommentEditSchema(RequestSchema):
    body = _body_field()
    moderator_note = fields.String(
        validate=validate.Length(min=1, max=MAX_MODERATOR_NOTE),
        metadata={
            "description": "A moderator editing someone's comment says why: shown under it "
            '("Edited by a moderator: …"). Without it, only the author may edit.'
        },
    )


class MemberSetSchema(RequestSchema):
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    label = fields.String(
        load_default="",
        validate=validate.Length(max=MAX_MEMBER_LABEL),
        metadata={"description": "Visible title, e.g. 'Herbarium curator'."},
    )


# --------------------------------------------------------------------------- responses


def _board_url(board: Board) -> str:
    return absolute_url("projects.board", slug=board.project.slug, board_id=board.id)


def _board_kind() -> fields.Function:
    return fields.Function(
        lambda board: BoardKind(board.kind).value,
        metadata={"type": "string", "enum": [kind.value for kind in BoardKind]},
    )


def _item_url(item: Item) -> str:
    return absolute_url("projects.item", slug=item.project.slug, external_id=item.external_id)


def _item_api_url(item: Item) -> str:
    return absolute_url(
        "api_items.ItemDetail", slug=item.project.slug, external_id=item.external_id
    )


class AuthorSchema(Schema):
    """A user as shown next to what they wrote."""

    username = fields.String()
    display_name = fields.String()
    url = link(lambda u: absolute_url("users.profile", username=u.username), "Profile page.")


class UserSchema(AuthorSchema):
    """A public profile: never an email address or anything secret."""

    created_at = fields.DateTime()
    comment_count = fields.Integer()
    api_url = link(
        lambda u: absolute_url("api_users.UserProfile", username=u.username), "This resource."
    )


class BoardSchema(Schema):
    id = fields.Integer()
    project = fields.Function(lambda b: b.project.slug, metadata={"type": "string"})
    kind = _board_kind()
    title = fields.String()
    description = fields.String()
    read_level = fields.String(metadata={"enum": list(ACCESS_LEVELS)})
    write_level = fields.String(metadata={"enum": list(ACCESS_LEVELS)})
    position = fields.Integer()
    created_at = fields.DateTime()
    discussion_count = fields.Integer()
    comment_count = fields.Integer()
    last_activity_at = fields.DateTime(allow_none=True)
    url = link(_board_url, "Web page.")
    api_url = link(
        lambda b: absolute_url("api_boards.BoardDetail", board_id=b.id), "This resource."
    )


class ProjectSchema(Schema):
    slug = fields.String()
    title = fields.String()
    description = fields.String()
    settings = fields.Dict()
    image_hosts = fields.List(fields.String(), metadata=IMAGE_HOSTS_DOC)
    created_at = fields.DateTime()
    item_count = fields.Integer()
    discussion_count = fields.Integer()
    comment_count = fields.Integer()
    url = link(lambda p: absolute_url("projects.home", slug=p.slug), "Web page.")
    api_url = link(
        lambda p: absolute_url("api_projects.ProjectDetail", slug=p.slug), "This resource."
    )


class ProjectDetailSchema(ProjectSchema):
    boards = fields.List(
        fields.Nested(BoardSchema),
        metadata={"description": "The boards the caller may read."},
    )


class ItemSchema(Schema):
    id = fields.Integer()
    project = fields.Function(lambda i: i.project.slug, metadata={"type": "string"})
    external_id = fields.String()
    title = fields.String()
    image_url = fields.String()
    thumbnail_url = fields.String()
    iiif_manifest_uri = fields.String()
    iiif_canvas_uri = fields.String()
    source_url = fields.String()
    metadata = fields.Dict(attribute="item_metadata", keys=fields.String(), values=fields.String())
    created_at = fields.DateTime()
    discussion_count = fields.Integer()
    comment_count = fields.Integer()
    last_activity_at = fields.DateTime(allow_none=True)
    url = link(_item_url, "Web page.")
    api_url = link(_item_api_url, "This resource.")

    @post_dump(pass_original=True)
    def _closed_threads(self, data: dict[str, Any], item: Item, **_: Any) -> dict[str, Any]:
        """No thread activity (0, null) for a caller who may not read the project's item
        threads: the counters would tell how busy a closed items board is."""
        if not listing.can_see_item_threads(auth.viewer(), item.project):
            data.update(discussion_count=0, comment_count=0, last_activity_at=None)
        return data


class ItemRefSchema(Schema):
    external_id = fields.String()
    title = fields.String()
    url = link(_item_url, "Web page.")
    api_url = link(_item_api_url, "This resource.")


class BoardRefSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    kind = _board_kind()
    url = link(_board_url, "Web page.")


class DiscussionSchema(Schema):
    id = fields.Integer()
    project = fields.Function(lambda d: d.project.slug, metadata={"type": "string"})
    board = fields.Nested(BoardRefSchema)
    item = fields.Nested(ItemRefSchema, allow_none=True)
    title = fields.String()
    author = fields.Nested(AuthorSchema)
    created_at = fields.DateTime()
    comment_count = fields.Integer()
    last_comment_at = fields.DateTime()
    locked = fields.Boolean(
        attribute="is_locked", metadata={"description": "No replies but its moderators'."}
    )
    pinned = fields.Boolean(metadata={"description": "Listed first on its board and item."})
    url = link(lambda d: absolute_url("discussions.show", discussion_id=d.id), "Web page.")
    api_url = link(
        lambda d: absolute_url("api_discussions.DiscussionDetail", discussion_id=d.id),
        "This resource.",
    )
    comments_url = link(
        lambda d: absolute_url("api_discussions.DiscussionComments", discussion_id=d.id),
        "Its comments (API).",
    )


def _text_shown(comment: Any) -> bool:
    """A comment's text is in the API when it is shown, and a held one's for those who see it
    waiting (its author, its moderators)."""
    if comment.is_visible:
        return True
    held = comment.is_held and not comment.is_deleted
    return held and policy.may(auth.viewer(), "comment.read_held", comment)


class CommentSchema(Schema):
    id = fields.Integer()
    discussion_id = fields.Integer()
    author = fields.Nested(AuthorSchema)
    body = fields.Function(
        lambda c: c.body if _text_shown(c) else None,
        metadata={
            "type": "string",
            "nullable": True,
            "description": "Markdown; null if deleted or hidden by a moderator (a held one's "
            "only for its author and moderators).",
        },
    )
    body_html = fields.Function(
        lambda c: c.body_html if _text_shown(c) else "",
        metadata={"type": "string", "description": "Sanitised HTML; empty if deleted or hidden."},
    )
    reply_to = fields.Integer(attribute="reply_to_id", allow_none=True)
    created_at = fields.DateTime()
    edited_at = fields.DateTime(allow_none=True)
    deleted = fields.Boolean(attribute="is_deleted")
    hidden = fields.Boolean(
        attribute="is_hidden", metadata={"description": "Hidden by a moderator (or held)."}
    )
    held = fields.Boolean(
        attribute="is_held",
        metadata={
            "description": "Waiting for a moderator's approval: only its author and the "
            "project's moderators see it."
        },
    )
    moderator_note = fields.Function(
        lambda c: c.moderator_note if c.is_visible and c.moderator_note else None,
        metadata={
            "type": "string",
            "nullable": True,
            "description": "Why a moderator edited it (shown under it); null if none did.",
        },
    )
    url = link(lambda c: absolute_url("discussions.comment", comment_id=c.id), "Web page.")
    api_url = link(
        lambda c: absolute_url("api_discussions.CommentDetail", comment_id=c.id), "This resource."
    )


class MemberSchema(Schema):
    user = fields.Nested(AuthorSchema)
    role = fields.String(metadata={"enum": list(ROLES)})
    label = fields.String()
    created_at = fields.DateTime()


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


ProjectPageSchema = page_schema("ProjectPage", ProjectSchema)
BoardPageSchema = page_schema("BoardPage", BoardSchema)
ItemPageSchema = page_schema("ItemPage", ItemSchema)
DiscussionPageSchema = page_schema("DiscussionPage", DiscussionSchema)
CommentPageSchema = page_schema("CommentPage", CommentSchema)
MemberPageSchema = page_schema("MemberPage", MemberSchema)
