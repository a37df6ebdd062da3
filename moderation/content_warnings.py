"""Content warnings: one operation per change, shared by the pages, the API and the demo.

A warning belongs to one project; it is attached to that project's items, discussions and
boards only (another project's ids are not found). A discussion shows its own warnings and
those of its item and its board, each once. Acknowledging is per warning, not per page: once a
person has read "language about mental illness" they are not stopped by it on every record it
marks, until the staff change its text. A logged-in person's acknowledgement is a row; a
visitor's is kept in their session (the signed cookie), at most :data:`SESSION_LIMIT` of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias

from flask import has_request_context, session
from sqlalchemy import and_, or_, select

from moderation.heritage_models import (
    ATTACHMENT_KINDS,
    MAX_WARNING_TEXT,
    MAX_WARNING_TITLE,
    ContentWarning,
    ContentWarningAcknowledgement,
    ContentWarningAttachment,
)
from talk import policy
from talk.clock import utcnow
from talk.errors import InvalidInput, NotFound
from talk.extensions import db, upsert
from talk.models import Board, Discussion, Item, Project
from talk.pagination import Page, keyset_page
from talk.policy import Actor
from talk.services import items, reading
from talk.services.validation import clean_text, conflict_on_duplicate

Target: TypeAlias = Item | Discussion | Board
SESSION_KEY = "content_warnings_read"
SESSION_LIMIT = 100


@dataclass(frozen=True)
class Shown:
    """A warning as one viewer meets it on one page."""

    warning: ContentWarning
    acknowledged: bool


# ------------------------------------------------------------------------------ the notices


def warnings_page(project: Project, *, cursor: str | None, limit: int) -> Page[ContentWarning]:
    """A project's warnings, oldest first (anyone may read them: they are shown on its pages)."""
    query = select(ContentWarning).where(ContentWarning.project_id == project.id)
    return keyset_page(query, [ContentWarning.id], cursor=cursor, limit=limit)


def all_warnings(project: Project) -> list[ContentWarning]:
    query = select(ContentWarning).where(ContentWarning.project_id == project.id)
    return list(db.session.scalars(query.order_by(ContentWarning.title)))


def get_warning(project: Project, warning_id: int) -> ContentWarning:
    """Warning ``warning_id`` of ``project``; another project's is not found."""
    warning = db.session.get(ContentWarning, warning_id)
    if warning is None or warning.project_id != project.id:
        raise NotFound(f"No content warning {warning_id} in project {project.slug!r}.")
    return warning


def _clean(title: str, text: str) -> tuple[str, str]:
    return (
        clean_text(title, "title", max_length=MAX_WARNING_TITLE),
        clean_text(text, "text", max_length=MAX_WARNING_TEXT),
    )


def _duplicate_title() -> Any:
    return conflict_on_duplicate(
        "This project has a content warning with that title already.",
        {"title": ["Another warning has this title."]},
    )


def create_warning(actor: Actor, project: Project, title: str, text: str) -> ContentWarning:
    policy.require(actor, "content_warning.manage", project)
    title, text = _clean(title, text)
    now = utcnow()
    warning = ContentWarning(
        project=project,
        title=title,
        text=text,
        version=1,
        created_by_id=getattr(actor, "id", None),
        created_at=now,
        updated_at=now,
    )
    with _duplicate_title():
        db.session.add(warning)
    return warning


def edit_warning(
    actor: Actor, warning: ContentWarning, *, title: str | None = None, text: str | None = None
) -> ContentWarning:
    """Change the title or text; a real change raises the version, so people see it again."""
    policy.require(actor, "content_warning.manage", warning.project)
    new_title, new_text = _clean(
        warning.title if title is None else title, warning.text if text is None else text
    )
    if (new_title, new_text) == (warning.title, warning.text):
        return warning
    with _duplicate_title():
        warning.title, warning.text = new_title, new_text
        warning.version += 1
        warning.updated_at = utcnow()
    return warning


def delete_warning(actor: Actor, warning: ContentWarning) -> None:
    policy.require(actor, "content_warning.manage", warning.project)
    db.session.delete(warning)
    db.session.flush()


# ------------------------------------------------------------------------------ attachments


def find_target(viewer: Any, project: Project, kind: str, ref: str | int) -> Target:
    """The item (by external id), discussion or board (by id) of ``project`` that ``viewer``
    may read; anything else, another project's included, is not found."""
    if kind not in ATTACHMENT_KINDS:
        raise InvalidInput(
            f"type must be one of {', '.join(ATTACHMENT_KINDS)}.",
            {"type": [f"One of {', '.join(ATTACHMENT_KINDS)}."]},
        )
    if kind == "item":
        return items.get_item(project, str(ref))
    number = _number(ref)
    if kind == "board":
        return reading.board(viewer, number, project=project)
    found = reading.discussion(viewer, number)
    if found.project_id != project.id:
        raise NotFound(f"No discussion {number}.")
    return found


def _number(ref: str | int) -> int:
    text = str(ref).strip()
    if not (text.isascii() and text.isdigit()) or int(text) > 2147483647:
        raise InvalidInput("id must be a number.", {"id": ["Must be a number."]})
    return int(text)


