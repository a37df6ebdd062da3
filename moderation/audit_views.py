"""The audit log's pages: browse a project's entries with filters, and export them as CSV or
JSON (the same filters), for its moderators and admins."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, jsonify, render_template, request

from moderation import audit_log
from talk.services import projects
from talk.web.common import ResponseLike, add_error_handlers, cursor_arg, page_size, viewer

bp = Blueprint("audit_pages", __name__, template_folder="templates")
add_error_handlers(bp)

FILTERS = ("action", "actor", "subject", "since", "until")

#: Entries Talk writes by itself (a watched word or a new-volunteer limit matched), not a
#: person's or the operator's decision: the log names "Talk (automatic)" as their actor.
AUTOMATIC = frozenset({"comment.hold", "comment.flag"})


def actor_name(entry: Any) -> str:
    """Who an audit entry says acted: a person, Talk itself, or the operator (a command)."""
    if entry.actor is not None:
        return str(entry.actor.display_name)
    return "Talk (automatic)" if entry.action in AUTOMATIC else "the operator"


def _filters() -> audit_log.AuditFilters:
    return audit_log.AuditFilters(**{k: request.args.get(k) or None for k in FILTERS})


@bp.route("/projects/<slug>/moderation/audit")
def audit(slug: str) -> ResponseLike:
    project = projects.get_project(slug)
    filters = _filters()
    page = audit_log.entries(viewer(), project, filters, cursor=cursor_arg(), limit=page_size())
    args = {k: v for k in FILTERS if (v := request.args.get(k))}
    return render_template(
        "moderation/audit.html", project=project, page=page, filters=filters, args=args
    )


@bp.route("/projects/<slug>/moderation/audit.csv")
def audit_csv(slug: str) -> ResponseLike:
    project = projects.get_project(slug)
    rows = audit_log.export_rows(viewer(), project, _filters())
    return Response(
        audit_log.to_csv(rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{project.slug}-audit.csv"'},
    )


@bp.route("/projects/<slug>/moderation/audit.json")
def audit_json(slug: str) -> ResponseLike:
    project = projects.get_project(slug)
    response = jsonify(audit_log.export_rows(viewer(), project, _filters()))
    response.headers["Content-Disposition"] = f'attachment; filename="{project.slug}-audit.json"'
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.add_template_global(actor_name, "audit_actor")
