"""Staff pages: a project's prevention settings and its held posts queue. Plain POST forms (no
JavaScript); a refused change answers the site's error page naming the problem (4xx), and
changes nothing."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from markupsafe import Markup

from moderation import prevention
from talk import policy
from talk.models import Comment, Project
from talk.services import accounts, discussions, held, projects
from talk.web import slots
from talk.web.common import ResponseLike, add_error_handlers, viewer

bp = Blueprint("prevention", __name__, template_folder="templates")
add_error_handlers(bp)


def _staff_project(slug: str) -> tuple[Any, Project]:
    user = viewer()
    project = projects.get_project(slug)
    policy.require(user, "moderation.prevention", project)
    return user, project


def _form(name: str) -> str:
    return request.form.get(name, "")


@bp.route("/projects/<slug>/moderation/prevention", methods=["GET"])
def settings(slug: str) -> ResponseLike:
    _user, project = _staff_project(slug)
    return render_template(
        "moderation/prevention.html",
        project=project,
        words=prevention.watched_words(project),
        terms=prevention.historical_terms(project),
        limits=prevention.limits_of(project),
    )


def _back(project: Project, message: str) -> ResponseLike:
    flash(message, "success")
    return redirect(url_for("prevention.settings", slug=project.slug))


@bp.route("/projects/<slug>/moderation/watched-words", methods=["POST"])
def add_word(slug: str) -> ResponseLike:
    user, project = _staff_project(slug)
    word = prevention.add_watched_word(
        user,
        project,
        pattern=_form("pattern"),
        kind=_form("kind") or "word",
        action=_form("action") or "hold",
        category=_form("category"),
        url=_form("url"),
    )
    return _back(project, f"Watching {word.pattern!r} ({word.action}).")


@bp.route("/projects/<slug>/moderation/watched-words/<int:word_id>/remove", methods=["POST"])
def remove_word(slug: str, word_id: int) -> ResponseLike:
    user, project = _staff_project(slug)
    prevention.remove_watched_word(user, project, prevention.get_watched_word(project, word_id))
    return _back(project, "The watched word is removed.")


@bp.route("/projects/<slug>/moderation/historical-terms", methods=["POST"])
def add_term(slug: str) -> ResponseLike:
    user, project = _staff_project(slug)
    row = prevention.add_historical_term(user, project, _form("term"))
    return _back(project, f"{row.term!r} is a historical term.")


@bp.route("/projects/<slug>/moderation/historical-terms/<int:term_id>/remove", methods=["POST"])
def remove_term(slug: str, term_id: int) -> ResponseLike:
    user, project = _staff_project(slug)
    prevention.remove_historical_term(
        user, project, prevention.get_historical_term(project, term_id)
    )
    return _back(project, "The historical term is removed.")


@bp.route("/projects/<slug>/moderation/limits", methods=["POST"])
def set_limits(slug: str) -> ResponseLike:
    user, project = _staff_project(slug)
    prevention.set_limits(
        user,
        project,
        held_comments=_form("held_comments"),
        max_links=_form("max_links"),
        restrict_untrusted=bool(_form("restrict_untrusted")),
        trust_after=_form("trust_after"),
    )
    return _back(project, "The limits for new volunteers are saved.")


@bp.route("/projects/<slug>/moderation/trust", methods=["POST"])
def grant_trust(slug: str) -> ResponseLike:
    user, project = _staff_project(slug)
    person = accounts.get_user(_form("username").strip().lstrip("@"))
    prevention.grant_trust(user, project, person)
    return _back(project, f"{person.display_name} is trusted in this project.")


@bp.route("/projects/<slug>/moderation/held", methods=["GET"])
def held_posts(slug: str) -> ResponseLike:
    _user, project = _staff_project(slug)
    return render_template(
        "moderation/held.html", project=project, comments=held.held_comments(project)
    )


def _held_comment(comment_id: int) -> tuple[Any, Comment]:
    return viewer(), discussions.get_comment(comment_id)


def _after_decision(comment: Comment, message: str) -> ResponseLike:
    flash(message, "success")
    project = comment.discussion.project
    if request.form.get("from") == "discussion":
        return redirect(url_for("discussions.comment", comment_id=comment.id))
    return redirect(url_for("prevention.held_posts", slug=project.slug))


@bp.route("/comments/<int:comment_id>/approve", methods=["POST"])
def approve(comment_id: int) -> ResponseLike:
    user, comment = _held_comment(comment_id)
    held.approve_comment(user, comment)
    return _after_decision(comment, "The comment is approved: everyone sees it now.")


@bp.route("/comments/<int:comment_id>/reject", methods=["POST"])
def reject(comment_id: int) -> ResponseLike:
    user, comment = _held_comment(comment_id)
    held.reject_comment(user, comment, _form("reason"))
    return _after_decision(comment, "The comment is rejected: its author is told why.")


def held_actions(comment: Comment) -> Markup | str:
    """Approve and reject on a held comment, for its moderators (no query: the rule reads
    what the page loaded)."""
    if not comment.is_held or not policy.may(viewer(), "comment.approve", comment):
        return ""
    return slots.render("moderation/_held_actions.html", comment=comment, origin="discussion")


def staff_links(project: Project) -> Markup | str:
    if not policy.may(viewer(), "moderation.prevention", project):
        return ""
    return slots.render("moderation/_prevention_links.html", project=project)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    slots.register(app, "comment.actions", held_actions)
    slots.register(app, "project.actions", staff_links)