def kind_of(target: Target) -> str:
    return {Item: "item", Discussion: "discussion", Board: "board"}[type(target)]


def _attachment_column(target: Target) -> Any:
    return getattr(ContentWarningAttachment, f"{kind_of(target)}_id")


def attachments(warning: ContentWarning) -> list[ContentWarningAttachment]:
    query = select(ContentWarningAttachment).where(
        ContentWarningAttachment.warning_id == warning.id
    )
    return list(db.session.scalars(query.order_by(ContentWarningAttachment.id)))


def readable(viewer: Any, target: Target) -> bool:
    """Whether ``viewer`` may read ``target`` (items are public; boards have levels)."""
    if isinstance(target, Item):
        return True
    rule = "board.read" if isinstance(target, Board) else "discussion.read"
    return policy.may(viewer, rule, target)


def attach(actor: Actor, warning: ContentWarning, target: Target) -> ContentWarningAttachment:
    """Show ``warning`` before ``target``; 409 if it is shown there already."""
    policy.require(actor, "content_warning.manage", warning.project)
    if target.project_id != warning.project_id:
        raise NotFound("Not found in this project.")
    attachment = ContentWarningAttachment(
        warning=warning, created_by_id=getattr(actor, "id", None), created_at=utcnow()
    )
    setattr(attachment, f"{kind_of(target)}_id", target.id)
    with conflict_on_duplicate(
        "This warning is attached there already.", {"id": ["Attached already."]}
    ):
        db.session.add(attachment)
    return attachment


def detach(actor: Actor, warning: ContentWarning, target: Target) -> None:
    policy.require(actor, "content_warning.manage", warning.project)
    attachment = db.session.scalar(
        select(ContentWarningAttachment).where(
            ContentWarningAttachment.warning_id == warning.id,
            _attachment_column(target) == target.id,
        )
    )
    if attachment is None:
        raise NotFound("This warning is not attached there.")
    db.session.delete(attachment)
    db.session.flush()


# ------------------------------------------------------------------------------ showing


def _where(target: Target) -> Any:
    a = ContentWarningAttachment
    if isinstance(target, Discussion):
        places = [a.discussion_id == target.id, a.board_id == target.board_id]
        if target.item_id is not None:
            places.append(a.item_id == target.item_id)
        return or_(*places)
    return _attachment_column(target) == target.id


def shown_for(viewer: Any, target: Target) -> list[Shown]:
    """The warnings ``viewer`` meets on ``target``'s page, each once, with whether they read
    this version already: one query."""
    person = policy.is_logged_in(viewer) and not policy.is_operator(viewer)
    ack = ContentWarningAcknowledgement
    query = (
        select(ContentWarning, ack.version if person else ContentWarning.id)
        .where(
            ContentWarning.id.in_(select(ContentWarningAttachment.warning_id).where(_where(target)))
        )
        .order_by(ContentWarning.title, ContentWarning.id)
    )
    if person:
        query = query.outerjoin(
            ack, and_(ack.warning_id == ContentWarning.id, ack.user_id == viewer.id)
        )
    remembered = _session_acks()
    shown = []
    for warning, version in db.session.execute(query):
        if person:
            read = version is not None and version >= warning.version
        else:
            read = remembered.get(str(warning.id), 0) >= warning.version
        shown.append(Shown(warning, read))
    return shown


def _session_acks() -> dict[str, int]:
    """The visitor's acknowledgements, oldest first: ``[[warning id, version], ...]`` in the
    session (a list, since the session's JSON sorts a mapping's keys)."""
    if not has_request_context():
        return {}
    found = session.get(SESSION_KEY)
    if not isinstance(found, list):
        return {}
    return {
        str(pair[0]): pair[1]
        for pair in found
        if isinstance(pair, list) and len(pair) == 2 and all(type(v) is int for v in pair)
    }


def acknowledge(viewer: Any, warning: ContentWarning) -> None:
    """Remember that ``viewer`` read this version of ``warning``: a row for a logged-in
    person, the session for a visitor."""
    policy.require(viewer, "content_warning.acknowledge", warning.project)
    if policy.is_logged_in(viewer) and not policy.is_operator(viewer):
        now = utcnow()
        statement = upsert(ContentWarningAcknowledgement).values(
            user_id=viewer.id, warning_id=warning.id, version=warning.version, acknowledged_at=now
        )
        db.session.execute(
            statement.on_conflict_do_update(
                index_elements=["user_id", "warning_id"],
                set_={"version": warning.version, "acknowledged_at": now},
            )
        )
        return
    remembered = _session_acks()
    remembered.pop(str(warning.id), None)
    remembered[str(warning.id)] = warning.version
    pairs = [[int(key), version] for key, version in remembered.items()]
    session[SESSION_KEY] = pairs[-SESSION_LIMIT:]


def caveat_lines(discussion: Discussion) -> list[str]:
    """The warnings before ``discussion`` (its own, its item's, its board's) as plain text,
    for emails (:mod:`talk.caveats`): shown to everyone, read or not, since an email cannot
    blur."""
    return [
        f"Content warning: {shown.warning.title}. {shown.warning.text}"
        for shown in shown_for(policy.ANONYMOUS, discussion)
    ]
