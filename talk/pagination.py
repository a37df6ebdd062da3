"""Keyset (cursor) pagination: page N costs what page 1 costs.

A list is ordered by a few columns, all ascending or all descending, the last of which is unique
(the primary key). A cursor is the opaque, URL-safe encoding of the last row's sort key; the next
page is the rows strictly after it, found through an index rather than by counting an offset.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, literal, tuple_
from sqlalchemy.orm import InstrumentedAttribute

from talk.errors import InvalidInput
from talk.extensions import db
from talk.limits import MAX_ID

T = TypeVar("T")
U = TypeVar("U")

# Values a cursor may carry: what the sort columns (32-bit ids, text without NUL) can hold, so a
# forged cursor is refused here instead of failing in the database.
MAX_INT = MAX_ID  # every integer column is 32-bit


@dataclass
class Page(Generic[T]):
    rows: list[T]
    next_cursor: str | None

    def with_rows(self, rows: list[U]) -> Page[U]:
        """The same page with its rows shown another way (an API view of each row)."""
        return Page(rows, self.next_cursor)


def encode_cursor(values: Sequence[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    raw = json.dumps(plain, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, columns: Sequence[InstrumentedAttribute[Any]]) -> list[Any]:
    """The sort key a cursor carries, or a 422 naming ``cursor`` for anything the list could not
    have produced: the wrong number of values, a value of the wrong type, ``null`` (sort columns
    are never NULL), a negative number (ids and counts are not), a datetime without its zone."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != len(columns):
            raise ValueError("wrong length")
        decoded: list[Any] = []
        for column, value in zip(columns, values, strict=True):
            python_type = column.type.python_type
            if python_type is datetime:
                moment = datetime.fromisoformat(value)
                if moment.tzinfo is None:
                    raise ValueError("naive datetime")
                decoded.append(moment.astimezone(UTC))
            elif (
                python_type is int
                and isinstance(value, int)
                and not isinstance(value, bool)
                and 0 <= value <= MAX_INT
            ) or (
                (python_type is str and isinstance(value, str) and "\x00" not in value)
                or (python_type is bool and isinstance(value, bool))
            ):
                decoded.append(value)
            else:
                raise ValueError("wrong type")
    except (ValueError, TypeError, OverflowError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidInput(
            "The page cursor is not valid.", {"cursor": ["Not a cursor from this list."]}
        ) from exc
    return decoded


def keyset_page(
    query: Select[Any],
    order: Sequence[InstrumentedAttribute[Any]],
    *,
    cursor: str | None,
    limit: int,
    descending: bool = False,
) -> Page[Any]:
    """One page of ``query`` (which selects one entity) ordered by ``order``.

    The sort columns must not be NULL for any row of the query.
    """
    if cursor:
        after = decode_cursor(cursor, order)
        key = tuple_(*order)
        bound = tuple_(*(literal(v, c.type) for c, v in zip(order, after, strict=True)))
        query = query.where(key < bound if descending else key > bound)
    query = query.order_by(*(c.desc() if descending else c.asc() for c in order)).limit(limit + 1)
    rows = list(db.session.scalars(query))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor([getattr(last, c.key) for c in order])
    return Page(rows, next_cursor)
