"""People's profile pages, and one's own settings (API tokens)."""

from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, url_for

from talk.clock import utcnow
from talk.forms import TokenForm
from talk.services import accounts, listing, tokens
from talk.web.common import (
    ResponseLike,
    add_error_handlers,
    cursor_arg,
    page_size,
    submit_form,
    viewer,
)

bp = Blueprint("users", __name__)
add_error_handlers(bp)


@bp.route("/users/<username>")
def profile(username: str) -> ResponseLike:
    """Who someone is and what they said lately, on the boards the viewer may read."""
    person = listing.user_as_seen(viewer(), accounts.get_user(username))
    page = listing.user_comments(viewer(), person.user, cursor=cursor_arg(), limit=page_size())
    return render_template("users/profile.html", person=person, page=page)


@bp.route("/settings/tokens", methods=["GET", "POST"])
def tokens_page() -> ResponseLike:
    """The logged-in user's API tokens: make one (its secret shown on this answer only),
    see when each was last used, revoke them."""
    user = viewer()
    form = TokenForm()
    status, problems, issued = 200, [], None
    if form.validate_on_submit():
        outcome = submit_form(
            form,
            lambda: tokens.issue_token(
                user,
                user,
                name=form.name.data or "",
                project=tokens.scope_project(form.project.data),
                expires_days=int(form.expires_days.data) if form.expires_days.data else None,
            ),
        )
        if outcome.refused:
            status, problems = outcome.status, outcome.problems
        else:
            issued, form = outcome.value, TokenForm(formdata=None)
    elif form.is_submitted():
        status = 422
    rows = tokens.user_tokens(user, user)
    page = render_template(
        "settings/tokens.html",
        form=form,
        problems=problems,
        issued=issued,
        tokens=rows,
        now=utcnow(),
    )
    response = make_response(page, status)
    if issued is not None:  # the secret is in this page: keep it out of every cache
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/settings/tokens/<int:token_id>/revoke", methods=["POST"])
def revoke_token(token_id: int) -> ResponseLike:
    user = viewer()
    tokens.revoke_token(user, user, token_id)
    flash("The token is revoked: it no longer works.", "success")
    return redirect(url_for("users.tokens_page"))
