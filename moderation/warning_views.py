"""Content warnings on the pages: the staff's page to write and attach them, the notice shown
before an item, discussion or board (through the core's slots), and "Show the record", a plain
POST form that works without JavaScript (``talk/static/content-warning.js`` sends it in the
background and unblurs the image when scripts run)."""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import (
    Blueprint,
    Flask,
    redirect,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup
from werkzeug.wrappers import Response

from moderation import content_warnings
from moderation.content_warnings import Target
from moderation.heritage_models import ATTACHMENT_KINDS, ContentWarning
from moderation.page_forms import staff_change
from moderation.rules import is_staff
from talk import caveats, policy
from talk.errors import InvalidInput
from talk.models import Board, Discussion, Item, Project
from talk.services import projects
from talk.web import slots
from talk.web.common import ResponseLike, add_error_handlers, safe_next, viewer

bp = Blueprint("content_warnings", __name__, template_folder="templates")
add_error_handlers(bp)


def manage_page(
    project: Project, *, problems: list[str] | None = None, status: int = 200
) -> tuple[str, int]:
    """The staff's page: every warning with where it is shown, and the forms."""
    me = viewer()
    policy.require(me, "content_warning.manage", project)
    warnings = content_warnings.all_warnings(project)
    return render_template(
        "moderation/content_warnings.html",
        project=project,
        warnings=[
            (
                w,
                [
                    a
                    for a in content_warnings.attachments(w)
                    if content_warnings.readable(me, a.target)
                ],
            )
            for w in warnings
        ],
        kinds=ATTACHMENT_KINDS,
        target_url=target_url,
        chosen_type=request.args.get("type", ""),
        chosen_ref=request.args.get("id", ""),
        form=request.form if request.method == "POST" else {},
        problems=problems or [],
    ), status


def _changed(project: Project, operation: Any, done: str) -> ResponseLike:
    back = url_for("content_warnings.manage", slug=project.slug)
    return staff_change(operation, done, back, partial(manage_page, project))


@bp.route("/projects/<slug>/content-warnings", methods=["GET", "POST"])
def manage(slug: str) -> ResponseLike:
    project = projects.get_project(slug)
    if request.method == "GET":
        return manage_page(project)
    return _changed(
        project,
        lambda: content_warnings.create_warning(
            viewer(), project, request.form.get("title", ""), request.form.get("text", "")
        ),
        "The content warning was added.",
    )


def _warning(slug: str, warning_id: int) -> tuple[Project, ContentWarning]:
    project = projects.get_project(slug)
    return project, content_warnings.get_warning(project, warning_id)


@bp.route("/projects/<slug>/content-warnings/<int:warning_id>/edit", methods=["POST"])
def edit(slug: str, warning_id: int) -> ResponseLike:
    project, warning = _warning(slug, warning_id)
    return _changed(
        project,
        lambda: content_warnings.edit_warning(
            viewer(),
            warning,
            title=request.form.get("title", ""),
            text=request.form.get("text", ""),
        ),
        "The content warning was changed; people will see it again.",
    )


@bp.route("/projects/<slug>/content-warnings/<int:warning_id>/delete", methods=["POST"])
def delete(slug: str, warning_id: int) -> ResponseLike:
    project, warning = _warning(slug, warning_id)
    return _changed(
        project,
        lambda: content_warnings.delete_warning(viewer(), warning),
        "The content warning was deleted.",
    )


def _form_target(project: Project) -> Target:
    return content_warnings.find_target(
        viewer(), project, request.form.get("type", ""), request.form.get("ref", "")
    )


@bp.route("/projects/<slug>/content-warnings/<int:warning_id>/attach", methods=["POST"])
def attach(slug: str, warning_id: int) -> ResponseLike:
    project, warning = _warning(slug, warning_id)
    return _changed(
        project,
        lambda: content_warnings.attach(viewer(), warning, _form_target(project)),
        f"“{warning.title}” is shown there now.",
    )


@bp.route("/projects/<slug>/content-warnings/<int:warning_id>/detach", methods=["POST"])
def detach(slug: str, warning_id: int) -> ResponseLike:
    project, warning = _warning(slug, warning_id)
    return _changed(
        project,
        lambda: content_warnings.detach(viewer(), warning, _form_target(project)),
        f"“{warning.title}” is no longer shown there.",
    )


@bp.route("/projects/<slug>/content-warnings/acknowledge", methods=["POST"])
def acknowledge(slug: str) -> Response:
    """Remember the warnings named in ``warning`` as read, then back to the page (or 204 for
    the script, which asks for JSON)."""
    project = projects.get_project(slug)
    ids = request.form.getlist("warning")
    if not ids or not all(i.isascii() and i.isdigit() and len(i) < 10 for i in ids):
        raise InvalidInput("Name the warnings read.", {"warning": ["Warning ids."]})
    for warning_id in ids:
        content_warnings.acknowledge(
            viewer(), content_warnings.get_warning(project, int(warning_id))
        )
    if request.accept_mimetypes.best == "application/json":
        return Response(status=204)
    back = safe_next(request.form.get("next"))
    return redirect(back or url_for("projects.home", slug=project.slug))


# ------------------------------------------------------------------------------ slots


def target_url(target: Target, **options: Any) -> str:
    """The page of an item, discussion or board (``_external=True``: absolute, for the API)."""
    if isinstance(target, Item):
        slug, external_id = target.project.slug, target.external_id
        return url_for("projects.item", slug=slug, external_id=external_id, **options)
    if isinstance(target, Board):
        slug = target.project.slug
        return url_for("projects.board", slug=slug, board_id=target.id, **options)
    return url_for("discussions.show", discussion_id=target.id, **options)


def _ref(target: Target) -> str | int:
    return target.external_id if isinstance(target, Item) else target.id


def warning_notices(target: Target) -> Markup | str:
    """The warnings before ``target``'s content; a link to attach one, for staff."""
    shown = content_warnings.shown_for(viewer(), target)
    staff = is_staff(viewer(), target.project)
    if not shown and not staff:
        return ""
    return slots.render(
        "moderation/_content_warnings.html",
        shown=shown,
        pending=[s.warning for s in shown if not s.acknowledged],
        project=target.project,
        staff=staff,
        kind=content_warnings.kind_of(target),
        ref=_ref(target),
        discussed_item=target.item if isinstance(target, Discussion) else None,
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    caveats.register(app, content_warnings.caveat_lines)
    for name in ("item", "discussion", "board"):
        slots.register(app, f"{name}.actions", warning_notices)
