"""The outbox drain's per-message ``UPDATE``s (:class:`notifications.ledger.Ledger`) as the
driver's own SQL: built once per shape, run straight on the DBAPI cursor, because SQLAlchemy's
statement path cost several times the statement (``bench/newsletters.py``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Dialect

from notifications.models import OutboxMessage

_TABLE = OutboxMessage.__table__


@cache
def update_sql(dialect: Dialect, columns: tuple[str, ...], rows: str) -> Sql:
    """``UPDATE`` of ``columns`` of rows a worker still holds (bound as ``worker``): ``one``
    (bound as ``row``), ``all`` of them, or ``one-then-next``: ``row``'s columns and the
    ``handed_at`` of the next row to send (``then``, ``then_handed_at``) in one statement;
    ``both-or-neither`` is that statement changing the two rows only if both are still the
    worker's (it counts them first; PostgreSQL locks them), so that it can commit on its own. As
    the driver's own SQL with the columns' bind processors: built once per shape, run straight
    on the DBAPI cursor (SQLAlchemy's statement path cost several times the statement)."""

    def bound(name: str) -> str:
        return f":{name}" if dialect.paramstyle in ("named", "qmark") else f"%({name})s"

    if rows in ("one-then-next", "both-or-neither"):
        row_is = f"id = {bound('row')}"
        sets = [
            f"{c} = CASE WHEN {row_is} THEN {bound(c)} ELSE {c} END"
            for c in columns
            if c != "handed_at"
        ]
        kept = bound("handed_at") if "handed_at" in columns else "handed_at"
        marked = f"CASE WHEN id = {bound('then')} THEN {bound('then_handed_at')} ELSE {kept} END"
        sets.append(f"handed_at = {marked}")
        which = f"id IN ({bound('row')}, {bound('then')}) AND "
    else:
        sets = [f"{column} = {bound(column)}" for column in columns]
        which = f"id = {bound('row')} AND " if rows == "one" else ""
    where = f"{which}state = 'sending' AND claimed_by = {bound('worker')}"
    table = _TABLE.name
    sets_sql = ", ".join(sets)
    if rows == "both-or-neither" and dialect.name == "postgresql":
        # The two rows locked (re-read if changed meanwhile), counted, then updated.
        held = f"SELECT id FROM {table} WHERE {where} FOR UPDATE"  # noqa: S608 - names ours
        where = "id IN (SELECT id FROM held) AND (SELECT count(*) FROM held) = 2"
        sql = f"WITH held AS ({held}) UPDATE {table} SET {sets_sql} WHERE {where}"  # noqa: S608
    elif rows == "both-or-neither":  # SQLite: one writer; sqlite3 counts no WITH … UPDATE
        counted = f"(SELECT count(*) FROM {table} WHERE {where}) = 2"  # noqa: S608 - names ours
        sql = f"UPDATE {table} SET {sets_sql} WHERE {where} AND {counted}"  # noqa: S608
    else:
        sql = f"UPDATE {table} SET {sets_sql} WHERE {where}"  # noqa: S608 - names ours
    processors: dict[str, Callable[[Any], Any]] = {}
    for column in (*columns, "handed_at"):
        # What SQLAlchemy's own statements bind: on SQLite a time as the same text as the
        # claim's and recover's (SQLite compares times as text; sqlite3's adapter would add
        # "+00:00", and a row deferred to a moment would not be due at that very moment).
        processor = _TABLE.c[column].type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            processors[column] = processors[f"then_{column}"] = processor
    return Sql(sql, processors)


@dataclass(frozen=True)
class Sql:
    text: str
    processors: dict[str, Callable[[Any], Any]]
