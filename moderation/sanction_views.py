"""Sanction pages: a person's moderation page in a project (history, audit entries, notes, the
forms with the suggested next step), "your standing" with the appeal form, the project's
appeals, and site bans. Plain POST forms: no JavaScript needed. A refusal or bad input shows
the site's error page with its 4xx status (:func:`talk.web.common.add_error_handlers`)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.wrappers import Response

from moderation import appeals, sanctions
from moderation.models import AuditEntry
from moderation.sanction_models import REASON_LABELS, Sanction
from moderation.sanction_rules import PersonInProject, describe, sanctioned, until
from talk import policy
from talk.clock import utcnow
from talk.errors import InvalidInput
from talk.extensions import db
from talk.models import Comment, Discussion, Project
from talk.services import accounts, projects
from talk.web import slots
from talk.web.common import ResponseLike, add_error_handlers, cursor_arg, page_size, safe_next
from talk.web.common import viewer as current_viewer

bp = Blueprint("sanctions", __name__, template_folder="templates")
add_error_handlers(bp)

#: Audit entries shown on a person's page (the project's audit log has them all).
HISTORY_ROWS = 50


def _days_field() -> int | None:
    raw = request.form.get("days", "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 5:
        raise InvalidInput("Days must be a whole number.", {"days": ["A whole number."]})
    return int(raw)


def _back(default: str) -> Response:
    return redirect(safe_next(request.form.get("next")) or default)


def _helpers() -> dict[str, Any]:
    return {"until": until, "describe": describe, "reasons": REASON_LABELS, "now": utcnow()}


@bp.route("/projects/<slug>/moderation/people/<username>")
def person(slug: str, username: str) -> ResponseLike:
    """History of decisions and audit entries, private notes, and the forms."""
    project = projects.get_project(slug)
    sanctions.moderation_area(current_viewer(), project)
    who = accounts.get_user(username)
    entries = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.project_id == project.id, AuditEntry.subject_user_id == who.id)
        .order_by(AuditEntry.id.desc())
        .limit(HISTORY_ROWS)
    ).all()
    return render_template(
        "moderation/person.html",
        project=project,
        person=who,
        history=sanctions.history(project, who),
        entries=entries,
        notes=sanctions.notes(current_viewer(), project, who),
        suggestion=sanctions.suggest(project, who),
        may_sanction=policy.may(current_viewer(), "sanction.create", PersonInProject(project, who)),
        **_helpers(),
    )


@bp.route("/projects/<slug>/moderation/people/<username>/actions", methods=["POST"])
def act(slug: str, username: str) -> ResponseLike:
    project = projects.get_project(slug)
    sanctions.moderation_area(current_viewer(), project)
    who = accounts.get_user(username)
    action = request.form.get("action", "")
    reason, note = request.form.get("reason", ""), request.form.get("note", "")
    actor = current_viewer()
    if action == "warn":
        sanctions.warn(actor, project, who, reason=reason, note=note)
    elif action == "mute":
        days = _days_field()
        if days is None:
            raise InvalidInput("A mute needs a number of days.", {"days": ["Required."]})
        sanctions.mute(actor, project, who, days=days, reason=reason, note=note)
    elif action == "suspend":
        sanctions.suspend(actor, project, who, days=_days_field(), reason=reason, note=note)
    else:
        raise InvalidInput(f"Unknown action {action!r}.", {"action": ["warn, mute or suspend."]})
    flash(f"Recorded: {action} for {who.display_name}. They have been told.", "success")
    return redirect(url_for("sanctions.person", slug=slug, username=who.username))


@bp.route("/projects/<slug>/moderation/people/<username>/notes", methods=["POST"])
def add_note(slug: str, username: str) -> ResponseLike:
    project = projects.get_project(slug)
    sanctions.moderation_area(current_viewer(), project)
    who = accounts.get_user(username)
    sanctions.add_note(current_viewer(), project, who, request.form.get("body", ""))
    flash("Note added.", "success")
    return redirect(url_for("sanctions.person", slug=slug, username=who.username))


@bp.route("/moderation/sanctions/<int:sanction_id>/lift", methods=["POST"])
def lift(sanction_id: int) -> ResponseLike:
    sanction = appeals.get_sanction(current_viewer(), sanction_id)
    sanctions.lift(current_viewer(), sanction, note=request.form.get("note", ""))
    flash(f"Lifted: the {sanction.kind} of {sanction.person.display_name}.", "success")
    return _back(_person_url(sanction))


@bp.route("/projects/<slug>/standing")
def standing(slug: str) -> ResponseLike:
    """Your standing in the project: decisions about you, until when, why, and appeals."""
    project = projects.get_project(slug)
    rows = sanctions.own_standing(current_viewer(), project)
    return render_template("moderation/standing.html", project=project, rows=rows, **_helpers())


@bp.route("/me/standing")
def my_standing() -> ResponseLike:
    """Your standing everywhere (a site ban has no project page to be read on)."""
    rows = sanctions.own_standing(current_viewer(), None)
    return render_template("moderation/standing.html", project=None, rows=rows, **_helpers())


@bp.route("/moderation/sanctions/<int:sanction_id>/appeal", methods=["POST"])
def appeal(sanction_id: int) -> ResponseLike:
    sanction = appeals.get_sanction(current_viewer(), sanction_id)
    appeals.appeal(current_viewer(), sanction, request.form.get("note", ""))
    flash("Your appeal is sent; a moderator will decide it and you will be told.", "success")
    return redirect(sanctions.standing_path(sanction.project))


@bp.route("/projects/<slug>/moderation/appeals")
def appeal_list(slug: str) -> ResponseLike:
    project = projects.get_project(slug)
    state = request.args.get("state") or "open"
    page = appeals.appeals_page(
        current_viewer(), project, state=state, cursor=cursor_arg(), limit=page_size()
    )
    return render_template(
        "moderation/appeals.html",
        project=project,
        page=page,
        state=state,
        decided_alone=appeals.decided_alone,
        **_helpers(),
    )


@bp.route("/moderation/appeals/<int:appeal_id>/decision", methods=["POST"])
def decide(appeal_id: int) -> ResponseLike:
    row = appeals.get_appeal(current_viewer(), appeal_id)
    appeals.decide(
        current_viewer(), row, request.form.get("outcome", ""), request.form.get("note", "")
    )
    flash(f"Appeal {row.state}; {row.sanction.person.display_name} has been told.", "success")
    project = row.sanction.project
    default = (
        url_for("sanctions.bans")
        if project is None
        else url_for("sanctions.appeal_list", slug=project.slug)
    )
    return _back(default)


@bp.route("/moderation/bans", methods=["GET", "POST"])
def bans() -> ResponseLike:
    """Site bans in force, their appeals, and the form to ban someone (site admins)."""
    if request.method == "POST":
        who = accounts.get_user(request.form.get("username", "").strip())
        sanctions.ban(
            current_viewer(),
            who,
            reason=request.form.get("reason", ""),
            note=request.form.get("note", ""),
            days=_days_field(),
        )
        flash(f"{who.display_name} is banned; they have been told.", "success")
        return redirect(url_for("sanctions.bans"))
    rows = sanctions.bans_in_force(current_viewer())
    return render_template(
        "moderation/bans.html", rows=rows, decided_alone=appeals.decided_alone, **_helpers()
    )


def _person_url(sanction: Sanction) -> str:
    if sanction.project is None:
        return url_for("sanctions.bans")
    return url_for(
        "sanctions.person", slug=sanction.project.slug, username=sanction.person.username
    )


# --------------------------------------------------------------------------- slots


def _project_links(project: Project) -> Markup | str:
    """ "Your standing" for anyone logged in, led by why they cannot write here while a mute,
    suspension or ban lasts (the page hides the forms it refuses, so it must say why).
    Moderators find the appeals beside the queue's link (``case_views.queue_link``)."""
    viewer = current_viewer()
    if not policy.is_logged_in(viewer) or policy.is_operator(viewer):
        return ""
    return slots.render(
        "moderation/_project_links.html",
        project=project,
        refusal=sanctioned(viewer, "discussion.create", project),
    )


