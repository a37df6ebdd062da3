"""What moderators do with a case: a small registry of actions, name → function.

Every action runs in the request's transaction, checks ``case.act`` in the one policy, writes
one audit entry, and (when it resolves the case) records who, when and why and tells the
reporters. Pages and the API list and dispatch the same registry, so an action added here (the
sanctions' warn, mute, suspend) appears on both with one :func:`register` line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from moderation import audit, sanctions
from moderation.case_models import MAX_NOTE, REASONS, Case, require_choice
from moderation.cases import target_of
from moderation.models import AuditEntry
from moderation.reports import MY_REPORTS_PATH
from moderation.sanction_models import Sanction
from talk import policy, signals
from talk.clock import utcnow
from talk.errors import Conflict, InvalidInput
from talk.extensions import db
from talk.models import Comment
from talk.policy import Actor
from talk.services import discussions
from talk.services.validation import clean_text

#: ``run(actor, case, target, reason, note, params)``: does the action; answers the audit
#: entry's (before, after).
Run = Callable[
    [Actor, Case, Any, str, str, dict[str, Any]],
    "tuple[dict[str, Any] | None, dict[str, Any] | None]",
]


@dataclass(frozen=True)
class CaseAction:
    name: str
    label: str
    #: the target types it applies to
    targets: tuple[str, ...]
    run: Run
    #: whether it applies now (a comment already hidden cannot be hidden)
    applies: Callable[[Case, Any], bool]
    #: the case's state afterwards; ``None`` leaves it
    state: str | None = "actioned"
    #: pages ask for confirmation first
    destructive: bool = False
    #: a reason category (:data:`REASONS`) is required
    needs_reason: bool = False
    #: what the audit log calls it
    audit_action: str = ""
    #: the run writes its own audit entry (a sanction service does), so perform() adds none
    records_itself: bool = False
    #: the action takes a number of days (``params["days"]``; a mute, a suspension)
    takes_days: bool = False


ACTIONS: dict[str, CaseAction] = {}

_IN_CASE_ACTION: ContextVar[bool] = ContextVar("moderation_case_action", default=False)


@contextmanager
def case_action() -> Iterator[None]:
    """Mark the block as a case action, which records itself: the receivers of the core's
    comment signals (:mod:`moderation.case_receivers`) then stay quiet."""
    token = _IN_CASE_ACTION.set(True)
    try:
        yield
    finally:
        _IN_CASE_ACTION.reset(token)


def in_case_action() -> bool:
    return _IN_CASE_ACTION.get()


def register(action: CaseAction) -> CaseAction:
    """Add an action to the registry (the merge adds the sanctions with one line each)."""
    ACTIONS[action.name] = action
    return action


def available(case: Case, target: Any) -> list[CaseAction]:
    """The actions that apply to this case now, in registry order."""
    return [
        a for a in ACTIONS.values() if case.target_type in a.targets and a.applies(case, target)
    ]


def perform(
    actor: Actor,
    case: Case,
    name: str,
    *,
    reason: str = "",
    note: str = "",
    params: dict[str, Any] | None = None,
) -> Case:
    """Do action ``name`` on ``case``: checked, audited, resolving the case if it says so."""
    policy.require(actor, "case.act", case)
    names = [a.name for a in ACTIONS.values() if case.target_type in a.targets]
    require_choice("action", name, names, f" for a {case.target_type}")
    action = ACTIONS[name]
    reason = (reason or "").strip()
    if reason:
        require_choice("reason", reason, REASONS)
    if action.needs_reason and not reason:
        raise InvalidInput("Choose a reason for this action.", {"reason": ["Required."]})
    note = clean_text(note or "", "note", max_length=MAX_NOTE, required=False)
    target = target_of(case)
    if not action.applies(case, target):
        raise Conflict(
            f"“{action.label}” does not apply to this case now.", {"action": ["Not now."]}
        )
    with case_action():
        before, after = action.run(actor, case, target, reason, note, params or {})
    if not action.records_itself:
        audit.record(
            actor,
            action.audit_action or f"case.{action.name}",
            project=case.project,
            target_type=case.target_type,
            target_id=case.target_id,
            subject=case.subject_user,
            case_id=case.id,
            reason=reason,
            note=note,
            before=before,
            after=after,
        )
    if action.state is not None and action.state != case.state:  # hide, then suspend: once
        settle(actor, case, action, reason, note)
    db.session.flush()
    return case


def settle(actor: Actor, case: Case, action: CaseAction, reason: str, note: str) -> None:
    """Move the case to the action's state; a resolution records who, when and why and tells
    each reporter of this round the outcome."""
    assert action.state is not None
    resolving = action.state in ("actioned", "dismissed")
    case.state = action.state
    case.claimed_by_id = case.claimed_at = None
    case.resolution, case.resolution_reason, case.resolution_note = action.name, reason, note
    case.resolved_by_id = None if policy.is_operator(actor) else actor.id
    case.resolved_at = utcnow()
    if not resolving:
        return
    outcome = OUTCOMES.get(action.state, action.state)
    for report in case.reports:
        if report.created_at < case.opened_at or report.reporter is None:
            continue  # an earlier round's, or the system's (a watched word: nobody to tell)
        signals.notice.send(
            report.reporter,
            actor=actor,
            project=case.project,
            kind="moderation.report_outcome",
            text=f"Your report of a {case.target_type} in {case.project.title} was reviewed: "
            f"{outcome}.",
            url=MY_REPORTS_PATH,
            discussion=None,
            comment=None,
        )


#: What a reporter is told.
OUTCOMES = {
    "actioned": "a moderator took action",
    "dismissed": "a moderator found nothing that breaks the rules",
}


def on_author(decide: Callable[..., Any], *, takes_days: bool = False) -> Run:
    """A case action from a service that decides about the case's author in its project,
    ``decide(actor, project, person, reason=..., note=..., case_id=..., [days=...])``, and
    records itself (the sanctions' warn, mute, suspend). At the merge, one line each:
    ``register(CaseAction("suspend", "Suspend the author", ALL_TARGETS,
    on_author(sanctions.suspend, takes_days=True), is_open, needs_reason=True,
    records_itself=True, takes_days=True))``."""

    def run(
        actor: Actor, case: Case, _target: Any, reason: str, note: str, params: dict[str, Any]
    ) -> tuple[None, None]:
        days = {"days": params.get("days")} if takes_days else {}
        decide(
            actor,
            case.project,
            case.subject_user,
            reason=reason,
            note=note,
            case_id=case.id,
            **days,
        )
        return None, None

    return run


def is_open(case: Case, _target: Any) -> bool:
    return case.is_open


def _nothing(*_: Any) -> tuple[None, None]:
    return None, None


def _is_comment(target: Any) -> bool:
    return isinstance(target, Comment) and not target.is_deleted


def tell_author(actor: Actor, comment: Comment, kind: str, verb: str, why: str = "") -> None:
    """Tell a comment's author what a moderator did to it, and why."""
    because = f": {why}" if why else ""
    signals.notice.send(
        comment.author,
        actor=actor,
        project=comment.discussion.project,
        kind=kind,
        text=f"A moderator {verb} your comment in “{comment.discussion.title}”{because}.",
        url=f"/comments/{comment.id}",
        discussion=comment.discussion,
        comment=comment,
    )


def _hide(
    actor: Actor, case: Case, comment: Comment, reason: str, _note: str, _params: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Hide with the reason's category, which others see ("Hidden by a moderator: Spam");
    the author still reads their text and the reason, and is told."""
    label = REASONS[reason]
    discussions.hide_comment(actor, comment, label)  # type: ignore[arg-type]
    tell_author(actor, comment, "moderation.hidden", "hid", label)
    return {"hidden": False}, {"hidden": True, "reason": label}


def _restore(
    actor: Actor, _case: Case, comment: Comment, _reason: str, _note: str, _p: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    before = {"hidden": True, "reason": comment.hidden_reason}
    discussions.unhide_comment(actor, comment)  # type: ignore[arg-type]
    return before, {"hidden": False}


def _delete(
    actor: Actor, case: Case, comment: Comment, reason: str, _note: str, _p: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    discussions.delete_comment(actor, comment)  # type: ignore[arg-type]
    tell_author(actor, comment, "moderation.deleted", "deleted", REASONS.get(reason, ""))
    return {"deleted": False}, {"deleted": True}


ALL_TARGETS = ("comment", "discussion", "user")

register(CaseAction("dismiss", "Dismiss", ALL_TARGETS, _nothing, is_open, "dismissed"))
register(
    CaseAction("watch", "Watch", ALL_TARGETS, _nothing, lambda c, _t: c.state == "open", "watched")
)
register(
    CaseAction(
        "hide",
        "Hide the comment",
        ("comment",),
        _hide,
        lambda _c, t: _is_comment(t) and not t.is_hidden,
        destructive=True,
        needs_reason=True,
        audit_action="comment.hide",
    )
)
register(
    CaseAction(
        "restore",
        "Show the comment again",
        ("comment",),
        _restore,
        lambda _c, t: _is_comment(t) and t.is_hidden,
        state="dismissed",
        audit_action="comment.restore",
    )
)
register(
    CaseAction(
        "delete",
        "Delete the comment",
        ("comment",),
        _delete,
        lambda _c, t: _is_comment(t),
        destructive=True,
        audit_action="comment.delete",
    )
)


def _always(_case: Case, _target: Any) -> bool:
    """A decision about the author applies whatever the case's state (hide, then suspend)."""
    return True


for _name, _label, _decide, _takes_days in (
    ("warn", "Warn the author", sanctions.warn, False),
    ("mute", "Mute the author (read-only)", sanctions.mute, True),
    ("suspend", "Suspend the author", sanctions.suspend, True),
):
    register(
        CaseAction(
            _name,
            _label,
            ALL_TARGETS,
            on_author(_decide, takes_days=_takes_days),
            _always,
            needs_reason=True,
            records_itself=True,
            takes_days=_takes_days,
        )
    )


@dataclass(frozen=True)
class Decision:
    """One thing a moderator did on a case: its audit entry, the action's label, and for a
    decision about the author the sanction it made (its end, whether it was lifted)."""

    entry: AuditEntry
    label: str
    sanction: Sanction | None


def _audit_name(action: CaseAction) -> str:
    if action.records_itself:  # the sanction services record ``user.<kind>``
        return f"user.{action.name}"
    return action.audit_action or f"case.{action.name}"


def decisions(case: Case) -> list[Decision]:
    """Every decision on the case, newest first: each audit entry naming it. A case can be
    acted on more than once (the comment hidden, then its author suspended), and its
    ``resolution`` columns keep only the last."""
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.case_id == case.id).order_by(AuditEntry.id.desc())
    ).all()
    made = {
        s.id: s for s in db.session.scalars(select(Sanction).where(Sanction.case_id == case.id))
    }
    labels = {_audit_name(a): a.label for a in ACTIONS.values()}
    return [
        Decision(
            entry,
            labels.get(entry.action, entry.action),
            made.get((entry.after or {}).get("sanction_id", 0)),
        )
        for entry in entries
    ]
