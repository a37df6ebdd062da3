"""A discussion's page, and the comment actions: permalink, reply, edit, history, delete."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from talk import policy
from talk.errors import NotFound
from talk.forms import CommentForm, EditCommentForm
from talk.models import Comment, Discussion
from talk.services import discussions, listing, reading
from talk.services.projects import staff_labels
from talk.web.common import (
    ResponseLike,
    add_error_handlers,
    cursor_arg,
    int_arg,
    page_size,
    submit_form,
    viewer,
)

bp = Blueprint("discussions", __name__)
add_error_handlers(bp)


def comment_url(comment: Comment) -> str:
    """The discussion page that shows ``comment``, scrolled to it."""
    cursor = listing.discussion_comments_cursor(comment, limit=page_size())
    return url_for(
        "discussions.show",
        discussion_id=comment.discussion_id,
        cursor=cursor,
        _anchor=f"comment-{comment.id}",
    )


def quote(body: str) -> str:
    """``body`` as a Markdown quote, to answer below it."""
    return "\n".join(f"> {line}" if line.strip() else ">" for line in body.splitlines()) + "\n\n"


def _render(
    discussion: Discussion, form: CommentForm, status: int, problems: list[str]
) -> ResponseLike:
    page = listing.discussion_comments(discussion, cursor=cursor_arg(), limit=page_size())
    labels = staff_labels(discussion.project, {c.author_id for c in page.rows})
    on_page = {c.id for c in page.rows}
    return render_template(
        "discussions/show.html",
        discussion=discussion,
        project=discussion.project,
        page=page,
        labels=labels,
        on_page=on_page,
        form=form,
        problems=problems,
    ), status


@bp.route("/discussions/<int:discussion_id>", methods=["GET", "POST"])
def show(discussion_id: int) -> ResponseLike:
    """The thread (GET), or a reply to it (POST)."""
    user = viewer()
    discussion = reading.discussion(user, discussion_id, conceal=False)
    form = CommentForm()
    if request.method == "GET":
        answered = int_arg("reply_to")
        if answered is not None:
            earlier = discussions.get_comment(answered)
            if earlier.discussion_id != discussion.id:
                raise NotFound(f"No comment {answered} in this discussion.")
            form.reply_to.data = earlier.id
            if earlier.is_visible:
                form.body.data = quote(earlier.body)
        return _render(discussion, form, 200, [])
    policy.require(user, "discussion.reply", discussion)
    if not form.validate():
        return _render(discussion, form, 422, [])

    def reply() -> Comment:
        reply_to = discussions.get_comment(form.reply_to.data) if form.reply_to.data else None
        return discussions.post_comment(user, discussion, form.body.data or "", reply_to=reply_to)

    outcome = submit_form(form, reply)
    if outcome.refused:
        return _render(discussion, form, outcome.status, outcome.problems)
    flash("Your reply is posted.", "success")
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
    status, problems = 200, []
    if not form.is_submitted():
        form.body.data = comment.body
    elif not form.validate():
        status = 422
    else:
        outcome = submit_form(
            form, lambda: discussions.edit_comment(user, comment, form.body.data or "")
        )
        if not outcome.refused:
            flash("Your comment is updated.", "success")
            return redirect(comment_url(comment))
        status, problems = outcome.status, outcome.problems
    return render_template(
        "discussions/edit.html",
        comment=comment,
        discussion=comment.discussion,
        project=comment.discussion.project,
        form=form,
        problems=problems,
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
