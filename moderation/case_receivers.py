"""Moderators also hide, show again and delete comments with the discussion page's own buttons
(the core's). Those doors are moderation too: the audit log records them, they settle the
comment's open case, and the author is told of a hide or a deletion. So no moderation escapes
the log, whichever door it went through.

A ``flag`` watched word opens (or joins) a case with the system's report, and a held post is
announced to the project's moderators.

A case action (:func:`moderation.case_actions.perform`) does its own recording; it runs inside
:func:`moderation.case_actions.case_action`, and these receivers then stay quiet.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import select

from moderation import audit, reports
from moderation.case_actions import ACTIONS, in_case_action, settle, tell_author
from moderation.case_models import Case
from moderation.receivers import watched_word_flagged
from moderation.staff_notices import tell_moderators
from talk import signals
from talk.extensions import db
from talk.models import Comment

#: The extension key that says this app has the moderation package.
EXTENSION = "moderation"


def _moderating(comment: Comment, actor: Any) -> bool:
    """A moderator's act on someone's comment, outside a case action, in an app with this
    package (receivers are process-wide)."""
    return (
        has_app_context()
        and EXTENSION in current_app.extensions
        and not in_case_action()
        and getattr(actor, "id", None) != comment.author_id
    )


def _open_case(comment: Comment) -> Case | None:
    return db.session.scalar(
        select(Case).where(
            Case.project_id == comment.project_id,
            Case.target_type == "comment",
            Case.target_id == comment.id,
            Case.state.in_(("open", "watched")),
        )
    )


def _record(comment: Comment, actor: Any, name: str, **details: Any) -> None:
    case = _open_case(comment)
    audit.record(
        actor,
        ACTIONS[name].audit_action,
        project=comment.discussion.project,
        target_type="comment",
        target_id=comment.id,
        subject=comment.author,
        case_id=None if case is None else case.id,
        **details,
    )
    if case is not None:
        settle(actor, case, ACTIONS[name], "", details.get("note", ""))


@signals.comment_hidden.connect
def _hidden(comment: Comment, *, actor: Any, reason: str = "", **_: Any) -> None:
    if not _moderating(comment, actor):
        return
    _record(comment, actor, "hide", note=reason, before={"hidden": False}, after={"hidden": True})
    tell_author(actor, comment, "moderation.hidden", "hid", reason)


@signals.comment_unhidden.connect
def _unhidden(comment: Comment, *, actor: Any, **_: Any) -> None:
    if _moderating(comment, actor):
        _record(comment, actor, "restore", before={"hidden": True}, after={"hidden": False})


@signals.comment_deleted.connect
def _deleted(comment: Comment, *, actor: Any, **_: Any) -> None:
    if not _moderating(comment, actor):
        return
    _record(comment, actor, "delete", before={"deleted": False}, after={"deleted": True})
    tell_author(actor, comment, "moderation.deleted", "deleted")


def _here() -> bool:
    return has_app_context() and EXTENSION in current_app.extensions


@watched_word_flagged.connect
def _flagged(comment: Comment, *, categories: list[str], **_: Any) -> None:
    """A ``flag`` watched word opens (or joins) the comment's case: the system's report."""
    if _here():
        reports.flag_comment(comment, categories)


@signals.comment_held.connect
def _held(comment: Comment, *, actor: Any, **_: Any) -> None:
    """Moderators hear of a post waiting for their approval, like a new report."""
    if not _here():
        return
    discussion = comment.discussion
    project = discussion.project
    what = (
        f"A new discussion by {comment.author.display_name}, “{discussion.title}”,"
        if discussion.held_at is not None
        else f"A comment by {comment.author.display_name} in “{discussion.title}”"
    )
    tell_moderators(
        actor,
        project,
        "moderation.held_post",
        f"{what} waits for a moderator's approval.",
        f"/projects/{project.slug}/moderation/held",
        discussion=discussion,
        comment=comment,
    )
