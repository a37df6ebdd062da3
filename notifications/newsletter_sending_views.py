"""The progress view's one action: "Retry the failed ones" (a POST with CSRF and a ticked
confirmation). The progress partial itself, ``newsletters/_progress.html``, is included by the
newsletter's page (context ``newsletter`` and ``progress``)."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, flash, redirect, request, url_for

from notifications import newsletter_sending, newsletters
from notifications.newsletter_models import Newsletter
from talk import policy
from talk.errors import InvalidInput
from talk.extensions import db
from talk.services import projects
from talk.web.common import ResponseLike, add_error_handlers, viewer

bp = Blueprint("newsletter_sending", __name__, template_folder="templates")
add_error_handlers(bp)

#: The confirmation checkbox's value (a form without it changes nothing).
CONFIRMED = "yes"


def _back(newsletter: Newsletter) -> ResponseLike:
    """To the newsletter's page (the pages part's ``newsletters.show``), else the project."""
    slug = newsletter.project.slug
    if "newsletters.show" in current_app.view_functions:
        return redirect(url_for("newsletters.show", slug=slug, newsletter_id=newsletter.id))
    return redirect(url_for("projects.home", slug=slug))


@bp.route("/projects/<slug>/updates/<int:newsletter_id>/retry", methods=["POST"])
def retry(slug: str, newsletter_id: int) -> ResponseLike:
    """Queue the failed deliveries again (the same outbox rows and Message-IDs)."""
    user = viewer()
    project = projects.get_project(slug)
    newsletter = newsletters.get(user, project, newsletter_id)
    policy.require(user, "newsletter.compose", project)  # before saying what the form lacks
    if request.form.get("confirm") != CONFIRMED:
        raise InvalidInput(
            "Tick the box to confirm that the failed emails are to be sent again.",
            {"confirm": ["Tick to confirm."]},
        )
    count = newsletter_sending.retry_failed(user, newsletter)
    db.session.commit()
    if count:
        flash(f"{count} failed email{'s' if count != 1 else ''} will be sent again.", "success")
    else:
        flash("No failed emails to send again.", "info")
    return _back(newsletter)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.add_template_global(newsletter_sending.reasons, "newsletter_reasons")
    app.add_template_global(newsletter_sending.reason_text, "newsletter_reason_text")
