"""Follows and mutes in the JSON API: ``/api/v1/me/follows``, ``/api/v1/me/mutes`` and a
``follow`` resource on each followable thing (``PUT`` follows or mutes, ``DELETE`` stops)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from notifications import follows
from notifications.follow_models import FOLLOW_KINDS, LEVELS, ORIGINS, Follow
from notifications.follow_views import target_url
from talk.api import auth, base, schemas
from talk.limits import MAX_ID, MAX_PROJECT_SLUG, TAG_NAME_COLUMN
from talk.models import Board, Discussion, Item, Project, Tag
from talk.services import accounts, projects, reading

blp = base.api_blueprint("api_follows", "What the caller follows and mutes, and whom they muted.")


class FollowTargetSchema(schemas.RequestSchema):
    """Names one followable thing: a discussion, item or board by `id`; a project by `project`
    (its slug); a tag by `project` and `name` (any spelling or synonym)."""

    type = fields.String(required=True, validate=validate.OneOf(FOLLOW_KINDS))
    id = schemas.Whole(validate=validate.Range(min=1, max=MAX_ID))
    project = fields.String(validate=validate.Length(min=1, max=MAX_PROJECT_SLUG))
    name = fields.String(validate=validate.Length(min=1, max=TAG_NAME_COLUMN))


class FollowSetSchema(FollowTargetSchema):
    level = fields.String(
        load_default="follow",
        validate=validate.OneOf(LEVELS),
        metadata={"description": "`follow`, or `mute`: quiet even inside something followed."},
    )


class LevelSchema(schemas.RequestSchema):
    level = fields.String(load_default="follow", validate=validate.OneOf(LEVELS))


class FollowSchema(Schema):
    type = fields.String(attribute="kind", metadata={"enum": list(FOLLOW_KINDS)})
    level = fields.String(metadata={"enum": list(LEVELS)})
    origin = fields.String(
        metadata={
            "enum": list(ORIGINS),
            "description": "`chosen`, or `posted`: followed because the caller took part.",
        }
    )
    created_at = fields.DateTime()
    id = fields.Function(
        lambda f: None if f.kind in ("project", "tag") else f.target.id,
        metadata={"type": "integer", "nullable": True, "description": "Discussion, item, board."},
    )
    project = fields.Function(
        lambda f: f.target.slug if f.kind == "project" else f.target.project.slug,
        metadata={"type": "string"},
    )
    name = fields.Function(
        lambda f: f.target.name if f.kind == "tag" else None,
        metadata={"type": "string", "nullable": True, "description": "A tag's name."},
    )
    title = fields.Function(lambda f: follows.title_of(f.target), metadata={"type": "string"})
    url = schemas.link(lambda f: target_url(f.target, _external=True), "Its web page.")


class MuteSchema(Schema):
    user = fields.Nested(schemas.AuthorSchema, attribute="muted_user")
    created_at = fields.DateTime()


FollowPageSchema = schemas.page_schema("FollowPage", FollowSchema)
MutePageSchema = schemas.page_schema("MutePage", MuteSchema)


def _named(args: dict[str, Any]) -> follows.Target:
    return follows.find_target(
        auth.viewer(),
        args["type"],
        target_id=args.get("id"),
        project=args.get("project"),
        name=args.get("name"),
    )


@blp.route("/me/follows")
class MyFollows(MethodView):
    @blp.arguments(schemas.PageQuerySchema, location="query")
    @blp.response(200, FollowPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """What the caller follows or mutes, newest first. Nobody else's: there is no way to
        list another person's follows."""
        page = follows.follows_page(
            auth.actor(), auth.actor(), cursor=args.get("cursor"), limit=base.page_limit(args)
        )
        return base.page_body(page)

    @blp.arguments(FollowSetSchema)
    @blp.response(200, FollowSchema)
    def put(self, body: dict[str, Any]) -> Follow:
        """Follow (or mute) what the body names; following it again changes only the level.
        What the caller may not read answers 404."""
        return follows.follow(auth.actor(), _named(body), body["level"])

    @blp.arguments(FollowTargetSchema, location="query")
    @blp.response(204)
    def delete(self, args: dict[str, Any]) -> None:
        """Stop following (or muting) what the query names (`?type=discussion&id=12`); 404
        if the caller did not follow it."""
        follows.unfollow(auth.actor(), _named(args))


class _FollowResource(MethodView):
    """PUT follows (or, with `{"level": "mute"}`, mutes); DELETE stops."""

    def target(self, **kwargs: Any) -> follows.Target:
        raise NotImplementedError

    @blp.arguments(LevelSchema)
    @blp.response(200, FollowSchema)
    def put(self, body: dict[str, Any], **kwargs: Any) -> Follow:
        """Follow (or mute) it."""
        return follows.follow(auth.actor(), self.target(**kwargs), body["level"])

    @blp.response(204)
    def delete(self, **kwargs: Any) -> None:
        """Stop following (or muting) it."""
        follows.unfollow(auth.actor(), self.target(**kwargs))


@blp.route(f"/discussions/<{base.ID}:discussion_id>/follow")
class DiscussionFollow(_FollowResource):
    def target(self, discussion_id: int) -> Discussion:  # type: ignore[override]
        return reading.discussion(auth.viewer(), discussion_id)


@blp.route(f"/boards/<{base.ID}:board_id>/follow")
class BoardFollow(_FollowResource):
    def target(self, board_id: int) -> Board:  # type: ignore[override]
        return reading.board(auth.viewer(), board_id)


@blp.route("/projects/<slug>/follow")
class ProjectFollow(_FollowResource):
    def target(self, slug: str) -> Project:  # type: ignore[override]
        return projects.get_project(slug)


@blp.route("/projects/<slug>/items/<path:external_id>/follow")
class ItemFollow(_FollowResource):
    def target(self, slug: str, external_id: str) -> Item:  # type: ignore[override]
        return reading.item(slug, external_id)[1]


@blp.route("/projects/<slug>/tags/<name>/follow")
class TagFollow(_FollowResource):
    def target(self, slug: str, name: str) -> Tag:  # type: ignore[override]
        return reading.tag(slug, name)[1]


@blp.route("/me/mutes")
class MyMutes(MethodView):
    @blp.arguments(schemas.PageQuerySchema, location="query")
    @blp.response(200, MutePageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The people the caller muted, latest first: nothing from them reaches the caller."""
        page = follows.mutes_page(
            auth.actor(), auth.actor(), cursor=args.get("cursor"), limit=base.page_limit(args)
        )
        return base.page_body(page)


@blp.route("/me/mutes/<username>")
class MyMute(MethodView):
    @blp.response(201, MuteSchema)
    def put(self, username: str) -> Any:
        """Mute a person (409 if muted already)."""
        return follows.mute_user(auth.actor(), accounts.get_user(username))

    @blp.response(204)
    def delete(self, username: str) -> None:
        """Unmute a person (404 if not muted)."""
        follows.unmute_user(auth.actor(), accounts.get_user(username))
