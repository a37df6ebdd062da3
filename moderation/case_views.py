"""Pages for reports and cases: the report form, "My reports", the project's queue, a case's
page and its actions. Plain forms (POST, CSRF-checked), so everything works without JavaScript;
destructive actions show a confirmation page before they are done."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from moderation import case_actions, cases, reports, sanctions
from moderation.case_models import MAX_DAYS, REASONS, REPORT_TARGETS, STATES
from talk import policy
from talk.errors import InvalidInput, NotAuthenticated, NotFound, TalkError
from talk.extensions import db
from talk.models import Comment, Discussion, Project, User
from talk.routing import id_url
from talk.services import projects
from talk.web import slots
from talk.web.common import ResponseLike, add_error_handlers, cursor_arg, int_arg, page_size, viewer

bp = Blueprint("cases", __name__, template_folder="templates")
add_error_handlers(bp)


def _person() -> User:
    user = viewer()
    if not policy.is_logged_in(user):
        raise NotAuthenticated("Log in to report something.")
    return user  # type: ignore[no-any-return]


def _their_projects(person: User) -> list[Project]:
    """The projects a reported person wrote in (where they can be reported)."""
    return list(
        db.session.scalars(
            select(Project)
            .where(Project.id.in_(select(Comment.project_id).where(Comment.author_id == person.id)))
            .order_by(Project.title)
        )
    )


@bp.route("/report/<target_type>/<int:target_id>", methods=["GET", "POST"])
def report(target_type: str, target_id: int) -> ResponseLike:
    """Report a comment, a discussion or a person, with a reason and an optional note."""
    reporter = _person()
    if target_type not in REPORT_TARGETS:
        raise NotFound(f"Nothing called {target_type!r} can be reported.")
    slug = request.values.get("project") or None
    if target_type == "user":
        person = db.session.get(User, target_id)
        if person is None:
            raise NotFound(f"No user {target_id}.")
        choices = _their_projects(person)
        target = None
    else:
        target = reports.resolve_target(reporter, target_type, target_id)
        person, choices = target.subject, []
    problems: list[str] = []
    status = 200
    if request.method == "POST":
        try:
            reports.file_report(
                reporter,
                target_type,
                target_id,
                request.form.get("reason", ""),
                request.form.get("note", ""),
                project_slug=slug,
            )
        except NotAuthenticated:
            raise
        except TalkError as error:
            db.session.rollback()
            problems, status = [error.message], error.status
        else:
            flash("Thank you: your report went to the project's moderators.", "success")
            return redirect(url_for("cases.my_reports"))
    return render_template(
        "moderation/report.html",
        target_type=target_type,
        target=target,
        person=person,
        choices=choices,
        chosen=slug,
        reasons=REASONS,
        form=request.form,
        problems=problems,
    ), status


@bp.route("/my/reports")
def my_reports() -> ResponseLike:
    """What I reported and what came of it."""
    page = reports.my_reports(_person(), cursor=cursor_arg(), limit=page_size())
    return render_template(
        "moderation/my_reports.html",
        page=page,
        outcome=reports.outcome,
        outcomes=case_actions.OUTCOMES,
    )


def _filters() -> cases.QueueFilters:
    return cases.QueueFilters(
        state=request.args.get("state") or "open",
        reason=request.args.get("reason") or None,
        board_id=int_arg("board"),
        author=request.args.get("author") or None,
    )


@bp.route("/projects/<slug>/moderation")
def queue(slug: str) -> ResponseLike:
    """The project's moderation queue."""
    project = projects.get_project(slug)
    filters = _filters()
    page = cases.queue(viewer(), project, filters, cursor=cursor_arg(), limit=page_size())
    args = {k: v for k, v in request.args.items() if k != "cursor" and v}
    return render_template(
        "moderation/queue.html",
        project=project,
        page=page,
        filters=filters,
        args=args,
        states=(*STATES, "all"),
        reasons=REASONS,
        waiting=cases.waiting(viewer(), project),
    )


def _case(slug: str, case_id: int) -> tuple[Project, Any]:
    project = projects.get_project(slug)
    return project, cases.get_case(viewer(), case_id, project=project)


@bp.route("/projects/<slug>/moderation/cases/<int:case_id>")
def case_page(slug: str, case_id: int) -> ResponseLike:
    """A case with its context and the actions that apply now."""
    project, case = _case(slug, case_id)
    return _render_case(project, case)


def _render_case(
    project: Project, case: Any, problems: list[str] | None = None, status: int = 200
) -> ResponseLike:
    found = cases.context(case)
    return render_template(
        "moderation/case.html",
        project=project,
        case=case,
        context=found,
        actions=case_actions.available(case, found.target),
        decisions=case_actions.decisions(case),
        suggestion=sanctions.suggest(project, case.subject_user),
        reasons=REASONS,
        problems=problems or [],
    ), status


