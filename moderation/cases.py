"""The moderation queue: reading cases, filtering and ordering them, claiming them, and the
context a moderator needs to decide one. Actions on cases are in :mod:`moderation.case_actions`.

Cases of a project are for its moderators and admins (and site admins): anyone else asking for
one gets the 404 of a case that does not exist, so a case's existence is not revealed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from moderation.case_models import REASONS, STATES, Case, require_choice
from moderation.models import AuditEntry
from moderation.sanction_models import Appeal, Sanction
from talk import policy
from talk.clock import utcnow
from talk.errors import InvalidInput, NotAuthenticated, NotFound
from talk.extensions import db
from talk.models import Comment, Discussion, Project, User
from talk.pagination import Page, decode_cursor, encode_cursor
from talk.policy import Actor

#: The queue's state filter: a state, or ``all``.
STATE_FILTERS = (*STATES, "all")


def get_case(viewer: Any, case_id: int, *, project: Project | None = None) -> Case:
    """Case ``case_id`` (of ``project``, when given) for one of its moderators; 404 for anyone
    else, as for a case that does not exist."""
    if not policy.is_logged_in(viewer):
        raise NotAuthenticated("Log in to do this.")
    case = db.session.get(Case, case_id)
    if (
        case is None
        or (project is not None and case.project_id != project.id)
        or not policy.may(viewer, "case.read", case)
    ):
        raise NotFound(f"No case {case_id}.")
    return case


def target_of(case: Case) -> Comment | Discussion | User | None:
    """The reported thing (None if it no longer exists)."""
    if case.target_type == "comment":
        return db.session.get(Comment, case.target_id)
    if case.target_type == "discussion":
        return db.session.get(Discussion, case.target_id)
    return db.session.get(User, case.target_id)


@dataclass
class QueueFilters:
    """What the queue shows: a state (``open`` by default), a reason, a board, an author."""

    state: str = "open"
    reason: str | None = None
    board_id: int | None = None
    author: str | None = None

    def check(self) -> None:
        require_choice("state", self.state, STATE_FILTERS)
        if self.reason is not None:
            require_choice("reason", self.reason, REASONS)
        if self.author is not None and "\x00" in self.author:
            raise InvalidInput("author is not a username.", {"author": ["Not a username."]})


def queue(
    viewer: Any,
    project: Project,
    filters: QueueFilters,
    *,
    cursor: str | None,
    limit: int,
) -> Page[Case]:
    """A page of the project's cases, most urgent first: highest priority, then oldest."""
    policy.require(viewer, "moderation.queue", project)
    filters.check()
    query = select(Case).where(Case.project_id == project.id)
    query = query.options(selectinload(Case.subject_user), selectinload(Case.claimed_by))
    if filters.state != "all":
        query = query.where(Case.state == filters.state)
    if filters.reason:
        query = query.where(Case.reason == filters.reason)
    if filters.board_id is not None:
        query = query.where(Case.board_id == filters.board_id)
    if filters.author:
        author = select(User.id).where(User.username == filters.author).scalar_subquery()
        query = query.where(Case.subject_user_id == author)
    if cursor:
        priority, after = decode_cursor(cursor, [Case.priority, Case.id])
        query = query.where(
            or_(Case.priority < priority, and_(Case.priority == priority, Case.id > after))
        )
    rows = list(
        db.session.scalars(query.order_by(Case.priority.desc(), Case.id.asc()).limit(limit + 1))
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor([rows[-1].priority, rows[-1].id])
    return Page(rows, next_cursor)


def open_count(project: Project) -> int:
    """How many of the project's cases wait in the queue (state open)."""
    count = select(func.count(Case.id)).where(Case.project_id == project.id, Case.state == "open")
    return int(db.session.scalar(count) or 0)


@dataclass(frozen=True)
class Waiting:
    """What else waits for the project's moderators beside the cases, for the queue page
    (None: not theirs to see, so neither counted nor linked)."""

    held: int | None
    appeals: int | None


def waiting(viewer: Any, project: Project) -> Waiting:
    """Held posts and open appeals of ``project`` (one count query each, each only for those
    who may open its page)."""
    held = appeals = None
    if policy.may(viewer, "moderation.prevention", project):
        count = select(func.count(Comment.id)).where(
            Comment.project_id == project.id,
            Comment.held_at.is_not(None),
            Comment.deleted_at.is_(None),
        )
        held = int(db.session.scalar(count) or 0)
    if policy.may(viewer, "moderation.appeals.view", project):
        count = (
            select(func.count(Appeal.id))
            .join(Sanction, Sanction.id == Appeal.sanction_id)
            .where(Sanction.project_id == project.id, Appeal.state == "open")
        )
        appeals = int(db.session.scalar(count) or 0)
    return Waiting(held, appeals)


def claim(actor: Actor, case: Case) -> Case:
    """Say "I am on this one": others still may act, but see who claimed it."""
    policy.require(actor, "case.act", case)
    if not case.is_open:
        raise InvalidInput("This case is resolved; there is nothing to claim.", {})
    case.claimed_by_id = None if policy.is_operator(actor) else actor.id
    case.claimed_at = utcnow()
    db.session.flush()
    return case


def unclaim(actor: Actor, case: Case) -> Case:
    """Release a claim (anyone who may act on the case, so an absent claimer blocks no one)."""
    policy.require(actor, "case.act", case)
    case.claimed_by_id = None
    case.claimed_at = None
    db.session.flush()
    return case


@dataclass
class CaseContext:
    """What a moderator reads before deciding."""

    target: Any
    surrounding: list[Comment] = field(default_factory=list)
    recent: list[Comment] = field(default_factory=list)
    earlier_cases: list[Case] = field(default_factory=list)
    entries: list[AuditEntry] = field(default_factory=list)


def context(case: Case, *, around: int = 2, recent: int = 5) -> CaseContext:
    """The item, the comments around it, the author's recent comments in the project, their
    earlier cases there, and the latest audit entries about this case, its target or its
    author (a warning or suspension shows here too)."""
    target = target_of(case)
    found = CaseContext(target)
    if isinstance(target, Comment):
        thread = select(Comment).where(Comment.discussion_id == target.discussion_id)
        before = db.session.scalars(
            thread.where(Comment.id < target.id).order_by(Comment.id.desc()).limit(around)
        )
        after = db.session.scalars(
            thread.where(Comment.id > target.id).order_by(Comment.id).limit(around)
        )
        found.surrounding = [*reversed(list(before)), target, *after]
    found.recent = list(
        db.session.scalars(
            select(Comment)
            .where(Comment.project_id == case.project_id, Comment.author_id == case.subject_user_id)
            .order_by(Comment.id.desc())
            .limit(recent)
        )
    )
    found.earlier_cases = list(
        db.session.scalars(
            select(Case)
            .where(
                Case.project_id == case.project_id,
                Case.subject_user_id == case.subject_user_id,
                Case.id != case.id,
            )
            .order_by(Case.id.desc())
            .limit(20)
        )
    )
    found.entries = list(
        db.session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.project_id == case.project_id,
                or_(
                    AuditEntry.case_id == case.id,
                    AuditEntry.subject_user_id == case.subject_user_id,
                    and_(
                        AuditEntry.target_type == case.target_type,
                        AuditEntry.target_id == case.target_id,
                    ),
                ),
            )
            .order_by(AuditEntry.id.desc())
            .limit(50)
        )
    )
    return found
