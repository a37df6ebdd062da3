"""The audit log is append-only: recorded in the action's transaction, never changed."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from moderation import audit
from moderation.models import AuditEntry, AuditImmutable
from talk import policy
from talk.extensions import db
from talk.models import Project, User
from tests.conftest import Factory


@pytest.fixture
def entry(app: Flask, make: Factory) -> int:
    moderator, author = make.user(), make.user()
    project = make.project()
    with make.context():
        row = audit.record(
            db.session.get(User, moderator.id),
            "comment.hide",
            project=db.session.get(Project, project.id),
            target_type="comment",
            target_id=7,
            subject=db.session.get(User, author.id),
            reason="spam",
            note="Selling watches",
            before={"visible": True},
            after={"visible": False},
        )
        return row.id


def test_an_entry_records_who_did_what_to_whom(app: Flask, entry: int) -> None:
    with app.app_context():
        row = db.session.get(AuditEntry, entry)
        assert row is not None
        assert (row.action, row.target_type, row.target_id, row.reason) == (
            "comment.hide",
            "comment",
            7,
            "spam",
        )
        assert row.actor is not None and row.subject_user is not None
        assert row.actor_id != row.subject_user_id
        assert (row.before, row.after) == ({"visible": True}, {"visible": False})


def test_the_operator_is_recorded_as_nobody(app: Flask, make: Factory) -> None:
    project = make.project()
    with make.context():
        row = audit.record(
            policy.OPERATOR,
            "user.ban",
            project=db.session.get(Project, project.id),
            target_type="user",
            target_id=None,
        )
        assert row.actor_id is None


def test_an_unknown_target_type_is_refused(app: Flask) -> None:
    with app.app_context(), pytest.raises(ValueError, match="target_type"):
        audit.record(policy.OPERATOR, "x", project=None, target_type="poem", target_id=1)


def test_the_orm_refuses_to_change_or_delete_an_entry(app: Flask, entry: int) -> None:
    with app.app_context():
        row = db.session.get(AuditEntry, entry)
        assert row is not None
        row.note = "nothing happened"
        with pytest.raises(AuditImmutable):
            db.session.flush()
        db.session.rollback()
        row = db.session.get(AuditEntry, entry)
        db.session.delete(row)
        with pytest.raises(AuditImmutable):
            db.session.flush()
        db.session.rollback()
        assert db.session.get(AuditEntry, entry) is not None


@pytest.mark.parametrize(
    "statement",
    [
        update(AuditEntry).values(note="rewritten"),
        delete(AuditEntry),
    ],
    ids=["update", "delete"],
)
def test_postgresql_refuses_bulk_and_raw_changes(app: Flask, entry: int, statement: object) -> None:
    """A bulk statement skips the ORM's guard; on PostgreSQL the trigger still refuses it."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the trigger is PostgreSQL's; SQLite relies on the ORM guard")
        with pytest.raises(DBAPIError, match="append-only"), db.session.begin_nested():
            db.session.execute(statement)  # type: ignore[call-overload]
        with pytest.raises(DBAPIError, match="append-only"), db.session.begin_nested():
            db.session.execute(text("DELETE FROM moderation_audit"))
        assert db.session.scalar(select(AuditEntry.note).where(AuditEntry.id == entry)) == (
            "Selling watches"
        )


def test_no_code_updates_or_deletes_audit_rows() -> None:
    """Every module that names AuditEntry only adds rows (the ORM guard cannot see bulk
    statements on SQLite, so this reads the source)."""
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[2]
    offenders = []
    for path in [
        *root.glob("talk/**/*.py"),
        *root.glob("moderation/**/*.py"),
        *root.glob("notifications/**/*.py"),
    ]:
        source = path.read_text()
        if (
            re.search(
                r"(update|delete)\(\s*AuditEntry\b|moderation_audit\b.*\b(UPDATE|DELETE)\b", source
            )
            and "migrations" not in path.parts
        ):
            offenders.append(str(path.relative_to(root)))
    assert offenders == []
