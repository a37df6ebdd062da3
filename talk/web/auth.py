"""Registering, logging in and out."""

from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_login import login_user, logout_user

from talk.forms import ConfirmForm, ForgotPasswordForm, LoginForm, NewPasswordForm, RegisterForm
from talk.services import account_email, accounts
from talk.web import throttle
from talk.web.common import ResponseLike, add_error_handlers, safe_next, submit_form, viewer

bp = Blueprint("auth", __name__)
add_error_handlers(bp)


def _next_url() -> str:
    return safe_next(request.args.get("next")) or url_for("projects.index")


@bp.route("/register", methods=["GET", "POST"])
def register() -> ResponseLike:
    """Sign up: a confirmation link goes to the address, and following it makes the account,
    logs in and goes back to ``?next=`` (a path on this site, carried in the link).

    The answer is the same page whether or not the address has an account (whose owner is
    mailed instead), and sets no cookie of its own: nobody learns who is registered here.
    Every problem is shown at once: the form's own (a missing field, passwords that differ)
    and the services' (username taken, reserved or too similar, address, password length),
    each beside its field and all in the summary above the form. Sign-ups mailing one address,
    or from one client, are limited per hour (:func:`throttle.mail_refusal`)."""
    form = RegisterForm()
    status, problems, headers = 200, [], {}
    valid = form.validate_on_submit()
    refused = throttle.mail_refusal("register", form.email.data or "") if valid else None
    if refused is not None:
        status, problems = 429, [refused.message]
        headers["Retry-After"] = str(refused.retry_after)
    elif valid:
        outcome = submit_form(
            form,
            lambda: account_email.request_registration(
                viewer(),
                form.username.data or "",
                form.email.data or "",
                form.password.data or "",
                display_name=form.display_name.data or None,
                next_path=safe_next(request.args.get("next")),
                answers={
                    name.removeprefix("extra."): value
                    for name, value in request.form.items()
                    if name.startswith("extra.")
                },
            ),
        )
        if not outcome.refused:
            return render_template("auth/check_email.html", purpose="register")
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
    page = render_template(
        "auth/register.html", form=form, problems=problems, next=safe_next(request.args.get("next"))
    )
    return make_response(page, status, headers)


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
            if user is not None and user.is_disabled:
                status, problems = 403, [accounts.DISABLED]
            elif user is not None:
                throttle.record_success(login_name)
                login_user(user, remember=bool(form.remember.data))
                flash(f"Logged in as {user.display_name}.", "success")
                return redirect(_next_url())
            else:
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


@bp.route("/register/confirm", methods=["GET", "POST"])
def confirm_registration() -> ResponseLike:
    """The emailed sign-up link: a GET shows a button (mail scanners open links), its POST
    makes the account, logs in and goes where the sign-up started."""
    token = request.args.get("token", "")
    form = ConfirmForm()
    if form.validate_on_submit():
        user, next_path = account_email.confirm_registration(token)
        login_user(user)
        flash(f"Your address is confirmed. Welcome to Talk, {user.display_name}!", "success")
        return redirect(safe_next(next_path) or url_for("projects.index"))
    pending, _ = account_email.pending_registration(token)
    return render_template(
        "auth/confirm.html",
        form=form,
        heading="Confirm your address",
        message=f"Confirm {pending.email} to create the account {pending.username}.",
        button="Create my account",
    ), (400 if form.is_submitted() else 200)


@bp.route("/confirm-email", methods=["GET", "POST"])
def confirm_email() -> ResponseLike:
    """The emailed link confirming an account's (new) address: a button, then the change."""
    token = request.args.get("token", "")
    form = ConfirmForm()
    if form.validate_on_submit():
        user = account_email.confirm_email(token)
        flash(f"Your email address is now {user.email}, confirmed.", "success")
        return redirect(url_for("users.settings"))
    user, to = account_email.address_change(token)
    return render_template(
        "auth/confirm.html",
        form=form,
        heading="Confirm your address",
        message=f"Confirm {to} as the email address of the account {user.username}.",
        button="Confirm this address",
    ), (400 if form.is_submitted() else 200)


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password() -> ResponseLike:
    """Ask for a reset link: the same answer whether or not an account uses the address."""
    form = ForgotPasswordForm()
    status, problems, headers = 200, [], {}
    if form.validate_on_submit():
        email = form.email.data or ""
        refused = throttle.mail_refusal("reset", email)
        if refused is None:
            account_email.request_password_reset(viewer(), email)
            return render_template("auth/check_email.html", purpose="reset")
        status, problems = 429, [refused.message]
        headers["Retry-After"] = str(refused.retry_after)
    elif form.is_submitted():
        status = 422
    page = render_template("auth/forgot_password.html", form=form, problems=problems)
    return make_response(page, status, headers)


@bp.route("/reset-password", methods=["GET", "POST"])
def reset_password() -> ResponseLike:
    """Choose a new password through an emailed link; every session ends, then this browser
    is logged in with the new one."""
    token = request.args.get("token", "")
    user = account_email.reset_user(token)
    form = NewPasswordForm()
    status, problems = 200, []
    if form.validate_on_submit():
        outcome = submit_form(
            form, lambda: account_email.reset_password(token, form.new_password.data or "")
        )
        if not outcome.refused:
            login_user(outcome.value)
            flash("Your password is changed, and every other session has ended.", "success")
            return redirect(url_for("projects.index"))
        status, problems = outcome.status, outcome.problems
    elif form.is_submitted():
        status = 422
    return render_template(
        "auth/reset_password.html", form=form, problems=problems, user=user, token=token
    ), status
