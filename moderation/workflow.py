"""Workflow flags: hashtags a project chose (``#help``, ``#correction``) put the item, or the
board discussion, on its staff's review list, so questions get answered.

Writing a configured hashtag in a comment (a new discussion's first comment included) opens a
request for that flag in that discussion, unless one is open there already. The first later
comment in the discussion by staff or an expert (:func:`moderation.rules.is_staff`), other than
the asker, answers every request open there; staff may also mark one answered by hand. Tags
added by editing a comment do not open requests: the flag is a question asked when posting.
Removing a flag from the configuration removes its requests with it, and hiding or deleting
the comment that asked removes its open request (a spammer's ``#help`` leaves the list with the
spam; showing the comment again does not ask again).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from moderation.heritage_models import MAX_FLAG_DESCRIPTION, WorkflowFlag, WorkflowRequest
from moderation.rules import is_staff
from talk import policy, signals
from talk.clock import utcnow
from talk.errors import Conflict, InvalidInput, NotFound
from talk.extensions import db
from talk.models import Comment, Discussion, Project, Tag
from talk.pagination import Page, keyset_page
from talk.policy import Actor
from talk.services import project_rules, tags
from talk.services.validation import clean_text, conflict_on_duplicate

# ------------------------------------------------------------------------------ configuration


def flags(project: Project) -> list[WorkflowFlag]:
    query = select(WorkflowFlag).where(WorkflowFlag.project_id == project.id)
    return list(db.session.scalars(query.order_by(WorkflowFlag.tag_name)))


def _tag_name(name: str) -> str:
    raw = name.strip().removeprefix("#") if isinstance(name, str) else ""
    normal = tags.normalise(raw)
    if normal is None:
        raise InvalidInput(
            f"{name!r} cannot be a hashtag.",
            {"tag": ["Letters, digits, '-' and '_', as in #tricky-writing."]},
        )
    return normal


def add_flag(actor: Actor, project: Project, name: str, description: str = "") -> WorkflowFlag:
    """Make ``#name`` a workflow flag of ``project``; 409 if it is one already."""
    policy.require(actor, "workflow.configure", project)
    flag = WorkflowFlag(
        project=project,
        tag_name=_tag_name(name),
        description=clean_text(
            description, "description", max_length=MAX_FLAG_DESCRIPTION, required=False
        ),
        created_at=utcnow(),
    )
    with conflict_on_duplicate(
        f"#{flag.tag_name} is a workflow flag already.", {"tag": ["A flag already."]}
    ):
        db.session.add(flag)
    return flag


def get_flag(project: Project, name: str) -> WorkflowFlag:
    try:
        tag_name = _tag_name(name)
    except InvalidInput:
        tag_name = None
    flag = db.session.scalar(
        select(WorkflowFlag).where(
            WorkflowFlag.project_id == project.id, WorkflowFlag.tag_name == tag_name
        )
    )
    if flag is None:
        raise NotFound(f"No workflow flag {name!r} in project {project.slug!r}.")
    return flag


def remove_flag(actor: Actor, flag: WorkflowFlag) -> None:
    policy.require(actor, "workflow.configure", flag.project)
    db.session.delete(flag)
    db.session.flush()


# ------------------------------------------------------------------------------ the list

#: What the list shows of each request, loaded with the page (a query each, not one per row).
SHOWN_WITH = ("flag", "discussion", "item", "asked_by", "answered_by")


def review_page(
    actor: Actor, project: Project, *, cursor: str | None, limit: int
) -> Page[WorkflowRequest]:
    """The open requests of ``project``, oldest first, in the boards ``actor`` may read."""
    policy.require(actor, "workflow.review", project)
    readable = select(Discussion.id).where(
        Discussion.project_id == project.id,
        Discussion.board_id.in_(policy.readable_board_ids(actor)),
    )
    query = (
        select(WorkflowRequest)
        .where(
            WorkflowRequest.project_id == project.id,
            WorkflowRequest.answered_at.is_(None),
            WorkflowRequest.discussion_id.in_(readable),
        )
        .options(*(selectinload(getattr(WorkflowRequest, r)) for r in SHOWN_WITH))
    )
    order = [WorkflowRequest.asked_at, WorkflowRequest.id]
    return keyset_page(query, order, cursor=cursor, limit=limit)


