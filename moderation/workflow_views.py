"""The staff's review list of workflow flags (``#help`` and the like) and its configuration,
as pages; and the links to it and to the content warnings on a project's page, for staff."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

from flask import Blueprint, Flask, render_template, request, url_for
from markupsafe import Markup

from moderation import workflow
from moderation.page_forms import staff_change
from moderation.rules import is_staff
from talk import policy
from talk.clock import utcnow
from talk.models import Project
from talk.services import projects
from talk.web import slots
from talk.web.common import ResponseLike, add_error_handlers, cursor_arg, page_size, viewer

bp = Blueprint("workflow", __name__, template_folder="templates")
add_error_handlers(bp)


def waiting(since: Any) -> str:
    """How long a request has waited, in the largest whole unit (``3 days``)."""
    delta: timedelta = utcnow() - since
    minutes = max(int(delta.total_seconds() // 60), 0)
    for size, unit in ((1440, "day"), (60, "hour"), (1, "minute")):
        if minutes >= size:
            count = minutes // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return "under a minute"


def review_page(
    project: Project, *, problems: list[str] | None = None, status: int = 200
) -> tuple[str, int]:
    page = workflow.review_page(viewer(), project, cursor=cursor_arg(), limit=page_size())
    return render_template(
        "moderation/review_list.html",
        project=project,
        page=page,
        flags=workflow.flags(project),
        waiting=waiting,
        problems=problems or [],
    ), status


@bp.route("/projects/<slug>/review-list")
def review_list(slug: str) -> ResponseLike:
    return review_page(projects.get_project(slug))


def _changed(project: Project, operation: Any, done: str) -> ResponseLike:
    back = url_for("workflow.review_list", slug=project.slug)
    return staff_change(operation, done, back, partial(review_page, project))


@bp.route("/projects/<slug>/workflow-flags", methods=["POST"])
def add_flag(slug: str) -> ResponseLike:
    project = projects.get_project(slug)
    name = request.form.get("tag", "")
    return _changed(
        project,
        lambda: workflow.add_flag(viewer(), project, name, request.form.get("description", "")),
        f"Comments with #{name.strip().removeprefix('#')} now put the item on the review list.",
    )


@bp.route("/projects/<slug>/workflow-flags/<name>/remove", methods=["POST"])
def remove_flag(slug: str, name: str) -> ResponseLike:
    project = projects.get_project(slug)
    flag = workflow.get_flag(project, name)
    return _changed(
        project,
        lambda: workflow.remove_flag(viewer(), flag),
        f"#{flag.tag_name} is no longer a workflow flag.",
    )


@bp.route("/projects/<slug>/review-list/<int:request_id>/answered", methods=["POST"])
def mark_answered(slug: str, request_id: int) -> ResponseLike:
    project = projects.get_project(slug)
    found = workflow.get_request(project, request_id)
    return _changed(
        project,
        lambda: workflow.mark_answered(viewer(), found),
        "Marked answered: it has left the review list.",
    )


def staff_links(project: Project) -> Markup | str:
    """Links to the review list and the content warnings, for the project's staff."""
    if not is_staff(viewer(), project):
        return ""
    return slots.render(
        "moderation/_staff_links.html",
        project=project,
        manages_warnings=policy.may(viewer(), "content_warning.manage", project),
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    slots.register(app, "project.actions", staff_links)
