"""The schemas of the core's resources: projects, boards, items, discussions, comments and
members (requests and responses). They validate request bodies and query strings, serialise
responses, and are the OpenAPI document's component schemas — one definition for all three.

The conventions they follow (unknown fields, unstorable text, strict numbers, the error body, the
cursor page envelope) are in :mod:`talk.api.base_schemas`, re-exported here so that importers
(``schemas.RequestSchema``, ``schemas.page_schema`` …) have one module to name. Tags, items,
tag groups, curation and tokens have their own ``*_schemas.py`` beside this one.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from marshmallow import Schema, ValidationError, fields, post_dump, validate

from talk import policy
from talk.api import auth
from talk.api.base_schemas import (
    MAX_DEPTH,
    MAX_PAGE_SIZE,
    ErrorDetailSchema,
    ErrorSchema,
    JsonBoolean,
    PageQuerySchema,
    RequestSchema,
    Whole,
    absolute_url,
    link,
    page_schema,
)
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
from talk.services import held, listing
from talk.services.validation import SLUG_RE

# --------------------------------------------------------------------------- requests


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


def _discussion_held_reason(discussion: Any) -> str | None:
    """A held discussion's reason, from its first comment (one query, for held ones only:
    only their author and moderators read them at all)."""
    if not discussion.is_held:
        return None
    opening = held.opening_comment(discussion)
    return opening.hidden_reason if opening is not None and opening.hidden_reason else None


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
    held = fields.Boolean(
        attribute="is_held",
        metadata={
            "description": "Waiting for a moderator's approval of its first comment (or not "
            "approved): listed nowhere, and only its author and the project's moderators see it."
        },
    )
    held_reason = fields.Function(
        _discussion_held_reason,
        metadata={
            "type": "string",
            "nullable": True,
            "description": "Why it waits (or why it was not approved); null unless `held`.",
        },
    )
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
    held_reason = fields.Function(
        lambda c: c.hidden_reason if c.is_held and _text_shown(c) else None,
        metadata={
            "type": "string",
            "nullable": True,
            "description": "Why it waits for a moderator; null unless `held` (and shown).",
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


ProjectPageSchema = page_schema("ProjectPage", ProjectSchema)
BoardPageSchema = page_schema("BoardPage", BoardSchema)
ItemPageSchema = page_schema("ItemPage", ItemSchema)
DiscussionPageSchema = page_schema("DiscussionPage", DiscussionSchema)
CommentPageSchema = page_schema("CommentPage", CommentSchema)
MemberPageSchema = page_schema("MemberPage", MemberSchema)

#: What this module re-exports from :mod:`talk.api.base_schemas` (its own schemas are public too).
__all__ = [
    "MAX_DEPTH",
    "MAX_PAGE_SIZE",
    "ErrorDetailSchema",
    "ErrorSchema",
    "JsonBoolean",
    "PageQuerySchema",
    "RequestSchema",
    "Whole",
    "absolute_url",
    "link",
    "page_schema",
]
