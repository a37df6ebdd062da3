"""A newsletter batch's statements (``newsletter_sending.move``, and the outbox drain's claim)
with the same short text at every batch, whatever its people: on PostgreSQL psycopg parsed
each batch's long texts again (200 ids in each ``IN``, 2,400 placeholders in the ``INSERT``,
200 ``WHEN``s in the ``UPDATE``: it caches no text past 4 KB), which was a third of ``move``'s
CPU there. So on PostgreSQL a batch's values go as arrays (``= ANY``, ``unnest``) and its
outbox rows as one JSON document. On SQLite SQLAlchemy built, bound and expanded an ``IN``
list value by value and sqlite3 prepared each new text again: the ids go as one JSON array
(``json_each``), the outbox rows as one multi-row ``INSERT`` and the deliveries' ``UPDATE``
per row through ``executemany``, both on the driver's own text."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Dialect,
    Integer,
    String,
    any_,
    bindparam,
    cast,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.types import TypeEngine

from talk.extensions import db
from talk.models._types import UTCDateTime


def _postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def among(
    column: ColumnElement[Any] | QueryableAttribute[Any], values: Sequence[Any]
) -> ColumnElement[bool]:
    """``column IN values`` as the same short text for any number of values: one array
    parameter on PostgreSQL (``= ANY``), a JSON array read by ``json_each`` on SQLite. An
    ``IN`` list of 200 values was built, bound and expanded by SQLAlchemy value by value at
    every batch, and prepared again by SQLite as a new text (a fifth of ``move``'s CPU)."""
    if not _postgresql():
        listed = func.json_each(bindparam(None, json.dumps(list(values)), type_=String()))
        return column.in_(select(listed.table_valued("value").c.value))
    if isinstance(column.type, Integer):  # written by us: psycopg dumps lists element by element
        ids = cast(bindparam(None, _int_array(values), type_=String()), ARRAY(BigInteger()))
        return column == any_(ids)
    return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))


def _int_array(values: Sequence[int]) -> str:
    """PostgreSQL's text of a ``BIGINT[]`` (``{1,2,3}``)."""
    return "{" + ",".join(str(int(value)) for value in values) + "}"


# newsletter_deliveries' batch taking its outbox rows (only those still queued without one).
# The ids again as `id = ANY`: an index condition on the primary key whatever the statistics.
# With only the join, statistics that thought few rows had no outbox row (a table analysed
# before its newsletter started) made PostgreSQL scan every such row and compare each with
# the batch's 200: 1.5 s a batch at 100,000 recipients, 3 ms with it (docs/newsletters.md).
_HANDED_POSTGRESQL = text(
    "UPDATE newsletter_deliveries SET state = 'sending', reason = NULL,"
    " outbox_id = handed.outbox_id, updated_at = :now"
    " FROM unnest(CAST(:ids AS BIGINT[]), CAST(:outbox_ids AS BIGINT[]))"
    " AS handed (id, outbox_id)"
    " WHERE newsletter_deliveries.id = handed.id"
    " AND newsletter_deliveries.id = ANY(CAST(:ids AS BIGINT[]))"
    " AND newsletter_deliveries.state = 'queued' AND newsletter_deliveries.outbox_id IS NULL"
).bindparams(
    bindparam("now", type_=UTCDateTime()),
    bindparam("ids", type_=String()),  # BIGINT[]'s text (_int_array)
    bindparam("outbox_ids", type_=String()),
)
# SQLite: one row's UPDATE through sqlite3's executemany (the driver's own text, the time
# processed once, not once a row by SQLAlchemy).
_HANDED_ONE = (
    "UPDATE newsletter_deliveries SET state = 'sending', reason = NULL,"
    " outbox_id = ?, updated_at = ?"
    " WHERE id = ? AND state = 'queued' AND outbox_id IS NULL"
)


def hand_over(handed: dict[int, int], now: datetime) -> int:
    """Mark the deliveries ``handed`` (delivery id → its outbox row's id) ``sending`` with
    their rows, each only if still queued without one; returns how many changed."""
    if not handed:
        return 0
    if _postgresql():
        ids, outbox_ids = _int_array(list(handed)), _int_array(list(handed.values()))
        values = {"now": now, "ids": ids, "outbox_ids": outbox_ids}
        result: Any = db.session.execute(_HANDED_POSTGRESQL.params(values))
        return int(result.rowcount)
    connection = db.session.connection()
    stamp = _bound(UTCDateTime(), connection.dialect)(now)
    rows = [(outbox_id, stamp, delivery_id) for delivery_id, outbox_id in handed.items()]
    summed = connection.exec_driver_sql(_HANDED_ONE, rows)  # executemany: rows summed
    return int(summed.rowcount)


