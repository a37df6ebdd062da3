"""Noticing writes, for the page cache's two generations (docs/page-cache.md).

One place for the whole code base: engine listeners see every statement, whichever service,
command or worker sent it. The visitors' generation moves on an INSERT, UPDATE or DELETE of a
table pages show (not :data:`PRIVATE_TABLES`); the private one, which logged-in pages are kept
under, on any statement that may change a row a kept page shows, unless the statement names
the one person (or the people) it concerns (:data:`PERSONAL_TABLES`): then only their own
generations move (:func:`concerned`). Each moves at the first such write of a
transaction, at once, and again after the transaction commits (``Session.after_commit``, or the
connection's return to the pool for work outside a session) or at once when it rolls back: a
page read at generation *g* is stored under *g*, so a reader that started before a commit's last
bump stores a page nobody will read, and one that starts after it sees the commit.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool
from sqlalchemy.sql import operators
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import Delete, Insert, Update, UpdateBase
from sqlalchemy.sql.elements import (
    BinaryExpression,
    BindParameter,
    BooleanClauseList,
    ColumnClause,
    TextClause,
)

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

#: Tables whose rows each concern one person, shown only on that person's pages, and the
#: column naming them: a write whose statement names its people moves only their generations.
PERSONAL_TABLES = {"notifications": "user_id"}

#: Columns of :data:`PERSONAL_TABLES` no page shows (the email side's bookkeeping): an
#: ``UPDATE`` setting only these moves no generation at all.
UNSHOWN_COLUMNS = {"notifications": frozenset({"emailed_at", "waits_for", "email_after"})}

#: Tables no kept logged-in page reads (the worker's leases and queues, the email it sends and
#: the local mailbox it delivers to): writes to them move neither the private generation nor
#: anybody's. Checked by ``test_no_kept_page_reads_an_unshown_table_or_column``; a table read
#: by a page must never be here.
UNSHOWN_TABLES = frozenset(
    {
        "digests",
        "mailbox_messages",
        "newsletter_deliveries",
        "notification_events",
        "outbox_messages",
        "worker_leases",
    }
)

#: Connection flags: this transaction wrote rows pages show (see
#: :func:`_statement_changes_pages`); it wrote a row any kept page may show (the private
#: generation's); the people whose rows it wrote (their generations moved once already).
WROTE = "talk_page_cache_wrote"
WROTE_ANY = "talk_page_cache_wrote_any"
WROTE_FOR = "talk_page_cache_wrote_for"

_bump_after_commit: ContextVar[bool] = ContextVar("talk_page_cache_bump", default=False)
_bump_private_after_commit: ContextVar[bool] = ContextVar("talk_private_bump", default=False)
_bump_people_after_commit: ContextVar[frozenset[int]] = ContextVar(
    "talk_people_bump", default=frozenset()
)


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


def _bump_people(people: frozenset[int]) -> None:
    cache = _current_cache()
    if cache is not None and people:
        cache.personal.bump_people(people)


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


@event.listens_for(Engine, "after_cursor_execute")
def _noticed_any_write(
    conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any, *args: Any
) -> None:
    """Any statement that may change a row, whatever its table or origin (ORM, ``text()``,
    driver SQL): its request's page is not kept, and the first of a transaction moves the
    private generation at once (logged-in pages show private tables too), or only the
    generations of the people it concerns (:func:`concerned`)."""
    if not personal.is_write(statement) or not _changed_rows(cursor):
        return
    people = concerned(statement, context)
    if people is None:
        wrote_directly(conn)
    else:
        wrote_for(conn, people)


def _changed_rows(cursor: Any) -> bool:
    """Whether a write may have changed a row. Not when it changed none (a worker's poll: a
    conditional ``UPDATE`` that matched nothing): an idle ``talk worker`` did it at every job's
    tick, and each moved the private generation, so on a site with a worker few logged-in pages
    stayed kept (bench/RESULTS.md, fifth session). A statement returning rows (``RETURNING``)
    counts: SQLite counts them only as they are read."""
    return cursor.description is not None or cursor.rowcount != 0


def concerned(statement: str, context: Any) -> frozenset[int] | None:
    """Whose kept pages a write may change: nobody's (an empty set: a table or columns no kept
    page shows), the people it names (a row of :data:`PERSONAL_TABLES` whose person the
    statement binds), or anybody's (None: every other write, and any whose people cannot be
    told — raw SQL, ``INSERT … SELECT``, an ``UPDATE`` by id)."""
    table = _written_table(_RAW_WRITE.match(statement))
    if table in UNSHOWN_TABLES:
        return frozenset()
    column = PERSONAL_TABLES.get(table)
    if column is None:
        return None
    if _sets_only(statement, UNSHOWN_COLUMNS.get(table, frozenset())):
        return frozenset()
    return _people(context, column)


#: An ``UPDATE``'s SET list, and one assignment of a bound value to a column.
_SET_LIST = re.compile(
    r"\s*update\s+\S+\s+set\s+(.*?)(?:\s+(?:where|returning|from)\b.*)?$", re.I | re.S
)
_ASSIGNMENT = re.compile(
    r'\s*"?(\w+)"?\s*=\s*(?:\?|%s|%\(\w+\)s|:\w+|\$\d+)(?:::[\w ()\[\]]+)?\s*'  # PG: a cast
)


def _sets_only(statement: str, columns: frozenset[str]) -> bool:
    """Whether ``statement`` is an ``UPDATE`` setting only ``columns``, each to a bound value."""
    found = _SET_LIST.match(statement) if columns else None
    if found is None:
        return False
    assignments = [_ASSIGNMENT.fullmatch(part) for part in found[1].split(",")]
    return all(a is not None and a[1].lower() in columns for a in assignments)


def _people(context: Any, column: str) -> frozenset[int] | None:
    """The people an ORM or Core write binds in ``column``: each row's value of an ``INSERT …
    VALUES``, or an ``UPDATE``/``DELETE`` whose WHERE requires ``column = <bound value>``."""
    compiled = getattr(context, "compiled", None)
    rows = getattr(context, "compiled_parameters", None)
    if not isinstance(compiled, SQLCompiler) or not rows:
        return None
    statement = compiled.statement
    name: str | None = None
    if isinstance(statement, Insert) and statement.select is None:
        name = column  # an INSERT binds each value under its column's name
    elif isinstance(statement, Update | Delete):
        bound = _bound_person(statement, column)
        name = compiled.bind_names.get(bound) if bound is not None else None
    people = {row.get(name) for row in rows} if name is not None else {None}
    if not all(type(person) is int for person in people):
        return None
    return frozenset(people)  # type: ignore[arg-type]


def _bound_person(statement: Update | Delete, column: str) -> BindParameter[Any] | None:
    """The bound value the WHERE clause requires ``column`` of the written table to equal."""
    where = statement.whereclause
    terms = (
        where.clauses
        if isinstance(where, BooleanClauseList) and where.operator is operators.and_
        else [where]
    )
    table = getattr(statement.table, "name", None)
    for term in terms:
        if not isinstance(term, BinaryExpression) or term.operator is not operators.eq:
            continue
        for side, value in ((term.left, term.right), (term.right, term.left)):
            if (
                isinstance(side, ColumnClause)
                and side.name == column
                and getattr(side.table, "name", None) == table
                and isinstance(value, BindParameter)
            ):
                return value
    return None


def committed_directly(table: str | None = None) -> None:
    """A write on the DBAPI cursor that committed on its own (autocommit: no transaction, so
    none of SQLAlchemy's commit events): what its commit would do, once, after it. ``table``:
    the table it wrote, when no kept page reads it."""
    personal.note_write()
    if table not in UNSHOWN_TABLES:
        _bump_private()


def wrote_directly(conn: Connection, table: str | None = None) -> None:
    """``conn`` wrote a row: what :func:`_noticed_any_write` does, for code that writes on the
    DBAPI cursor past SQLAlchemy's events (the outbox's ``Ledger``, naming ``table``: no kept
    page reads the outbox, so no generation moves)."""
    personal.note_write()
    if table not in UNSHOWN_TABLES and not conn.info.get(WROTE_ANY):
        conn.info[WROTE_ANY] = True
        _bump_private()


def wrote_for(conn: Connection, people: frozenset[int]) -> None:
    """``conn`` wrote rows only ``people``'s pages show: their generations move at once (each
    once a transaction), and again after the commit."""
    personal.note_write()
    done: set[int] = conn.info.setdefault(WROTE_FOR, set())
    fresh = people - done
    if fresh:
        done |= fresh
        _bump_people(fresh)


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "release_savepoint")
def _committing(conn: Connection, *args: Any) -> None:
    """Called before the commit reaches the database: bump once more after it (below)."""
    if conn.info.pop(WROTE, False):
        _bump_after_commit.set(True)
    if conn.info.pop(WROTE_ANY, False):
        _bump_private_after_commit.set(True)
    people = conn.info.pop(WROTE_FOR, None)
    if people:
        _bump_people_after_commit.set(_bump_people_after_commit.get() | people)


@event.listens_for(Engine, "rollback")
def _rolling_back(conn: Connection, *args: Any) -> None:
    """The rows written go back: pages rendered meanwhile (in this transaction) are stale."""
    _bump_written(conn, conn.info.pop)


@event.listens_for(Engine, "rollback_savepoint")
def _rolling_back_savepoint(conn: Connection, *args: Any) -> None:
    """As a rollback, but the transaction goes on: what it wrote before the savepoint is still
    to be committed, so the bumps after its commit stay due (the flags are kept)."""
    _bump_written(conn, conn.info.get)


def _bump_written(conn: Connection, flag: Callable[[str, Any], Any]) -> None:
    """Move every generation ``conn``'s transaction wrote under, each flag read by ``flag``
    (``pop`` to clear it, ``get`` to keep it)."""
    if flag(WROTE, False):
        _bump()
    if flag(WROTE_ANY, False):
        _bump_private()
    _bump_people(frozenset(flag(WROTE_FOR, ())))


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
    people = _bump_people_after_commit.get()
    if people:
        _bump_people_after_commit.set(frozenset())
        _bump_people(people)
