"""A discussion's page, and the comment actions: permalink, reply, edit, history, delete; and
the preview of a comment being written."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from limits import parse

from talk import policy, signals, text
from talk.errors import Conflict, NotFound, TalkError
from talk.extensions import limiter
from talk.forms import CommentForm, EditCommentForm
from talk.models import Board, Comment, Discussion
from talk.services import composing, discussions, held, listing, projects, reading, threads
from talk.services.projects import staff_labels
from talk.web.common import (
    ResponseLike,
    add_error_handlers,
    announce_view,
    cursor_arg,
    int_arg,
    page_form,
    page_size,
    submit_form,
    viewer,
)

bp = Blueprint("discussions", __name__)
add_error_handlers(bp)


def comment_url(comment: Comment) -> str:
    """The discussion page that shows ``comment``, scrolled to it."""
    cursor = listing.discussion_comments_cursor(comment, limit=page_size(), viewer=viewer())
    return url_for(
        "discussions.show",
        discussion_id=comment.discussion_id,
        cursor=cursor,
        _anchor=f"comment-{comment.id}",
    )


def quote(comment: Comment) -> str:
    """The start of ``comment`` as a Markdown quotation linked to it, to answer below it."""
    url = url_for("discussions.comment", comment_id=comment.id)
    return text.quotation(comment.author.display_name, url, comment.body_html)


PREVIEWS = parse("60 per minute")  # per writer: a preview button pressed, never typing


class TooManyPreviews(TalkError):
    """Over :data:`PREVIEWS`: shown beside the form, whose text is kept."""

    status = 429
    code = "too_many_requests"


def preview_html(user: Any, board: Board, body: str) -> str:
    """A comment's preview for ``user``, at most :data:`PREVIEWS` a minute (429 beyond)."""
    try:
        writer = str(user.id) if user.is_authenticated else request.remote_addr or ""
        allowed = limiter().limiter.hit(PREVIEWS, "talk-preview", writer)
    except Exception:  # the counter's storage is down: preview anyway, as login throttling does
        current_app.logger.exception("Preview rate limit skipped: its storage failed")
        allowed = True
    if not allowed:
        raise TooManyPreviews("Too many previews in a minute; wait a moment and try again.")
    return composing.preview(user, board, body)


@bp.route("/projects/<slug>/preview", methods=["POST"])
def preview(slug: str) -> ResponseLike:
    """The sanitised HTML of the posted ``body``, as a comment on board ``?board=`` (the items
    board without one) would show it: for the Preview button's script (without script, the
    forms re-render with the preview)."""
    user = viewer()
    project = projects.get_project(slug)
    board_id = int_arg("board")
    if board_id is None:
        board = reading.board(user, policy.items_board(project).id, conceal=True)
    else:
        board = reading.board(user, board_id, project=project, conceal=True)
    return preview_html(user, board, request.form.get("body", ""))


def _answering(discussion: Discussion, comment_id: int | None) -> Comment | None:
    """The comment a reply answers, when it is one of this discussion's."""
    if comment_id is None:
        return None
    comment = discussions.get_comment(comment_id)
    if comment.discussion_id != discussion.id:
        raise NotFound(f"No comment {comment_id} in this discussion.")
    return comment


def _render(
    discussion: Discussion,
    form: CommentForm,
    status: int,
    problems: list[str],
    *,
    preview: str | None = None,
    quoting: bool = False,
) -> ResponseLike:
    answering = None
    # A refused reply_to is named beside the form; one of another discussion, when posting.
    with suppress(NotFound):
        if not form.reply_to.errors:
            answering = _answering(discussion, form.reply_to.data)
    page = listing.discussion_comments(
        discussion, cursor=cursor_arg(), limit=page_size(), viewer=viewer()
    )
    labels = staff_labels(discussion.project, {c.author_id for c in page.rows})
    on_page = {c.id for c in page.rows}
    return render_template(
        "discussions/show.html",
        discussion=discussion,
        project=discussion.project,
        opening=held.opening_comment(discussion) if discussion.is_held else None,
        page=page,
        labels=labels,
        on_page=on_page,
        form=form,
        problems=problems,
        answering=answering,
        preview=preview,
        quoting=quoting,
    ), status


