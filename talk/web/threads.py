"""The moderators' pages for a discussion: lock, pin, move, merge, split, and editing someone's
comment with a note. Thin: each POST calls one service of :mod:`talk.services.threads` (or
:func:`talk.services.discussions.edit_comment`). Merging and splitting cannot be undone, so
their forms lead to a confirmation page (a POST that changes nothing) whose button, and only
it, acts; a GET never changes anything."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from talk import policy
from talk.errors import InvalidInput, NotFound
from talk.forms import ModeratorEditForm
from talk.models import Discussion
from talk.services import discussions, items, listing, reading, threads
from talk.web.common import ResponseLike, add_error_handlers, viewer
from talk.web.discussions import edit_page

bp = Blueprint("threads", __name__)
add_error_handlers(bp)

MAX_SPLIT_SHOWN = 200  # replies offered for a split on one page (the first ones)


def _discussion(discussion_id: int, action: str) -> Discussion:
    """The discussion, readable by the viewer and theirs to act on with ``action``."""
    discussion = reading.discussion(viewer(), discussion_id, conceal=False)
    policy.require(viewer(), action, discussion)
    return discussion


def _back(discussion: Discussion) -> ResponseLike:
    return redirect(url_for("discussions.show", discussion_id=discussion.id))


def _switch(value: str | None, name: str) -> bool:
    if value not in ("0", "1"):
        raise InvalidInput(f"{name} must be 0 or 1.", {name: ["Must be 0 or 1."]})
    return value == "1"


@bp.route("/discussions/<int:discussion_id>/lock", methods=["POST"])
def lock(discussion_id: int) -> ResponseLike:
    discussion = _discussion(discussion_id, "discussion.lock")
    locked = _switch(request.form.get("locked"), "locked")
    threads.lock_discussion(viewer(), discussion, locked=locked)
    flash("The discussion is locked." if locked else "The discussion is open again.", "success")
    return _back(discussion)


@bp.route("/discussions/<int:discussion_id>/pin", methods=["POST"])
def pin(discussion_id: int) -> ResponseLike:
    discussion = _discussion(discussion_id, "discussion.pin")
    pinned = _switch(request.form.get("pinned"), "pinned")
    threads.pin_discussion(viewer(), discussion, pinned=pinned)
    flash("The discussion is pinned." if pinned else "The discussion is unpinned.", "success")
    return _back(discussion)


@bp.route("/discussions/<int:discussion_id>/move", methods=["GET", "POST"])
def move(discussion_id: int) -> ResponseLike:
    """Choose a board of the project, or an item (by its id), to move the discussion to."""
    discussion = _discussion(discussion_id, "discussion.move")
    project = discussion.project
    status, problems = 200, []
    if request.method == "POST":
        try:
            board, item = _move_target(discussion)
            threads.move_discussion(viewer(), discussion, board=board, item=item)
        except (InvalidInput, NotFound) as error:
            status, problems = 422, [error.message]
        else:
            flash("The discussion is moved.", "success")
            return _back(discussion)
    boards = [b for b in project.boards if b.kind != "items"]
    return render_template(
        "threads/move.html",
        discussion=discussion,
        project=project,
        boards=boards,
        problems=problems,
        chosen=request.form,
    ), status


def _move_target(discussion: Discussion) -> tuple[Any, Any]:
    external_id = request.form.get("item", "").strip()
    if external_id:
        return None, items.get_item(discussion.project, external_id)
    raw = request.form.get("board", "")
    if not raw.isdigit():
        raise InvalidInput("Choose a board or an item.", {"board": ["Required."]})
    return reading.board(viewer(), int(raw), project=discussion.project), None


def _confirmed() -> bool:
    return request.form.get("confirm") == "1"


@bp.route("/discussions/<int:discussion_id>/merge", methods=["GET", "POST"])
def merge(discussion_id: int) -> ResponseLike:
    """Name the discussion to merge this one into; then confirm."""
    discussion = _discussion(discussion_id, "discussion.merge")
    into, problems = None, []
    if request.method == "POST":
        try:
            into = _merge_target(discussion)
            if _confirmed():
                threads.merge_discussions(viewer(), discussion, into)
                flash("The discussions are merged.", "success")
                return _back(into)
        except (InvalidInput, NotFound) as error:
            into, problems = None, [error.message]
    return render_template(
        "threads/merge.html",
        discussion=discussion,
        project=discussion.project,
        into=into,
        problems=problems,
    ), (422 if problems else 200)


def _merge_target(discussion: Discussion) -> Discussion:
    raw = request.form.get("into", "").strip().rsplit("/", 1)[-1]
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10:
        raise InvalidInput("Give the number (or address) of the discussion to merge into.")
    into = reading.discussion(viewer(), int(raw))
    if into.id == discussion.id or into.project_id != discussion.project_id or into.is_merged:
        raise InvalidInput("Choose another open discussion of this project.")
    policy.require(viewer(), "discussion.merge", into)
    return into


@bp.route("/discussions/<int:discussion_id>/split", methods=["GET", "POST"])
def split(discussion_id: int) -> ResponseLike:
    """Tick the replies to move to a new discussion and give it a title; then confirm."""
    discussion = _discussion(discussion_id, "discussion.split")
    chosen = [int(v) for v in request.form.getlist("comments") if v.isdigit() and len(v) < 11]
    title = request.form.get("title", "")
    problems: list[str] = []
    confirming = False
    if request.method == "POST":
        try:
            if not chosen or not title.strip():
                raise InvalidInput("Tick at least one reply and give the new discussion a title.")
            if _confirmed():
                split = threads.split_comments(viewer(), discussion, chosen, title)
                flash("The replies are in a discussion of their own now.", "success")
                return _back(split)
            confirming = True
        except InvalidInput as error:
            problems = [error.message]
    page = listing.discussion_comments(discussion, cursor=None, limit=MAX_SPLIT_SHOWN)
    return render_template(
        "threads/split.html",
        discussion=discussion,
        project=discussion.project,
        comments=page.rows,
        chosen=set(chosen),
        title=title,
        confirming=confirming,
        problems=problems,
    ), (422 if problems else 200)


@bp.route("/comments/<int:comment_id>/moderate", methods=["GET", "POST"])
def moderate(comment_id: int) -> ResponseLike:
    """A moderator edits someone's comment; the note is shown under it."""
    user = viewer()
    comment = reading.comment(user, comment_id, conceal=False)
    policy.require(user, "comment.moderate", comment)
    form = ModeratorEditForm()
    if not form.is_submitted():
        form.body.data, form.note.data = comment.body, comment.moderator_note
    return edit_page(
        comment,
        form,
        "threads/moderate.html",
        lambda: discussions.edit_comment(
            user, comment, form.body.data or "", note=form.note.data or ""
        ),
        "The comment is updated, with your note under it.",
    )


@bp.route("/comments/<int:comment_id>/delete", methods=["GET"])
def confirm_delete(comment_id: int) -> ResponseLike:
    """Ask before deleting (the discussion page's Delete leads here; the POST deletes)."""
    comment = reading.comment(viewer(), comment_id, conceal=False)
    policy.require(viewer(), "comment.delete", comment)
    return render_template(
        "threads/delete.html",
        comment=comment,
        discussion=comment.discussion,
        project=comment.discussion.project,
    )
