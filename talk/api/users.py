"""Public user profiles."""

from __future__ import annotations

from flask.views import MethodView

from talk.api import base, schemas
from talk.models import User
from talk.services import accounts

blp = base.api_blueprint("api_users", "Public user profiles.")


@blp.route("/users/<username>")
class UserProfile(MethodView):
    @blp.response(200, schemas.UserSchema)
    def get(self, username: str) -> User:
        """A user's public profile (never their email address)."""
        return accounts.get_user(username)
