"""Reporting a comment, a discussion or a person: one operation for pages, API and tests.

A report joins the case of its target (one per target per project), and the case's priority
is recomputed from its reports: the most urgent reason first, then how many people reported
it and how much their word weighs (their role in the project and how often their past reports
were acted on, as Discourse scores flags), then age. Personal information about a living
person gets a due time, for takedown requests under data-protection law.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from moderation.case_models import (
    MAX_NOTE,
    REASONS,
    REPORT_TARGETS,
    Case,
    Report,
    require_choice,
)
from moderation.staff_notices import tell_moderators
from talk import policy, rate_limits
from talk.clock import utcnow
from talk.errors import Conflict, InvalidInput, NotAuthenticated, NotFound
from talk.extensions import db
from talk.limits import MAX_PROJECT_SLUG
from talk.models import Comment, Discussion, Project, User
from talk.pagination import Page, keyset_page
from talk.policy import Actor
from talk.services import reading
from talk.services.validation import clean_text

#: How much each reason weighs in a case's priority: personal information always comes first.
REASON_WEIGHT = {
    "personal_information": 10,
    "harassment": 4,
    "spam": 3,
    "off_topic": 1,
    "other": 1,
}


@dataclass(frozen=True)
class PersonInProject:
    """A person reported in one project (a profile is site-wide; moderation is per project),
    the target the ``report.create`` rule is asked about."""

    user: User
    project: Project


@dataclass(frozen=True)
class Target:
    """What a report is about, resolved and checked readable."""

    kind: str
    id: int
    project: Project
    subject: User
    board_id: int | None
    thing: Any

    @property
    def rule_target(self) -> Any:
        return PersonInProject(self.subject, self.project) if self.kind == "user" else self.thing


def resolve_target(
    viewer: Any, kind: str, target_id: int, project_slug: str | None = None
) -> Target:
    """The comment, discussion or person ``viewer`` may see, or 404 (a comment on a board
    they cannot read is not revealed). A person is reported in a project, named by slug."""
    require_choice("target_type", kind, REPORT_TARGETS)
    if kind == "comment":
        comment = reading.comment(viewer, target_id)
        if comment.is_deleted or (
            comment.is_hidden and not policy.may(viewer, "comment.read_hidden", comment)
        ):
            raise NotFound(f"No comment {target_id}.")
        discussion = comment.discussion
        return Target(
            kind, comment.id, discussion.project, comment.author, discussion.board_id, comment
        )
    if kind == "discussion":
        found = reading.discussion(viewer, target_id)
        return Target(kind, found.id, found.project, found.author, found.board_id, found)
    person = db.session.get(User, target_id)
    if person is None:
        raise NotFound(f"No user {target_id}.")
    if not project_slug:
        raise InvalidInput(
            "Name the project in which you report this person.",
            {"project": ["Required when reporting a person."]},
        )
    project = None
    if "\x00" not in project_slug and len(project_slug) <= MAX_PROJECT_SLUG:
        project = db.session.scalar(select(Project).where(Project.slug == project_slug))
    if project is None:
        raise NotFound(f"No project {project_slug!r}.")
    return Target(kind, person.id, project, person, None, person)


def reporter_weight(reporter: User, project: Project) -> int:
    """How much a reporter's word weighs: 1, plus their rank in the project (team and experts
    1, moderators and above 2), plus up to 3 for past reports that moderators acted on."""
    rank = min(policy.rank_in(reporter, project), 2)
    accurate = db.session.scalar(
        select(func.count(Report.id))
        .join(Case, Case.id == Report.case_id)
        .where(Report.reporter_id == reporter.id, Case.state == "actioned")
    )
    return 1 + max(rank, 0) + min(int(accurate or 0), 3)


def round_reports(case: Case) -> list[Report]:
    """The reports since the case last entered the queue."""
    return [r for r in case.reports if r.created_at >= case.opened_at]


def reprioritise(case: Case) -> None:
    """Recompute the case's reason, priority and due time from this round's reports."""
    current = round_reports(case)
    case.report_count = len(current)
    case.reason = max((r.reason for r in current), key=REASON_WEIGHT.__getitem__)
    case.priority = REASON_WEIGHT[case.reason] * 100 + sum(r.weight for r in current)
    if case.reason == "personal_information" and case.due_at is None:
        first = min(r.created_at for r in current if r.reason == "personal_information")
        hours = current_app.config["TALK_MODERATION_PI_DUE_HOURS"]
        case.due_at = first + timedelta(hours=hours)


def _case_for(target: Target) -> Case:
    """The target's case, locked, creating it (state open) if this is its first report; a
    concurrent first report that wins the race is joined, not refused."""
    query = select(Case).where(
        Case.project_id == target.project.id,
        Case.target_type == target.kind,
        Case.target_id == target.id,
    )
    case = db.session.scalar(query.with_for_update())
    if case is not None:
        return case
    case = Case(
        project_id=target.project.id,
        target_type=target.kind,
        target_id=target.id,
        subject_user_id=target.subject.id,
        board_id=target.board_id,
        state="open",
        reason="other",
        opened_at=utcnow(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(case)
            db.session.flush()
    except IntegrityError:  # another request created it first: join it
        found = db.session.scalar(query.with_for_update())
        if found is None:
            raise
        return found
    return case


def file_report(
    reporter: Actor,
    kind: str,
    target_id: int,
    reason: str,
    note: str = "",
    *,
    project_slug: str | None = None,
) -> Report:
    """``reporter`` reports a target: it joins the target's case (opening or reopening it).

    Refused: the same person reporting the same target while its case is open (409), or again
    after moderators decided on their report; reporting oneself (422). A dismissed or actioned
    case reopens only for someone who has not reported it before."""
    require_choice("reason", reason, REASONS)
    note = clean_text(note or "", "note", max_length=MAX_NOTE, required=False)
    target = resolve_target(reporter, kind, target_id, project_slug)
    policy.require(reporter, "report.create", target.rule_target)
    assert isinstance(reporter, User)  # the rule refuses the operator and visitors
    if target.subject.id == reporter.id:
        raise InvalidInput(
            "You cannot report yourself or your own writing.", {"target_id": ["Yours."]}
        )
    case = _case_for(target)
    earlier = [r for r in case.reports if r.reporter_id == reporter.id]
    if earlier and case.is_open:
        raise Conflict(
            "You have already reported this; moderators will look at it.",
            {"target_id": ["Already reported by you."]},
        )
    if earlier:
        raise Conflict(
            "You reported this before and moderators decided on it; see My reports.",
            {"target_id": ["Already reported and decided."]},
        )
    rate_limits.hit("report", reporter)  # after the checks: a refused report costs nothing
    now = utcnow()
    reopening = case.state != "open"
    first = not case.reports
    if not case.is_open:  # a new round: earlier reports were decided on
        case.opened_at, case.due_at = now, None
        case.claimed_by_id = case.claimed_at = None
    case.state = "open"  # a watched case comes back with its reports
    report = Report(
        case=case,
        reporter_id=reporter.id,
        reason=reason,
        note=note,
        weight=reporter_weight(reporter, target.project),
        created_at=now,
    )
    db.session.add(report)
    db.session.flush()
    reprioritise(case)
    db.session.flush()
    if first or reopening:
        _tell_moderators(reporter, case, target)
    return report


def _tell_moderators(actor: Actor, case: Case, target: Target) -> None:
    """Each moderator and admin of the project hears of a case entering the queue (the
    notifications package delivers it at their chosen frequency)."""
    text = f"New report in {target.project.title}: a {target.kind} ({case.reason_label})."
    tell_moderators(
        actor,
        target.project,
        "moderation.new_report",
        text,
        case_path(case),
        discussion=_discussion_of(target),
        comment=target.thing if isinstance(target.thing, Comment) else None,
    )


def flag_comment(comment: Comment, categories: list[str]) -> Report | None:
    """The system's report of a comment a ``flag`` watched word matched: it opens (or joins)
    the comment's case with no reporter, reason the first category when it names a report
    reason (``spam``) and ``other`` otherwise, the categories in its note. Once per case: a
    comment flagged again (edited) or a case moderators already decided is left as it is."""
    project = comment.discussion.project
    target = Target(
        "comment", comment.id, project, comment.author, comment.discussion.board_id, comment
    )
    case = _case_for(target)
    if any(r.reporter_id is None for r in case.reports):
        return None
    now = utcnow()
    first = not case.reports
    if not case.is_open and not first:
        return None
    reason = categories[0] if categories and categories[0] in REASONS else "other"
    report = Report(
        case=case,
        reporter_id=None,
        reason=reason,
        note=clean_text("Watched words: " + ", ".join(categories), "note", max_length=MAX_NOTE),
        weight=1,
        created_at=now,
    )
    db.session.add(report)
    db.session.flush()
    reprioritise(case)
    db.session.flush()
    if first:
        _tell_moderators(policy.OPERATOR, case, target)
    return report


def _discussion_of(target: Target) -> Discussion | None:
    if isinstance(target.thing, Comment):
        return target.thing.discussion
    return target.thing if isinstance(target.thing, Discussion) else None


def case_path(case: Case) -> str:
    """The case's page (a path: notices are also sent outside requests, where no URL is
    built)."""
    return f"/projects/{case.project.slug}/moderation/cases/{case.id}"


#: Where a reporter reads the outcomes of their reports.
MY_REPORTS_PATH = "/my/reports"


def outcome(report: Report) -> str:
    """What came of a report: ``pending``, or the state (``actioned``, ``dismissed``) of the
    decision made since it was filed."""
    case = report.case
    decided = case.resolved_at is not None and case.resolved_at >= report.created_at
    return case.state if decided and not case.is_open else "pending"


def my_reports(reporter: Any, *, cursor: str | None, limit: int) -> Page[Report]:
    """A reporter's reports, newest first, with their cases' outcomes (a visitor has none:
    log in)."""
    if not policy.is_logged_in(reporter) or policy.is_operator(reporter):
        raise NotAuthenticated("Log in to see your reports.")
    query = (
        select(Report)
        .where(Report.reporter_id == reporter.id)
        .options(
            selectinload(Report.case).selectinload(Case.project),
            selectinload(Report.case).selectinload(Case.subject_user),
        )
    )
    return keyset_page(query, [Report.id], cursor=cursor, limit=limit, descending=True)
