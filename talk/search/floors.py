"""Where a search's newest-first steps start (PostgreSQL; see ``talk.search._newest_first``).

Documents are numbered in the order they are written, so the ids just below the newest hold
the newest matches. The first step asks the ``span`` ids below the newest; a step that finds
too few asks again from a floor set by how many it found, so a word common in the newest
documents stops at the first step and a rare one soon reaches "no floor" (its few matches cost
little to read through the GIN index either way).
"""

from __future__ import annotations

#: A step that found nothing asks this many times as many ids next.
WIDEN_EMPTY = 64
#: A step that found some asks for the ids that should hold the window, times this margin
#: (matches are not spread evenly), and never fewer than twice as many as before.
MARGIN = 1.5


def first(top: int | None, span: int) -> int | None:
    """The first step's floor: ``span`` ids below ``top`` (None: search every document)."""
    if top is None or top - span <= 0:
        return None
    return top - span


def lower(top: int, floor: int, found: int, window: int) -> int | None:
    """The next step's floor after the ids above ``floor`` (up to ``top``) held ``found``
    matches, not more than ``window``; None when the next step should search everything."""
    span = max(top - floor, 1)
    if found == 0:
        wider = span * WIDEN_EMPTY
    else:
        wider = max(2 * span, int(span * (window + 1) / found * MARGIN) + 1)
    return first(top, wider)
