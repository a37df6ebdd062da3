"""People's profile pages."""

from __future__ import annotations

from flask import Blueprint, render_template

from talk.services import accounts, listing
from talk.web.common import ResponseLike, add_error_handlers, cursor_arg, page_size, viewer

bp = Blueprint("users", __name__)
add_error_handlers(bp)


@bp.route("/users/<username>")
def profile(username: str) -> ResponseLike:
    """Who someone is and what they said lately, on the boards the viewer may read."""
    person = listing.user_as_seen(viewer(), accounts.get_user(username))
    page = listing.user_comments(viewer(), person.user, cursor=cursor_arg(), limit=page_size())
    return render_template("users/profile.html", person=person, page=page)
