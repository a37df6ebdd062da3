"""Public user profiles, and the caller's own API tokens and blocked people."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields

from talk.api import auth, base, schemas, token_schemas
from talk.services import accounts, blocks, listing, tokens

blp = base.api_blueprint(
    "api_users", "Public user profiles, and the caller's own API tokens and blocked people."
)


@blp.route("/users/<username>")
class UserProfile(MethodView):
    @blp.response(200, schemas.UserSchema)
    def get(self, username: str) -> listing.UserAsSeen:
        """A user's public profile (never their email address); `comment_count` counts the
        comments the caller may read."""
        return listing.user_as_seen(auth.viewer(), accounts.get_user(username))


@blp.route("/me/tokens")
class MyTokens(MethodView):
    @blp.response(200, token_schemas.TokenListSchema)
    def get(self) -> dict[str, Any]:
        """The caller's API tokens, newest first (never their secrets). Nobody else's: there
        is no way to list another account's tokens."""
        return {"rows": tokens.user_tokens(auth.viewer(), auth.viewer())}

    @blp.arguments(token_schemas.TokenCreateSchema)
    @blp.response(201, token_schemas.NewTokenSchema)
    def post(self, body: dict[str, Any]) -> tokens.IssuedToken:
        """Make a token for the caller; its secret is in this answer only."""
        return tokens.issue_token(
            auth.actor(),
            auth.actor(),
            name=body["name"],
            project=tokens.scope_project(body["project"]),
            expires_days=body["expires_days"],
        )


@blp.route(f"/me/tokens/<{base.ID}:token_id>")
class MyToken(MethodView):
    @blp.response(204)
    def delete(self, token_id: int) -> None:
        """Revoke one of the caller's tokens (404 for any id that is not theirs)."""
        tokens.revoke_token(auth.actor(), auth.actor(), token_id)


@blp.route("/users/<username>/disabled")
class UserDisabled(MethodView):
    @blp.response(204)
    def put(self, username: str) -> None:
        """Disable the account (site admins; not their own): its sessions end, and its logins
        and API tokens are refused, saying so. Send an empty JSON object."""
        accounts.disable_user(auth.actor(), accounts.get_user(username))

    @blp.response(204)
    def delete(self, username: str) -> None:
        """Enable the account again (site admins)."""
        accounts.disable_user(auth.actor(), accounts.get_user(username), disabled=False)


class BlockSchema(Schema):
    user = fields.Nested(schemas.AuthorSchema, attribute="blocked_user")
    created_at = fields.DateTime()


BlockPageSchema = schemas.page_schema("BlockPage", BlockSchema)


@blp.route("/me/blocks")
class MyBlocks(MethodView):
    @blp.arguments(schemas.PageQuerySchema, location="query")
    @blp.response(200, BlockPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The people the caller blocked, latest first: their comments are folded away for
        the caller and nothing they write notifies the caller. Nobody else's list."""
        page = blocks.blocks_page(
            auth.actor(), auth.actor(), cursor=args.get("cursor"), limit=base.page_limit(args)
        )
        return base.page_body(page)


@blp.route("/me/blocks/<username>")
class MyBlock(MethodView):
    @blp.response(201, BlockSchema)
    def put(self, username: str) -> Any:
        """Block a person (409 if blocked already, 422 for oneself, 404 for nobody). They
        are not told."""
        return blocks.block_user(auth.actor(), accounts.get_user(username))

    @blp.response(204)
    def delete(self, username: str) -> None:
        """Unblock a person (404 if not blocked)."""
        blocks.unblock_user(auth.actor(), accounts.get_user(username))