# The outbox rows of a batch (outbox.enqueue_many on PostgreSQL), in the order given: the
# INSERT … SELECT … ORDER BY numbers them in that order, as SQLAlchemy's own bulk INSERT relies
# on (its "autoincrement sentinel"), and the ids are sorted back. The rows go as one JSON text:
# as arrays, psycopg escaped every body character by character (half of move's CPU then).
_COLUMNS: tuple[str, ...] = ("to_address", "user_id", "category", "subject", "text_body")
_COLUMNS += ("html_body", "headers", "state", "reason")
_READ = {
    "user_id": "CAST(queued.mail ->> 'user_id' AS BIGINT)",
    "headers": "queued.mail -> 'headers'",
}
_VALUES = [_READ.get(c, f"queued.mail ->> '{c}'") for c in _COLUMNS]
_QUEUED_POSTGRESQL = text(
    f"INSERT INTO outbox_messages ({', '.join(_COLUMNS)}, attempts, next_attempt_at, created_at)"  # noqa: S608 - names ours
    f" SELECT {', '.join(_VALUES)}, 0, :now, :now"
    " FROM json_array_elements(CAST(:rows AS JSON)) WITH ORDINALITY AS queued (mail, n)"
    " ORDER BY queued.n RETURNING id"
).bindparams(bindparam("now", type_=UTCDateTime()))


def insert_outbox_rows(rows: Sequence[dict[str, Any]], now: datetime) -> list[int]:
    """Insert outbox rows as ``outbox._row`` makes them (attempts 0, due and created ``now``)
    in one statement of constant text; their ids in the order of ``rows``."""
    if not _postgresql():
        return _insert_outbox_rows_sqlite(rows, now)
    document = json.dumps([{c: row[c] for c in _COLUMNS} for row in rows], ensure_ascii=False)
    return sorted(db.session.scalars(_QUEUED_POSTGRESQL.params(rows=document, now=now)))


def _insert_outbox_rows_sqlite(rows: Sequence[dict[str, Any]], now: datetime) -> list[int]:
    """SQLite: one multi-row ``INSERT … VALUES … RETURNING id`` of the driver's own text (the
    same for every batch of a size), the values bound by the columns' own processors, ``now``
    once: SQLAlchemy's bulk path processed each of a batch's 2,400 values (a third of
    ``outbox.enqueue_many``). The ids ascend in the order of the rows (a rowid table, one
    writer), as SQLAlchemy's own bulk ``INSERT`` relies on; ``RETURNING`` gives them in no
    promised order, so they are sorted back."""
    connection = db.session.connection()
    ids: list[int] = []
    for first in range(0, len(rows), SQLITE_ROWS):  # within SQLite's limit of bound values
        chunk = rows[first : first + SQLITE_ROWS]
        text_, headers, at = _sqlite_insert(connection.dialect, len(chunk))
        stamp = at(now)
        values: list[Any] = []
        for row in chunk:
            values += [row[c] for c in _COLUMNS[:6]]
            values += (headers(row["headers"]), row["state"], row["reason"], 0, stamp, stamp)
        ids += sorted(id_ for (id_,) in connection.exec_driver_sql(text_, tuple(values)))
    return ids


#: Rows per SQLite ``INSERT`` (12 values each; SQLite binds at most 32,766).
SQLITE_ROWS = 500


@cache
def _sqlite_insert(
    dialect: Dialect, size: int
) -> tuple[str, Callable[[Any], Any], Callable[[Any], Any]]:
    """The ``INSERT`` of ``size`` outbox rows, and the processors of ``headers`` (JSON) and of
    the times."""
    from notifications.models import OutboxMessage

    table = OutboxMessage.__table__
    columns = (*_COLUMNS, "attempts", "next_attempt_at", "created_at")
    row = "(" + ", ".join("?" * len(columns)) + ")"
    text_ = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES "  # noqa: S608 - names ours
        + ", ".join([row] * size)
        + " RETURNING id"
    )

    return text_, _bound(table.c.headers.type, dialect), _bound(table.c.created_at.type, dialect)


def _bound(type_: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any]:
    """What SQLAlchemy's own statements bind for a value of ``type_`` on ``dialect`` (a time
    as the same text), for a statement of the driver's own."""
    process = type_.dialect_impl(dialect).bind_processor(dialect)
    return process if process is not None else lambda value: value
