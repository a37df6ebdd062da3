"""Reading a project's audit log: filters, cursor pages, and the rows of its exports (CSV that
spreadsheets cannot mistake for formulas, and JSON). Pages, exports and the API share it."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, select

from moderation.models import AuditEntry
from talk import policy
from talk.errors import InvalidInput
from talk.extensions import db
from talk.models import Project, User
from talk.pagination import Page, keyset_page

#: The most rows one export holds (newest first); narrow the dates for more.
EXPORT_LIMIT = 10_000
COLUMNS = (
    "id",
    "created_at",
    "actor",
    "action",
    "target_type",
    "target_id",
    "subject",
    "case_id",
    "reason",
    "note",
    "before",
    "after",
)


def _day(raw: str | None, name: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(
            f"{name} must be a date (YYYY-MM-DD).", {name: ["YYYY-MM-DD."]}
        ) from None


@dataclass
class AuditFilters:
    """action, actor and subject (usernames), and dates from/to (inclusive, UTC)."""

    action: str | None = None
    actor: str | None = None
    subject: str | None = None
    since: str | None = None
    until: str | None = None

    def apply(self, query: Select[Any]) -> Select[Any]:
        for name in ("action", "actor", "subject"):
            value = getattr(self, name)
            if value and ("\x00" in value or len(value) > 100):
                raise InvalidInput(f"{name} is not valid.", {name: ["Not valid."]})
        if self.action:
            query = query.where(AuditEntry.action == self.action)
        if self.actor:
            actor = select(User.id).where(User.username == self.actor).scalar_subquery()
            query = query.where(AuditEntry.actor_id == actor)
        if self.subject:
            subject = select(User.id).where(User.username == self.subject).scalar_subquery()
            query = query.where(AuditEntry.subject_user_id == subject)
        if (since := _day(self.since, "since")) is not None:
            query = query.where(AuditEntry.created_at >= datetime.combine(since, time(), UTC))
        if (until := _day(self.until, "until")) is not None:
            end = datetime.combine(until + timedelta(days=1), time(), UTC)
            query = query.where(AuditEntry.created_at < end)
        return query


def _query(viewer: Any, project: Project, filters: AuditFilters) -> Select[Any]:
    policy.require(viewer, "moderation.audit", project)
    return filters.apply(select(AuditEntry).where(AuditEntry.project_id == project.id))


def entries(
    viewer: Any, project: Project, filters: AuditFilters, *, cursor: str | None, limit: int
) -> Page[AuditEntry]:
    """A page of the project's audit log, newest first."""
    query = _query(viewer, project, filters)
    return keyset_page(query, [AuditEntry.id], cursor=cursor, limit=limit, descending=True)


def export_rows(viewer: Any, project: Project, filters: AuditFilters) -> list[dict[str, Any]]:
    """Every matching entry (up to :data:`EXPORT_LIMIT`, newest first) as plain values."""
    query = _query(viewer, project, filters).order_by(AuditEntry.id.desc()).limit(EXPORT_LIMIT)
    return [as_dict(entry) for entry in db.session.scalars(query)]


def as_dict(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "created_at": entry.created_at.isoformat(),
        "actor": entry.actor.username if entry.actor else None,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "subject": entry.subject_user.username if entry.subject_user else None,
        "case_id": entry.case_id,
        "reason": entry.reason,
        "note": entry.note,
        "before": entry.before,
        "after": entry.after,
    }


#: What a spreadsheet may read as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(value: Any) -> str:
    """A cell's text, with a leading quote where a spreadsheet would start a formula
    (OWASP's advice for CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(rows: list[dict[str, Any]]) -> str:
    """The rows as CSV, header first, every cell formula-safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([formula_safe(_cell(row[c])) for c in COLUMNS])
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value