def get_request(project: Project, request_id: int) -> WorkflowRequest:
    found = db.session.get(WorkflowRequest, request_id)
    if found is None or found.project_id != project.id:
        raise NotFound(f"No review request {request_id} in project {project.slug!r}.")
    return found


def mark_answered(actor: Actor, request: WorkflowRequest) -> WorkflowRequest:
    """Take ``request`` off the review list by hand; 409 if it was answered already."""
    policy.require(actor, "workflow.mark_answered", request.discussion.project)
    if not policy.may(actor, "discussion.read", request.discussion):
        raise NotFound(f"No review request {request.id}.")
    if request.answered_at is not None:
        raise Conflict("This request was answered already.")
    request.answered_at = utcnow()
    request.answered_by_id = getattr(actor, "id", None)
    request.answered_how = "marked"
    db.session.flush()
    return request


# ------------------------------------------------------------------------------ receivers


def _answer(comment: Comment, actor: Any) -> None:
    """A staff or expert comment answers what others asked earlier in its discussion.

    A project without workflow flags has no requests to answer (a request names its flag, and
    removing a flag removes its requests: ``ON DELETE CASCADE``), so the cached flags spare
    every staff post in such a project the read."""
    project = comment.discussion.project
    if not is_staff(actor, project) or not _project_flags(project):
        return
    open_requests = db.session.scalars(
        select(WorkflowRequest).where(
            WorkflowRequest.discussion_id == comment.discussion_id,
            WorkflowRequest.answered_at.is_(None),
            WorkflowRequest.comment_id != comment.id,
        )
    ).all()
    for request in open_requests:
        if request.asked_by_id == getattr(actor, "id", None):
            continue
        request.answered_at = comment.created_at
        request.answered_by_id = actor.id
        request.answer_comment_id = comment.id
        request.answered_how = "answer"


# Read for every comment that adds a tag; cached per process on the project's rules token.
project_rules.watch(WorkflowFlag)


def _flags(project_id: int) -> Mapping[str, int]:
    """The project's workflow flags: their ids by tag name (read-only: shared by threads)."""
    rows = db.session.execute(
        select(WorkflowFlag.tag_name, WorkflowFlag.id).where(WorkflowFlag.project_id == project_id)
    )
    return MappingProxyType(dict(rows.all()))


def _project_flags(project: Project) -> Mapping[str, int]:
    return project_rules.cached("workflow_flags", project, lambda: _flags(project.id))


def _ask(comment: Comment, actor: Any, tags_added: tuple[Tag, ...]) -> None:
    if not tags_added:
        return
    discussion = comment.discussion
    flags = _project_flags(discussion.project)
    chosen = [(flags[t.name], t.name) for t in tags_added if t.name in flags]
    if not chosen:
        return
    already = set(
        db.session.scalars(
            select(WorkflowRequest.flag_id).where(
                WorkflowRequest.discussion_id == discussion.id,
                WorkflowRequest.answered_at.is_(None),
            )
        )
    )
    for flag_id, _name in sorted(chosen):
        if flag_id in already:
            continue
        db.session.add(
            WorkflowRequest(
                project_id=discussion.project_id,
                flag_id=flag_id,
                discussion_id=discussion.id,
                item_id=discussion.item_id,
                comment_id=comment.id,
                asked_by_id=getattr(actor, "id", None),
                asked_at=comment.created_at,
            )
        )


@signals.comment_posted.connect
def _comment_posted(
    comment: Comment, *, actor: Any, tags_added: tuple[Tag, ...] = (), **_: Any
) -> None:
    """Same transaction as the comment: a comment that rolls back asks and answers nothing."""
    _answer(comment, actor)
    _ask(comment, actor, tags_added)


@signals.discussion_created.connect
def _discussion_created(
    _discussion: Discussion,
    *,
    comment: Comment,
    actor: Any,
    tags_added: tuple[Tag, ...] = (),
    **_: Any,
) -> None:
    _ask(comment, actor, tags_added)


@signals.comment_hidden.connect
@signals.comment_deleted.connect
def _withdrawn(comment: Comment, **_: Any) -> None:
    """A hidden or deleted question leaves the review list (an answered one stays answered)."""
    db.session.execute(
        delete(WorkflowRequest).where(
            WorkflowRequest.comment_id == comment.id, WorkflowRequest.answered_at.is_(None)
        )
    )
