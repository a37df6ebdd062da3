"""A search's page cursor: the last row's ``(score, id)``, the fingerprint of the query and
filters it belongs to, the newest document id of page 1's ranking window (see
:mod:`talk.search`), and the floor page 1's newest-first steps settled on (0: none), a hint
that spares later pages those steps (a wrong one is corrected like any step that finds too
few). Opaque to callers; one that was altered or belongs to another search is a 422."""

from __future__ import annotations

import base64
import binascii
import json
import math

from talk.errors import InvalidInput
from talk.limits import MAX_ID


def encode(score: float, doc_id: int, fingerprint: str, ceiling: int, floor: int | None) -> str:
    fields = [score, doc_id, fingerprint, ceiling, floor or 0]
    raw = json.dumps(fields, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str, fingerprint: str) -> tuple[float, int, int, int | None]:
    """``(score, doc_id)`` of the last row shown, the newest document id of the window, and
    the floor to start from: 0 for none, None when the cursor carries no floor (made before
    floors were carried: the page takes the steps again)."""
    problem = InvalidInput(
        "The page cursor is not valid.", {"cursor": ["Not a cursor of this search."]}
    )
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        score, doc_id, mark, ceiling, *rest = json.loads(raw)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise problem from None
    if (
        not isinstance(score, int | float)
        or isinstance(score, bool)
        or not math.isfinite(score)
        or not _is_id(doc_id)
        or not _is_id(ceiling)
        or mark != fingerprint
        or len(rest) > 1
    ):
        raise problem
    floor = rest[0] if rest else None
    if floor is not None and floor != 0 and not (_is_id(floor) and floor < ceiling):
        raise problem
    return float(score), doc_id, ceiling, floor


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID
