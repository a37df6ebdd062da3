"""Public user profiles."""

from __future__ import annotations

from flask.views import MethodView

from talk.api import auth, base, schemas
from talk.services import accounts, listing

blp = base.api_blueprint("api_users", "Public user profiles.")


@blp.route("/users/<username>")
class UserProfile(MethodView):
    @blp.response(200, schemas.UserSchema)
    def get(self, username: str) -> listing.UserAsSeen:
        """A user's public profile (never their email address); `comment_count` counts the
        comments the caller may read."""
        return listing.user_as_seen(auth.viewer(), accounts.get_user(username))