@bp.route("/projects/<slug>/moderation/cases/<int:case_id>/claim", methods=["POST"])
def claim(slug: str, case_id: int) -> ResponseLike:
    _project, case = _case(slug, case_id)
    if request.form.get("release") == "1":
        cases.unclaim(viewer(), case)
        flash("You released the case.", "success")
    else:
        cases.claim(viewer(), case)
        flash("You claimed the case.", "success")
    return redirect(url_for("cases.case_page", slug=slug, case_id=case_id))


def _days(raw: str) -> int | None:
    """The form's optional number of days: digits only, 1 to MAX_DAYS."""
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_DAYS:
        raise InvalidInput(
            f"days must be a whole number from 1 to {MAX_DAYS}.", {"days": ["1 to 3650."]}
        )
    return int(raw)


@bp.route("/projects/<slug>/moderation/cases/<int:case_id>/act", methods=["POST"])
def act(slug: str, case_id: int) -> ResponseLike:
    """Do an action; a destructive one first shows what will happen and asks to confirm."""
    project, case = _case(slug, case_id)
    name = request.form.get("action", "")
    action = case_actions.ACTIONS.get(name)
    if action is None:
        raise InvalidInput(f"No action {name!r}.", {"action": ["Unknown."]})
    fields = {k: request.form.get(k, "") for k in ("action", "reason", "note", "days")}
    days = _days(fields["days"])
    if action.destructive and request.form.get("confirm") != "1":
        policy.require(viewer(), "case.act", case)
        return render_template(
            "moderation/confirm.html",
            project=project,
            case=case,
            action=action,
            fields=fields,
            reason_label=REASONS.get(fields["reason"], ""),
        )
    try:
        case_actions.perform(
            viewer(),
            case,
            name,
            reason=fields["reason"],
            note=fields["note"],
            params={"days": days},
        )
    except NotAuthenticated:
        raise
    except TalkError as error:
        db.session.rollback()
        return _render_case(
            project, cases.get_case(viewer(), case_id), [error.message], error.status
        )
    length = ""
    if action.takes_days:  # say how long, as the person will be told
        length = " indefinitely" if days is None else f" for {days} day{'s' * (days != 1)}"
    flash(f"Done: {action.label}{length}.", "success")
    return redirect(url_for("cases.case_page", slug=slug, case_id=case_id))


#: The "Report" link, as ``<li>`` in a comment's actions (``item``) or a paragraph elsewhere.
#: Formatted, not a template: it is rendered once per comment on every thread page a
#: logged-in person reads, where a template's rendering cost more than the rest of the comment.
_REPORT_LINK = (
    '<a href="{href}" rel="nofollow">Report<span class="visually-hidden"> {label}</span></a>'
)


def _report_link(target_type: str, target_id: int, label: str, *, item: bool) -> Markup | str:
    if not (getattr(current_user, "is_authenticated", False)) or policy.is_operator(current_user):
        return ""
    link = Markup(_REPORT_LINK).format(  # noqa: S704 (a constant; format escapes the values)
        href=id_url("cases.report", "target_id", target_id, target_type=target_type),
        label=label,
    )
    around = "<li>{}</li>" if item else '<p class="report-link">{}</p>'
    return Markup(around).format(link)  # noqa: S704 (constants; format escapes the values)


def comment_report_link(comment: Comment) -> Markup | str:
    """ "Report" beside each comment but one's own (no query: the author id is on the row)."""
    if getattr(current_user, "id", None) == comment.author_id:
        return ""
    when = f"{comment.created_at:%-d %b %Y, %H:%M} UTC"  # several by one person: tell them apart
    return _report_link(
        "comment", comment.id, f"the comment by {comment.author.display_name}, {when}", item=True
    )


def discussion_report_link(discussion: Discussion) -> Markup | str:
    if getattr(current_user, "id", None) == discussion.author_id:
        return ""
    return _report_link(
        "discussion", discussion.id, f"the discussion {discussion.title}", item=False
    )


def user_report_link(person: User) -> Markup | str:
    if getattr(current_user, "id", None) == person.id:
        return ""
    return _report_link("user", person.id, person.display_name, item=False)


def queue_link(project: Project) -> Markup | str:
    """A link to the queue with its open count on the project's page, for its moderators,
    and beside it the held posts and open appeals (``cases.waiting``), so an appeal or a held
    comment is not missed by a moderator who starts from the project (three count queries,
    and only for them)."""
    if not policy.may(viewer(), "moderation.queue", project):
        return ""
    return slots.render(
        "moderation/_queue_link.html",
        project=project,
        waiting=cases.open_count(project),
        also=cases.waiting(viewer(), project),
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    slots.register(app, "comment.actions", comment_report_link)
    slots.register(app, "discussion.actions", discussion_report_link)
    slots.register(app, "user.actions", user_report_link)
    slots.register(app, "project.actions", queue_link)