@bp.route("/discussions/<int:discussion_id>", methods=["GET", "POST"])
def show(discussion_id: int) -> ResponseLike:
    """The thread (GET), or a reply to it (POST)."""
    user = viewer()
    discussion = reading.discussion(user, discussion_id, conceal=False)
    if discussion.is_merged:  # its comments live on there: old links keep working
        kept = threads.final_discussion(discussion)
        if request.method == "POST":  # a redirect would lose the reply's text
            raise Conflict(f"This discussion was merged into “{kept.title}”: reply there.")
        return redirect(url_for("discussions.show", discussion_id=kept.id), 301)
    if request.method == "GET":
        form = page_form(CommentForm, policy.may(user, "discussion.reply", discussion))
        announce_view(signals.discussion_viewed, discussion)
        earlier = _answering(discussion, int_arg("reply_to"))
        if earlier is not None:
            form.reply_to.data = earlier.id
            if earlier.is_visible:
                form.body.data = quote(earlier)
        return _render(discussion, form, 200, [], quoting=earlier is not None)
    form = CommentForm()
    if "preview" in request.form:
        if not form.validate():
            return _render(discussion, form, 422, [])
        shown = submit_form(
            form, lambda: preview_html(user, discussion.board, form.body.data or "")
        )
        return _render(discussion, form, shown.status, shown.problems, preview=shown.result)
    policy.require(user, "discussion.reply", discussion)
    if not form.validate():
        return _render(discussion, form, 422, [])

    def reply() -> Comment:
        reply_to = discussions.get_comment(form.reply_to.data) if form.reply_to.data else None
        return discussions.post_comment(user, discussion, form.body.data or "", reply_to=reply_to)

    outcome = submit_form(form, reply)
    if outcome.refused:
        return _render(discussion, form, outcome.status, outcome.problems)
    if outcome.value.is_held:
        flash(
            "Your reply is waiting for a moderator: others will see it once it is approved.",
            "success",
        )
    else:
        flash("Your reply was posted.", "success")
    return redirect(comment_url(outcome.value))


@bp.route("/comments/<int:comment_id>")
def comment(comment_id: int) -> ResponseLike:
    """A comment's permanent link: the discussion page that shows it."""
    return redirect(comment_url(reading.comment(viewer(), comment_id, conceal=False)))


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
def edit_comment(comment_id: int) -> ResponseLike:
    """Change your own comment; the earlier text stays in its history."""
    comment = reading.comment(viewer(), comment_id, conceal=False)
    user = viewer()
    policy.require(user, "comment.edit", comment)
    form = EditCommentForm()
    if not form.is_submitted():
        form.body.data = comment.body
    return edit_page(
        comment,
        form,
        "discussions/edit.html",
        lambda: discussions.edit_comment(user, comment, form.body.data or ""),
        "Your comment is updated.",
    )


def edit_page(
    comment: Comment, form: Any, template: str, save: Callable[[], object], done: str
) -> ResponseLike:
    """The flow of a form that edits ``comment`` (its author's, or a moderator's with a note):
    shown filled, previewed without saving, saved with ``save`` (then back to the comment,
    saying ``done``), or shown again with its problems."""
    status, problems, shown = 200, [], None
    if not form.is_submitted():
        pass
    elif not form.validate():
        status = 422
    elif "preview" in request.form:
        board = comment.discussion.board
        seen = submit_form(form, lambda: preview_html(viewer(), board, form.body.data or ""))
        status, problems, shown = seen.status, seen.problems, seen.result
    else:
        outcome = submit_form(form, save)
        if not outcome.refused:
            flash(done, "success")
            return redirect(comment_url(comment))
        status, problems = outcome.status, outcome.problems
    return render_template(
        template,
        comment=comment,
        discussion=comment.discussion,
        project=comment.discussion.project,
        form=form,
        problems=problems,
        preview=shown,
    ), status


@bp.route("/comments/<int:comment_id>/delete", methods=["POST"])
def delete_comment(comment_id: int) -> ResponseLike:
    comment = reading.comment(viewer(), comment_id, conceal=False)
    discussions.delete_comment(viewer(), comment)
    flash("The comment is deleted.", "success")
    return redirect(comment_url(comment))


@bp.route("/comments/<int:comment_id>/hide", methods=["POST"])
def hide_comment(comment_id: int) -> ResponseLike:
    comment = reading.comment(viewer(), comment_id, conceal=False)
    discussions.hide_comment(viewer(), comment, request.form.get("reason", ""))
    flash("The comment is hidden: only moderators see it now.", "success")
    return redirect(comment_url(comment))


@bp.route("/comments/<int:comment_id>/unhide", methods=["POST"])
def unhide_comment(comment_id: int) -> ResponseLike:
    comment = reading.comment(viewer(), comment_id, conceal=False)
    discussions.unhide_comment(viewer(), comment)
    flash("The comment is shown again.", "success")
    return redirect(comment_url(comment))


@bp.route("/comments/<int:comment_id>/history")
def history(comment_id: int) -> ResponseLike:
    """Earlier versions of an edited comment (not of a deleted one: deleting hides them too)."""
    comment = reading.comment_history(viewer(), comment_id, conceal=False)
    return render_template(
        "discussions/history.html",
        comment=comment,
        discussion=comment.discussion,
        project=comment.discussion.project,
        revisions=list(reversed(comment.revisions)),
    )
