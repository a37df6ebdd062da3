"""Registering, logging in and out."""

from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_login import login_user, logout_user

from talk.forms import LoginForm, RegisterForm
from talk.services import accounts
from talk.web import throttle
from talk.web.common import ResponseLike, add_error_handlers, safe_next, submit_form, viewer

bp = Blueprint("auth", __name__)
add_error_handlers(bp)


def _next_url() -> str:
    return safe_next(request.args.get("next")) or url_for("projects.index")


@bp.route("/register", methods=["GET", "POST"])
def register() -> ResponseLike:
    """Create an account and log straight in, then go back to ``?next=`` (a path on this
    site, kept through the form like login's).

    Every problem is shown at once: the form's own (a missing field, passwords that differ)
    and the services' (username taken, reserved or too similar, address, password length),
    each beside its field and all in the summary above the form."""
    form = RegisterForm()
    status, problems = 200, []
    if form.validate_on_submit():
        outcome = submit_form(
            form,
            lambda: accounts.create_user(
                viewer(),
                form.username.data or "",
                form.email.data or "",
                form.password.data or "",
                display_name=form.display_name.data or None,
            ),
        )
        if not outcome.refused:
            user = outcome.value
            login_user(user)
            flash(f"Welcome to Talk, {user.display_name}!", "success")
            return redirect(_next_url())
        status, problems = outcome.status, outcome.problems
    elif form.is_submitted():
        # The form's own problems, and beside them every one the service would find.
        found = accounts.registration_problems(
            form.username.data or "",
            form.email.data or "",
            form.password.data or "",
            form.display_name.data or None,
        )
        for name, messages in found.items():
            if not form[name].errors:
                form[name].errors = messages
        status = 422
    return render_template(
        "auth/register.html", form=form, problems=problems, next=safe_next(request.args.get("next"))
    ), status


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseLike:
    """Log in with username or email; ``?next=`` (a path on this site) is where to go after.

    Failed logins are counted per login name and per client address (:mod:`talk.web.throttle`);
    past the limits the form answers 429 with ``Retry-After``, before checking the password."""
    form = LoginForm()
    status, problems, headers = 200, [], {}
    if form.validate_on_submit():
        login_name = form.login.data or ""
        refused = throttle.refusal(login_name)
        if refused is not None:
            status, problems = 429, [refused.message]
            headers["Retry-After"] = str(refused.retry_after)
        else:
            user = accounts.authenticate(login_name, form.password.data or "")
            if user is not None:
                throttle.record_success(login_name)
                login_user(user, remember=bool(form.remember.data))
                flash(f"Logged in as {user.display_name}.", "success")
                return redirect(_next_url())
            throttle.record_failure(login_name)
            status, problems = 401, ["That username or email and password do not match."]
    elif form.is_submitted():
        status = 422
    page = render_template(
        "auth/login.html", form=form, problems=problems, next=safe_next(request.args.get("next"))
    )
    return make_response(page, status, headers)


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseLike:
    """Log out on every device: the account's other sessions and remember-me cookies end too."""
    user = viewer()
    if user.is_authenticated:
        accounts.end_sessions(user, user)
    logout_user()
    flash("You have logged out.", "success")
    return redirect(url_for("projects.index"))
