"""A project's updates (newsletters) on the pages: the team's list and the public archive, the
composer, an update's page, the Atom feed and the sender settings.

Plain forms that work without JavaScript. The composer is one form whose buttons post to one
route each (``formaction``): every route saves what the form holds, then does its one thing
(preview, test, schedule, send now), so no view branches on which button was pressed, and a
refusal rolls the save back with it (the page shows the problem; nothing changed). The
operations are :mod:`notifications.newsletters`' (the API's too); who may see what is its
``newsletter.read`` / ``newsletter.compose`` rules.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    Flask,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup
from werkzeug.wrappers import Response

from notifications import newsletter_mail, newsletter_segments, newsletter_sending, newsletters
from notifications.newsletter_forms import (
    NewsletterForm,
    SenderForm,
    fields_of,
    fill,
    local_time,
    parse_send_at,
    segment_choices,
    segment_of,
    zone_name,
)
from notifications.newsletter_models import Newsletter
from talk import policy
from talk.clock import utcnow
from talk.errors import TalkError
from talk.models import Project
from talk.services import projects
from talk.web import slots
from talk.web.common import ResponseLike, add_error_handlers, submit_form, viewer

bp = Blueprint("newsletters", __name__, template_folder="templates")
add_error_handlers(bp)

#: The newest sent updates a feed carries (the archive page lists them all).
FEED_ENTRIES = 50

#: What a state is called on the pages.
STATE_LABELS = {
    "draft": "Draft",
    "scheduled": "Scheduled",
    "sending": "Sending",
    "sent": "Sent",
    "cancelled": "Cancelled",
}


# --------------------------------------------------------------------------- helpers


def _project(slug: str) -> Project:
    return projects.get_project(slug)


def _composing(slug: str) -> Project:
    project = _project(slug)
    policy.require(viewer(), "newsletter.compose", project)
    return project


def _newsletter(slug: str, newsletter_id: int) -> tuple[Project, Newsletter]:
    """The project and its newsletter, for those who compose (404 for a draft they may not
    read, as for one that does not exist)."""
    project = _project(slug)
    newsletter = newsletters.get(viewer(), project, newsletter_id)
    policy.require(viewer(), "newsletter.compose", project)
    return project, newsletter


def sent_at(newsletter: Newsletter) -> datetime:
    """When an update went out (the archive's and the feed's date)."""
    return newsletter.started_at or newsletter.scheduled_at or newsletter.updated_at


def archived(project: Project) -> list[Newsletter]:
    """The project's sent updates, newest first: the public archive and the feed."""
    return sorted(newsletters.listing(policy.ANONYMOUS, project), key=sent_at, reverse=True)


def body_html(newsletter: Newsletter) -> Markup:
    """The update's body as the email shows it, without personal block: sanitised HTML."""
    return Markup(newsletter_mail.body_html(newsletter))  # noqa: S704 - sanitised there


def _save(project: Project, newsletter: Newsletter | None, form: NewsletterForm) -> Newsletter:
    """Create or update from the composer's values."""
    values: dict[str, Any] = {
        "subject": form.subject.data or "",
        "body": form.body.data or "",
        "segment": segment_of(form),
        "personal": bool(form.personal.data),
    }
    try:
        if newsletter is None:
            return newsletters.create(viewer(), project, **values)
        return newsletters.update(viewer(), newsletter, **values)
    except TalkError as error:  # "segment.days" is the composer's "days" field
        error.fields = {k.removeprefix("segment."): v for k, v in error.fields.items()}
        raise


def recipient_count(project: Project, newsletter: Newsletter | None) -> int:
    """How many people the (stored) segment reaches now; a new draft's is everyone's."""
    segment = newsletter.segment if newsletter is not None else {"kind": "everyone"}
    try:
        checked = newsletter_segments.validate(project, segment)
    except TalkError:  # e.g. a board deleted since the draft was saved
        return 0
    return newsletter_segments.count(project, checked, utcnow())


def _composer(
    project: Project,
    newsletter: Newsletter | None,
    form: NewsletterForm,
    *,
    status: int = 200,
    problems: list[str] | None = None,
    preview: Any = None,
) -> Response:
    form.segment.choices = segment_choices()
    page = render_template(
        "newsletters/compose.html",
        project=project,
        newsletter=newsletter,
        form=form,
        problems=problems or [],
        preview=preview,
        count=recipient_count(project, newsletter),
        segments=segment_choices(),
        fields_of=fields_of,
        zone=zone_name(),
        local_time=local_time,
    )
    return make_response(page, status)