def _reply_refused(discussion: Discussion) -> Markup | str:
    """Where the reply form would be, a link to "Your standing" (until when, why, the appeal)
    when a mute, suspension or ban is why the viewer may not reply."""
    viewer = current_viewer()
    if not policy.is_person(viewer) or not sanctioned(viewer, "discussion.reply", discussion):
        return ""
    return slots.render("moderation/_standing_link.html", project=discussion.project)


def _header_links() -> Markup:
    """ "Standing" in the account menu (where a banned person reads why); "Site bans" for site
    admins. No query: the viewer is loaded already."""
    return slots.render(
        "moderation/_header_links.html",
        site_admin=bool(getattr(current_viewer(), "is_site_admin", False)),
    )


def _comment_link(comment: Comment) -> Markup | str:
    """ "Author's standing" beside a comment, for its project's moderators (the role is cached
    for the request, so this queries nothing per comment)."""
    project = comment.discussion.project
    if comment.author is None or not policy.may(
        current_viewer(), "moderation.appeals.view", project
    ):
        return ""
    return slots.render("moderation/_comment_link.html", project=project, author=comment.author)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    slots.register(app, "project.actions", _project_links)
    slots.register(app, "comment.actions", _comment_link)
    slots.register(app, "discussion.reply_refused", _reply_refused)
    slots.register(app, "header.account", _header_links)
