"""Noticing writes, for the page cache's two generations (docs/page-cache.md).

One place for the whole code base: engine listeners see every statement, whichever service,
command or worker sent it. The visitors' generation moves on an INSERT, UPDATE or DELETE of a
table pages show (not :data:`PRIVATE_TABLES`); the private one, which logged-in pages are kept
under, on any statement that may change a row. Each moves at the first such write of a
transaction, at once, and again after the transaction commits (``Session.after_commit``, or the
connection's return to the pool for work outside a session) or at once when it rolls back: a
page read at generation *g* is stored under *g*, so a reader that started before a commit's last
bump stores a page nobody will read, and one that starts after it sees the commit.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.elements import TextClause

from talk import page_cache_personal as personal

if TYPE_CHECKING:
    from talk.page_cache import PageCache

EXTENSION = "talk_page_cache"

#: Tables whose rows no anonymous page shows: writes to them (a login's token, a notification,
#: an email queued, a visitor's acknowledgement) do not move the generation. Every other table
#: does, including tables added later: forgetting one here costs hits, never correctness.
PRIVATE_TABLES = frozenset(
    {
        "api_tokens",
        "content_warning_acknowledgements",
        "digests",
        "email_preferences",
        "email_switches",
        "mail_addresses",
        "mailbox_messages",
        "moderation_notes",
        "moderation_reports",
        "newsletter_consent_events",
        "newsletter_consents",
        "newsletter_deliveries",
        "notification_events",
        "notification_preferences",
        "notifications",
        "outbox_messages",
        "pending_registrations",
        "user_blocks",
        "user_mutes",
        "worker_leases",
    }
)

#: Connection flags: this transaction wrote rows pages show (see
#: :func:`_statement_changes_pages`); it wrote any row at all (the private generation's).
WROTE = "talk_page_cache_wrote"
WROTE_ANY = "talk_page_cache_wrote_any"

_bump_after_commit: ContextVar[bool] = ContextVar("talk_page_cache_bump", default=False)
_bump_private_after_commit: ContextVar[bool] = ContextVar("talk_private_bump", default=False)


#: A raw write's verb and, when it starts with one, its table.
_RAW_WRITE = re.compile(
    r'\s*(?:(?:insert|replace|merge)\s+into|update|delete\s+from)\s+"?(\w+)|\s*(insert|update'
    r"|delete|replace|merge)\b",
    re.I,
)


def _statement_changes_pages(statement: Any) -> bool:
    if isinstance(statement, UpdateBase):
        table = getattr(statement, "table", None)
        return getattr(table, "name", None) not in PRIVATE_TABLES
    if isinstance(statement, TextClause):
        # A raw write names its table as an ORM one does (the newsletter's batch statements on
        # newsletter_deliveries and outbox_messages: private); any other shape counts.
        found = _RAW_WRITE.match(statement.text)
        if found is None:  # a WITH … UPDATE, or DDL: it may change what pages show
            return personal.is_write(statement.text)
        return _written_table(found) not in PRIVATE_TABLES
    return False


def _written_table(found: re.Match[str] | None) -> str:
    """The table a :data:`_RAW_WRITE` match names, lower-cased ("" when it names none)."""
    return (found[1] or "").lower() if found is not None else ""


def _current_cache() -> PageCache | None:
    if not has_app_context():
        return None
    cache: PageCache | None = current_app.extensions.get(EXTENSION)
    return cache


def _bump() -> None:
    cache = _current_cache()
    if cache is not None:
        cache.bump()


def _bump_private() -> None:
    cache = _current_cache()
    if cache is not None:
        cache.personal.bump()


@event.listens_for(Engine, "after_execute")
def _noticed_write(conn: Connection, statement: Any, *args: Any) -> None:
    """The first write of a transaction to a table pages show moves the generation at once
    (not one that changed no row: an idle worker's tick ended newsletters that had none)."""
    if conn.info.get(WROTE) or not _statement_changes_pages(statement):
        return
    result = args[-1] if args else None
    if result is not None and not result.returns_rows and result.rowcount == 0:
        return
    conn.info[WROTE] = True
    _bump()


#: The one table no page shows, logged in or not: the worker's leases, renewed at every job's
#: tick.
_UNSHOWN = "worker_leases"


@event.listens_for(Engine, "after_cursor_execute")
def _noticed_any_write(conn: Connection, cursor: Any, statement: str, *args: Any) -> None:
    """Any statement that may change a row, whatever its table or origin (ORM, ``text()``,
    driver SQL): its request's page is not kept, and the first of a transaction moves the
    private generation at once (logged-in pages show private tables too)."""
    if personal.is_write(statement) and _changed_rows(cursor, statement):
        wrote_directly(conn)


def _changed_rows(cursor: Any, statement: str) -> bool:
    """Whether a write may have changed a row some page shows. Not when it changed none (a
    worker's poll: a conditional ``UPDATE`` that matched nothing), nor a lease's renewal: an
    idle ``talk worker`` did both at every job's tick, and each moved the private generation,
    so on a site with a worker few logged-in pages stayed kept (bench/RESULTS.md, fifth
    session). A statement returning rows (``RETURNING``) counts: SQLite counts them only as
    they are read."""
    if cursor.description is None and cursor.rowcount == 0:
        return False
    return _written_table(_RAW_WRITE.match(statement)) != _UNSHOWN


def committed_directly() -> None:
    """A write on the DBAPI cursor that committed on its own (autocommit: no transaction, so
    none of SQLAlchemy's commit events): what its commit would do, once, after it."""
    personal.note_write()
    _bump_private()


def wrote_directly(conn: Connection) -> None:
    """``conn`` wrote a row: what :func:`_noticed_any_write` does, for code that writes on the
    DBAPI cursor past SQLAlchemy's events (the outbox's ``Ledger``; its tables are private, so
    only the private generation moves)."""
    personal.note_write()
    if not conn.info.get(WROTE_ANY):
        conn.info[WROTE_ANY] = True
        _bump_private()


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "release_savepoint")
def _committing(conn: Connection, *args: Any) -> None:
    """Called before the commit reaches the database: bump once more after it (below)."""
    if conn.info.pop(WROTE, False):
        _bump_after_commit.set(True)
    if conn.info.pop(WROTE_ANY, False):
        _bump_private_after_commit.set(True)


@event.listens_for(Engine, "rollback")
@event.listens_for(Engine, "rollback_savepoint")
def _rolling_back(conn: Connection, *args: Any) -> None:
    """The rows written go back: pages rendered meanwhile (in this transaction) are stale."""
    if conn.info.pop(WROTE, False):
        _bump()
    if conn.info.pop(WROTE_ANY, False):
        _bump_private()


@event.listens_for(Session, "after_commit")
def _session_committed(session: Session) -> None:
    _after_commit()


@event.listens_for(Pool, "checkin")
def _connection_returned(*args: Any) -> None:
    """A connection used outside a session (``engine.begin()``) is returned after its commit."""
    _after_commit()


def after_commit() -> None:
    """The second bump of a commit, for a connection that stays checked out after it (the
    ``Ledger``'s, held for a batch): the pool's check-in would be too late."""
    _after_commit()


def _after_commit() -> None:
    if _bump_after_commit.get():
        _bump_after_commit.set(False)
        _bump()
    if _bump_private_after_commit.get():
        _bump_private_after_commit.set(False)
        _bump_private()
