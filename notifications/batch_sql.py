"""A newsletter batch's statements (``newsletter_sending.move``) with the same short text at
every batch, whatever its people: on PostgreSQL psycopg parsed each batch's long texts again
(200 ids in each ``IN``, 2,400 placeholders in the ``INSERT``, 200 ``WHEN``s in the
``UPDATE``: it caches no text past 4 KB), which was a third of ``move``'s CPU there. So on
PostgreSQL a batch's values go as arrays (``= ANY``, ``unnest``); SQLite, whose driver does
not parse them, keeps ``IN`` lists and runs the ``UPDATE`` per row through ``executemany``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Integer, Text, any_, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY

from talk.extensions import db
from talk.models._types import UTCDateTime


def _postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def among(column: ColumnElement[Any], values: Sequence[Any]) -> ColumnElement[bool]:
    """``column IN values``: one array parameter on PostgreSQL (``= ANY``), so the text is the
    same for any number of values; an ``IN`` list elsewhere."""
    if not _postgresql():
        return column.in_(values)
    element = BigInteger() if isinstance(column.type, Integer) else column.type
    return column == any_(bindparam(None, list(values), type_=ARRAY(element)))


# newsletter_deliveries' batch taking its outbox rows (only those still queued without one)
_HANDED_POSTGRESQL = text(
    "UPDATE newsletter_deliveries SET state = 'sending', reason = NULL,"
    " outbox_id = handed.outbox_id, updated_at = :now"
    " FROM unnest(CAST(:ids AS BIGINT[]), CAST(:outbox_ids AS BIGINT[]))"
    " AS handed (id, outbox_id)"
    " WHERE newsletter_deliveries.id = handed.id"
    " AND newsletter_deliveries.state = 'queued' AND newsletter_deliveries.outbox_id IS NULL"
).bindparams(
    bindparam("now", type_=UTCDateTime()),
    bindparam("ids", type_=ARRAY(BigInteger())),
    bindparam("outbox_ids", type_=ARRAY(BigInteger())),
)
_HANDED_ONE = text(
    "UPDATE newsletter_deliveries SET state = 'sending', reason = NULL,"
    " outbox_id = :outbox_id, updated_at = :now"
    " WHERE id = :id AND state = 'queued' AND outbox_id IS NULL"
).bindparams(bindparam("now", type_=UTCDateTime()))


def hand_over(handed: dict[int, int], now: datetime) -> int:
    """Mark the deliveries ``handed`` (delivery id → its outbox row's id) ``sending`` with
    their rows, each only if still queued without one; returns how many changed."""
    if not handed:
        return 0
    if _postgresql():
        values = {"now": now, "ids": list(handed), "outbox_ids": list(handed.values())}
        result: Any = db.session.execute(_HANDED_POSTGRESQL.params(values))
        return int(result.rowcount)
    rows = [{"id": d, "outbox_id": o, "now": now} for d, o in handed.items()]
    summed: Any = db.session.execute(_HANDED_ONE, rows)  # sqlite3's executemany: rows summed
    return int(summed.rowcount)


# The outbox rows of a batch (outbox.enqueue_many on PostgreSQL), in the order given: the
# INSERT … SELECT … ORDER BY numbers them in that order, as SQLAlchemy's own bulk INSERT relies
# on (its "autoincrement sentinel"), and the ids are sorted back.
_ARRAYS = {  # the columns that differ row by row, with their arrays' types
    "to_address": "VARCHAR",
    "user_id": "BIGINT",
    "category": "VARCHAR",
    "subject": "VARCHAR",
    "text_body": "TEXT",
    "html_body": "TEXT",
    "headers": "TEXT",  # JSON text, cast back
    "state": "VARCHAR",
    "reason": "VARCHAR",
}
_SELECTED = [f"CAST(queued.{c} AS JSON)" if c == "headers" else f"queued.{c}" for c in _ARRAYS]
_QUEUED_POSTGRESQL = text(
    f"INSERT INTO outbox_messages ({', '.join(_ARRAYS)}, attempts, next_attempt_at, created_at)"  # noqa: S608 - names ours
    f" SELECT {', '.join(_SELECTED)}, 0, :now, :now"
    f" FROM unnest({', '.join(f'CAST(:{c} AS {t}[])' for c, t in _ARRAYS.items())})"
    f" WITH ORDINALITY AS queued ({', '.join(_ARRAYS)}, n)"
    " ORDER BY queued.n RETURNING id"
).bindparams(
    bindparam("now", type_=UTCDateTime()),
    *(
        bindparam(c, type_=ARRAY(BigInteger() if t == "BIGINT" else Text()))
        for c, t in _ARRAYS.items()
    ),
)


def insert_outbox_rows(rows: Sequence[dict[str, Any]], now: datetime) -> list[int]:
    """Insert outbox rows as ``outbox._row`` makes them (attempts 0, due and created ``now``)
    in one statement of constant text (PostgreSQL only); their ids in the order of ``rows``."""
    values: dict[str, Any] = {name: [row[name] for row in rows] for name in _ARRAYS}
    values["headers"] = [json.dumps(row["headers"]) for row in rows]
    values["now"] = now
    return sorted(db.session.scalars(_QUEUED_POSTGRESQL.params(values)))