def _act(
    slug: str,
    newsletter_id: int,
    then: Callable[[Project, Newsletter, NewsletterForm], ResponseLike],
    action: Callable[[Newsletter, NewsletterForm], Any] | None = None,
) -> ResponseLike:
    """Save the composer's values, run ``action`` on the saved newsletter, and answer with
    ``then``; a refusal of either shows the composer with the problem, having changed
    nothing."""
    project, newsletter = _newsletter(slug, newsletter_id)
    form = NewsletterForm()

    def operation() -> Newsletter:
        saved = _save(project, newsletter, form)
        if action is not None:
            action(saved, form)
        return saved

    outcome = submit_form(form, operation)
    if outcome.refused:
        return _composer(
            project, newsletter, form, status=outcome.status, problems=outcome.problems
        )
    return then(project, outcome.value, form)


# --------------------------------------------------------------------------- pages


@bp.route("/projects/<slug>/updates")
def archive(slug: str) -> ResponseLike:
    """Everyone: the sent updates, newest first. Those who compose: every update, with its
    state."""
    project = _project(slug)
    composing = policy.may(viewer(), "newsletter.compose", project)
    rows = newsletters.listing(viewer(), project) if composing else archived(project)
    return render_template(
        "newsletters/archive.html",
        project=project,
        newsletters=rows,
        composing=composing,
        states=STATE_LABELS,
        sent_at=sent_at,
        local_time=local_time,
    )


@bp.route("/projects/<slug>/updates/feed.atom")
def feed(slug: str) -> ResponseLike:
    """The sent updates as an Atom feed (without personal blocks, like the archive)."""
    project = _project(slug)
    rows = archived(project)[:FEED_ENTRIES]
    xml = render_template(
        "newsletters/feed.xml",
        project=project,
        newsletters=rows,
        updated=sent_at(rows[0]) if rows else project.created_at,
        sent_at=sent_at,
        body_html=body_html,
    )
    response = make_response(xml)
    response.mimetype = "application/atom+xml"
    return response


@bp.route("/projects/<slug>/updates/<int:newsletter_id>")
def show(slug: str, newsletter_id: int) -> ResponseLike:
    """A sent update for everyone; any state for those who compose, with its progress."""
    project = _project(slug)
    newsletter = newsletters.get(viewer(), project, newsletter_id)
    composing = policy.may(viewer(), "newsletter.compose", project)
    progress = None
    if composing and newsletter.state in ("sending", "sent"):
        progress = newsletter_sending.progress(newsletter)
    return render_template(
        "newsletters/show.html",
        project=project,
        newsletter=newsletter,
        composing=composing,
        progress=progress,
        body=body_html(newsletter),
        states=STATE_LABELS,
        sent_at=sent_at,
        local_time=local_time,
        editable=newsletter.state in newsletters.EDITABLE,
    )


@bp.route("/projects/<slug>/updates/new", methods=["GET", "POST"])
def compose(slug: str) -> ResponseLike:
    """A new update: the composer, saved as a draft (then the other buttons appear)."""
    project = _composing(slug)
    form = NewsletterForm()
    if request.method == "GET":
        return _composer(project, None, form)
    outcome = submit_form(form, lambda: _save(project, None, form))
    if outcome.refused:
        return _composer(project, None, form, status=outcome.status, problems=outcome.problems)
    flash("The draft is saved.", "success")
    return redirect(url_for("newsletters.edit", slug=slug, newsletter_id=outcome.value.id))


@bp.route("/projects/<slug>/updates/<int:newsletter_id>/edit", methods=["GET", "POST"])
def edit(slug: str, newsletter_id: int) -> ResponseLike:
    """The composer for an update not yet sending; its "Save" button posts here."""
    if request.method == "GET":
        project, newsletter = _newsletter(slug, newsletter_id)
        if newsletter.state not in newsletters.EDITABLE:
            flash(f"This update is {newsletter.state}: it cannot be changed any more.", "info")
            return redirect(url_for("newsletters.show", slug=slug, newsletter_id=newsletter_id))
        form = NewsletterForm(formdata=None)
        fill(form, newsletter)
        return _composer(project, newsletter, form)

    def saved(project: Project, newsletter: Newsletter, form: NewsletterForm) -> ResponseLike:
        flash("Your changes are saved.", "success")
        return redirect(url_for("newsletters.edit", slug=slug, newsletter_id=newsletter.id))

    return _act(slug, newsletter_id, saved)


@bp.route("/projects/<slug>/updates/<int:newsletter_id>/preview", methods=["POST"])
def preview(slug: str, newsletter_id: int) -> ResponseLike:
    """Save, then show the composer with the email's HTML and text parts below it."""

    def shown(project: Project, newsletter: Newsletter, form: NewsletterForm) -> ResponseLike:
        mail = newsletter_mail.render(newsletter, viewer())
        parts = {"subject": mail.subject, "html": body_html(newsletter), "text": mail.text}
        return _composer(project, newsletter, form, preview=parts)

    return _act(slug, newsletter_id, shown)


