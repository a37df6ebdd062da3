"""The email settings page, ``/settings/email``: what each kind of email does, per project
overrides, the everything-off switch, and the delivery log ("why didn't I get an email?").
Plain POST forms, no JavaScript. The account settings page links here through its
``settings.sections`` slot (the core names no package)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from markupsafe import Markup

from notifications import preferences
from notifications.notices import moderates_somewhere
from talk import policy
from talk.errors import NotAuthenticated
from talk.services import projects
from talk.web import slots
from talk.web.common import ResponseLike, add_error_handlers, cursor_arg, page_size, viewer

bp = Blueprint("email_settings", __name__, template_folder="templates")
add_error_handlers(bp)

#: The per-project form's "use my site-wide choice" (removes the override).
SITE_WIDE = "site-wide"


def _me() -> Any:
    user = viewer()
    if not policy.is_logged_in(user):
        raise NotAuthenticated("Log in to choose your email.")
    return user


def _back() -> ResponseLike:
    return redirect(url_for("email_settings.page"))


def offered(user: Any) -> dict[str, str]:
    """The categories the page offers ``user``: ``reports`` only to moderators (the API lists
    every category to everyone; a choice for it does nothing until they moderate)."""
    moderator = moderates_somewhere(user)
    return {
        category: label
        for category, label in preferences.PREFERENCE_CATEGORIES.items()
        if moderator or category not in preferences.MODERATOR_CATEGORIES
    }


@bp.route("/settings/email", methods=["GET"])
def page() -> ResponseLike:
    user = _me()
    return render_template(
        "notifications/email_settings.html",
        user=user,
        prefs=preferences.preferences_of(user, user),
        categories=preferences.PREFERENCE_CATEGORIES,
        offered=offered(user),
        defaults=preferences.DEFAULTS,
        choices=preferences.CHOICES,
        site_wide=SITE_WIDE,
        log=preferences.deliveries_page(user, user, cursor=cursor_arg(), limit=page_size()),
        shown_state=preferences.shown_state,
        reason_text=preferences.reason_text,
        address_problem=preferences.address_problem(user),
    )


@bp.route("/settings/email/preferences", methods=["POST"])
def save() -> ResponseLike:
    """Every site-wide choice and the switch at once (the page's main form)."""
    user = _me()
    chosen = {
        category: request.form[f"choice-{category}"]
        for category in preferences.PREFERENCE_CATEGORIES
        if f"choice-{category}" in request.form
    }
    preferences.set_preferences(user, user, chosen, field="choice-{}")
    preferences.set_everything_off(user, user, request.form.get("everything_off") == "on")
    flash("Your email choices are saved.", "success")
    return _back()


@bp.route("/settings/email/projects", methods=["POST"])
def save_project() -> ResponseLike:
    """One category in one project: a choice of its own, or back to the site-wide one."""
    user = _me()
    project = projects.get_project(request.form.get("project", "").strip())
    category = request.form.get("category", "")
    choice = request.form.get("choice", "")
    preferences.set_choice(
        user, user, category, None if choice == SITE_WIDE else choice, project=project
    )
    flash(f"Saved for {project.title}.", "success")
    return _back()


@bp.route("/settings/email/reenable", methods=["POST"])
def reenable() -> ResponseLike:
    user = _me()
    preferences.reenable_address(user, user)
    flash(
        "Talk emails your address again; we sent it a message. If that fails too, this page "
        "will say so.",
        "success",
    )
    return _back()


def settings_link() -> Markup | str:
    """The account settings page's section pointing here."""
    if not policy.is_logged_in(viewer()):
        return ""
    return slots.render("notifications/_email_settings_link.html")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    slots.register(app, "settings.sections", settings_link)
