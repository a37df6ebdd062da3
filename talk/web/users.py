"""People's profile pages, and one's own settings (account, password, address, API tokens)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_login import login_user
from flask_wtf import FlaskForm

from talk import policy
from talk.clock import utcnow
from talk.errors import NotAuthenticated
from talk.forms import ChangeEmailForm, ChangePasswordForm, ConfirmForm, ProfileForm, TokenForm
from talk.services import account_email, accounts, blocks, listing, tokens
from talk.web.common import (
    ResponseLike,
    add_error_handlers,
    cursor_arg,
    page_size,
    safe_next,
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


@bp.route("/users/<username>/block", methods=["POST"], defaults={"blocking": True})
@bp.route("/users/<username>/unblock", methods=["POST"], defaults={"blocking": False})
def block(username: str, blocking: bool) -> ResponseLike:
    """Block (or unblock) a person, then back to where the form was (their profile, or the
    settings' list)."""
    person = accounts.get_user(username)
    if blocking:
        blocks.block_user(viewer(), person)
        flash(
            f"You blocked {person.display_name}: their comments are folded away for you, and "
            "nothing they write will notify you.",
            "success",
        )
    else:
        blocks.unblock_user(viewer(), person)
        flash(f"You no longer block {person.display_name}.", "success")
    back = safe_next(request.form.get("next"))
    return redirect(back or url_for("users.profile", username=person.username))


#: People listed on the settings page as blocked (the API pages through them all).
BLOCKS_SHOWN = 100


def _settings_page(status: int = 200, problems: list[str] | None = None, **forms: FlaskForm) -> Any:
    """The account settings page, with ``forms`` (a refused one keeps its input and errors)."""
    user = viewer()
    if not user.is_authenticated:
        raise NotAuthenticated("Log in to see your settings.")
    policy.require(user, "account.settings", user)
    forms.setdefault(
        "profile",
        ProfileForm(formdata=None, display_name=user.display_name, time_zone=user.time_zone),
    )
    forms.setdefault("password", ChangePasswordForm(formdata=None))
    forms.setdefault("email", ChangeEmailForm(formdata=None))
    forms.setdefault("verify", ConfirmForm(formdata=None))
    page = render_template(
        "settings/account.html",
        user=user,
        problems=problems or [],
        time_zones=accounts.time_zone_names(),
        blocked=blocks.blocks_page(user, user, cursor=None, limit=BLOCKS_SHOWN).rows,
        **forms,
    )
    return make_response(page, status)


@bp.route("/settings")
def settings() -> ResponseLike:
    """One's account: display name and time zone, password, email address; links to tokens."""
    return _settings_page()


def _settings_form(form: FlaskForm, name: str, operation: Any, done: str) -> ResponseLike:
    """Run one settings form's operation: back to the page with ``done``, or the page with the
    form's problems."""
    if form.validate_on_submit():
        outcome = submit_form(form, operation)
        if not outcome.refused:
            flash(done, "success")
            return redirect(url_for("users.settings"))
        return _settings_page(outcome.status, outcome.problems, **{name: form})
    return _settings_page(422, **{name: form})


@bp.route("/settings/profile", methods=["POST"])
def update_profile() -> ResponseLike:
    user, form = viewer(), ProfileForm()
    return _settings_form(
        form,
        "profile",
        lambda: accounts.update_profile(
            user, user, form.display_name.data or "", (form.time_zone.data or "").strip()
        ),
        "Your settings are saved.",
    )


@bp.route("/settings/password", methods=["POST"])
def change_password() -> ResponseLike:
    """Change the password; every other session ends, this one goes on."""
    user, form = viewer(), ChangePasswordForm()

    def change() -> None:
        accounts.change_password(
            user, user, form.current_password.data or "", form.new_password.data or ""
        )
        login_user(user)  # this browser's session, under the account's new session token

    return _settings_form(
        form, "password", change, "Your password is changed; every other session has ended."
    )


@bp.route("/settings/email", methods=["POST"])
def change_email() -> ResponseLike:
    """Ask to move to a new address: it changes when the link sent there is followed."""
    user, form = viewer(), ChangeEmailForm()
    return _settings_form(
        form,
        "email",
        lambda: account_email.request_email_change(
            user, user, form.password.data or "", form.email.data or ""
        ),
        "We sent a link to the new address: your address changes when you follow it. "
        "(If nothing arrives, check the address you typed.)",
    )


@bp.route("/settings/verify-email", methods=["POST"])
def send_verification() -> ResponseLike:
    user = viewer()
    form = ConfirmForm()
    return _settings_form(
        form,
        "verify",
        lambda: account_email.request_verification(user, user),
        f"We sent a link to {user.email if user.is_authenticated else 'your address'}.",
    )
