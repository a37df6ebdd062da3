"""The audit log: every moderation action is recorded once, in its own transaction, and
never changed.

Services call :func:`record` in the same transaction as the change they make, so an action
that rolls back leaves no entry and an entry never describes something that did not happen.
Nothing updates or deletes :class:`~moderation.models.AuditEntry` rows: the ORM refuses it and,
on PostgreSQL, a trigger does (``tests/moderation/test_audit.py``).
"""

from __future__ import annotations

from typing import Any

from moderation.models import TARGET_TYPES, AuditEntry
from talk import policy
from talk.clock import utcnow
from talk.extensions import db
from talk.models import Project, User
from talk.policy import Actor


def record(
    actor: Actor,
    action: str,
    *,
    project: Project | None,
    target_type: str,
    target_id: int | None,
    subject: User | None = None,
    case_id: int | None = None,
    reason: str = "",
    note: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append what ``actor`` did (flushed, so the caller's transaction holds it)."""
    if target_type not in TARGET_TYPES:
        raise ValueError(f"target_type {target_type!r}: one of {', '.join(TARGET_TYPES)}")
    entry = AuditEntry(
        project_id=None if project is None else project.id,
        actor_id=None if policy.is_operator(actor) else actor.id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        subject_user_id=None if subject is None else subject.id,
        case_id=case_id,
        reason=reason,
        note=note,
        before=before,
        after=after,
        created_at=utcnow(),
    )
    db.session.add(entry)
    db.session.flush()
    return entry