@bp.route("/projects/<slug>/updates/<int:newsletter_id>/test", methods=["POST"])
def send_test(slug: str, newsletter_id: int) -> ResponseLike:
    """Save, then email the update to me alone, marked as a test."""

    def test(newsletter: Newsletter, form: NewsletterForm) -> None:
        newsletter_mail.send_test(viewer(), newsletter)

    def sent(project: Project, newsletter: Newsletter, form: NewsletterForm) -> ResponseLike:
        flash(f"A test is on its way to {viewer().email}.", "success")
        return redirect(url_for("newsletters.edit", slug=slug, newsletter_id=newsletter.id))

    return _act(slug, newsletter_id, sent, test)


@bp.route("/projects/<slug>/updates/<int:newsletter_id>/schedule", methods=["POST"])
def schedule(slug: str, newsletter_id: int) -> ResponseLike:
    """Save, then schedule (or reschedule) it for the date and time given, in my time zone."""

    def at_time(newsletter: Newsletter, form: NewsletterForm) -> None:
        newsletters.schedule(viewer(), newsletter, parse_send_at(form.send_at.data or ""))

    def scheduled(project: Project, newsletter: Newsletter, form: NewsletterForm) -> ResponseLike:
        flash(f"Scheduled for {local_time(newsletter.scheduled_at)}.", "success")
        return redirect(url_for("newsletters.show", slug=slug, newsletter_id=newsletter.id))

    return _act(slug, newsletter_id, scheduled, at_time)


@bp.route("/projects/<slug>/updates/<int:newsletter_id>/send", methods=["POST"])
def send_now(slug: str, newsletter_id: int) -> ResponseLike:
    """Save, then ask to confirm, showing how many it reaches; "Yes" sends it now."""

    def confirm(project: Project, newsletter: Newsletter, form: NewsletterForm) -> ResponseLike:
        return render_template(
            "newsletters/confirm_send.html",
            project=project,
            newsletter=newsletter,
            count=recipient_count(project, newsletter),
        )

    return _act(slug, newsletter_id, confirm)


@bp.route("/projects/<slug>/updates/<int:newsletter_id>/send/confirmed", methods=["POST"])
def send_confirmed(slug: str, newsletter_id: int) -> ResponseLike:
    _, newsletter = _newsletter(slug, newsletter_id)
    newsletters.schedule(viewer(), newsletter, "now")
    flash("Sending has started: the update goes out within minutes.", "success")
    return redirect(url_for("newsletters.show", slug=slug, newsletter_id=newsletter_id))


@bp.route("/projects/<slug>/updates/<int:newsletter_id>/cancel", methods=["POST"])
def cancel(slug: str, newsletter_id: int) -> ResponseLike:
    """Stop a scheduled update before it starts (it stays, to edit and schedule again)."""
    _, newsletter = _newsletter(slug, newsletter_id)
    newsletters.cancel(viewer(), newsletter)
    flash("The update will not be sent. It is kept: edit it or schedule it again.", "success")
    return redirect(url_for("newsletters.show", slug=slug, newsletter_id=newsletter_id))


@bp.route("/projects/<slug>/updates/<int:newsletter_id>/delete", methods=["POST"])
def delete(slug: str, newsletter_id: int) -> ResponseLike:
    """Ask first (the answer without ``confirm``); then delete an update never sent."""
    project, newsletter = _newsletter(slug, newsletter_id)
    if request.form.get("confirm") != "1":
        return render_template(
            "newsletters/confirm_delete.html", project=project, newsletter=newsletter
        )
    newsletters.delete(viewer(), newsletter)
    flash("The update is deleted.", "success")
    return redirect(url_for("newsletters.archive", slug=slug))


@bp.route("/projects/<slug>/updates/sender", methods=["GET", "POST"])
def sender(slug: str) -> ResponseLike:
    """The name updates are sent under and the address replies go to."""
    project = _composing(slug)
    stored = newsletters.sender(project)
    status, problems = 200, []
    if request.method == "GET":
        form = SenderForm(formdata=None, sender_name=stored.sender_name, reply_to=stored.reply_to)
    else:
        form = SenderForm()
        outcome = submit_form(
            form,
            lambda: newsletters.set_sender(
                viewer(),
                project,
                sender_name=form.sender_name.data or "",
                reply_to=form.reply_to.data or "",
            ),
        )
        if not outcome.refused:
            flash("The sender settings are saved.", "success")
            return redirect(url_for("newsletters.sender", slug=slug))
        status, problems = outcome.status, outcome.problems
    page = render_template("newsletters/sender.html", project=project, form=form, problems=problems)
    return make_response(page, status)


# --------------------------------------------------------------------------- slots


def project_links(project: Project) -> Markup | str:
    """The project page's link to its updates, and "Write an update" for those who compose."""
    return slots.render(
        "newsletters/_project_links.html",
        project=project,
        composing=policy.may(viewer(), "newsletter.compose", project),
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    slots.register(app, "project.actions", project_links)
