"""Writing the stored counters: noting deltas (:func:`bump`) and writing them in the one lock
order (:func:`apply`), exact under concurrent writers.

Every writer of comment and discussion counters — posting, deleting, hiding, approving held
comments, moving and merging threads — goes through here, so the lock order lives in one place
(docs/decisions.md, "One lock order"). :mod:`talk.services.counters` recounts them to check.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Table, bindparam, inspect, update
from sqlalchemy.orm.attributes import set_committed_value

from talk.errors import Conflict
from talk.extensions import db
from talk.models import Board, Comment, Discussion, Item, Project, User

#: The order in which writers lock counter rows: the project, then the board, the item, the
#: discussion and the user (several of one kind by id). See docs/decisions.md, "One lock order".
COUNTER_LOCK_ORDER: tuple[type, ...] = (Project, Board, Item, Discussion, User)

#: Counter changes noted per counted row: ``{row: {"comment_count": 1, "last_activity_at": t}}``.
Bumps = dict[Any, dict[str, Any]]


def bump(bumps: Bumps, counted: Any, **changes: Any) -> None:
    """Note counter deltas (``comment_count=1``) and times (``last_activity_at=now``) for
    ``counted``; :func:`apply` writes them."""
    noted = bumps.setdefault(counted, {})
    for name, value in changes.items():
        noted[name] = noted.get(name, 0) + value if name.endswith("_count") else value


def apply(bumps: Bumps, *, guard: Discussion | None = None) -> None:
    """Write noted counter changes, one ``UPDATE`` per row with SQL-side arithmetic (exact under
    concurrent writers), the rows in :data:`COUNTER_LOCK_ORDER`. The order is explicit because
    the ORM's flush order is not the same for every operation: a post and a hide that lock
    the same project and user rows in opposite orders deadlock on PostgreSQL.

    ``guard``: the discussion a new comment goes into. Its row, once locked here, must still be
    where the writer counted it, open and not merged; a moderator who moved, merged or locked it
    meanwhile (holding the row until they committed) makes this a 409, written nothing."""

    def rank(counted: Any) -> tuple[int, int]:
        return COUNTER_LOCK_ORDER.index(type(counted)), counted.id or 0

    with db.session.no_autoflush:  # nothing else is written (or locked) in between
        for counted in sorted(bumps, key=rank):
            _write(counted, bumps[counted], guarded=counted is guard)


#: What a writer adding a comment read of its discussion and must find unchanged
#: (see :func:`apply`).
_GUARDED = ("board_id", "item_id", "locked_at", "merged_into_id")


def _write(counted: Any, changes: dict[str, Any], *, guarded: bool = False) -> None:
    if not inspect(counted).persistent:  # a pending row is inserted with its values
        for name, value in changes.items():
            is_count = name.endswith("_count")
            setattr(counted, name, (getattr(counted, name) or 0) + value if is_count else value)
        return
    checked = _GUARDED if guarded else ()
    statement = _updating(type(counted).__table__, tuple(changes), guarded)
    params = {f"new_{name}": value for name, value in changes.items()}
    stored = db.session.execute(statement, {"counted_id": counted.id, **params}).one()
    found = zip(checked, stored[len(changes) :], strict=True)
    if any(getattr(counted, name) != value for name, value in found):
        raise Conflict(
            "A moderator moved, merged or locked this discussion while you wrote; "
            "open it again to see where it is now (your text was not posted)."
        )
    for name, value in zip(changes, stored, strict=False):
        set_committed_value(counted, name, value)


@cache
def _updating(table: Table, names: tuple[str, ...], guarded: bool) -> Any:
    """The ``UPDATE … RETURNING`` :func:`_write` runs, built once per table and set of counters:
    building it (and its cache key) on every write cost more Python than running it."""
    values = {
        name: table.c[name] + bindparam(f"new_{name}", type_=table.c[name].type)
        if name.endswith("_count")
        else bindparam(f"new_{name}", type_=table.c[name].type)
        for name in names
    }
    checked = _GUARDED if guarded else ()
    return (
        update(table)
        .where(table.c.id == bindparam("counted_id"))
        .values(values)
        .returning(*(table.c[name] for name in (*names, *checked)))
    )


def count_discussion(discussion: Discussion, delta: int, bumps: Bumps) -> None:
    """Note ``delta`` on the discussion counts of its board, project and item (a new one,
    or a held one approved)."""
    places = (discussion.board, discussion.project, discussion.item)
    for counted in (place for place in places if place is not None):
        bump(bumps, counted, discussion_count=delta)


def count_comment(
    comment: Comment, delta: int, bumps: Bumps | None = None, *, now: Any = None
) -> None:
    """Move every comment counter the comment is in by ``delta`` (and their activity times to
    ``now``); written at once unless ``bumps`` collects more changes to write together."""
    noted: Bumps = {} if bumps is None else bumps
    discussion = comment.discussion
    activity = {"last_activity_at": now} if now is not None else {}
    bump(noted, discussion, comment_count=delta)
    bump(noted, discussion.board, comment_count=delta, **activity)
    bump(noted, discussion.project, comment_count=delta)
    if discussion.item is not None:
        bump(noted, discussion.item, comment_count=delta, **activity)
    bump(noted, comment.author, comment_count=delta)
    if bumps is None:
        apply(noted)


def lock_comment(comment: Comment) -> None:
    """Re-read ``comment`` locked for this transaction (PostgreSQL), so two changes to it — an
    edit and a hide, two moderators hiding — run one after the other, each seeing the other's.
    The first lock of the global order; ``FOR NO KEY UPDATE``, so replies to the comment (whose
    insert takes a key-share lock on it) are not blocked: with ``FOR UPDATE`` a hide waited for
    a reply holding the counters the hide needed next, and they deadlocked."""
    db.session.refresh(comment, with_for_update={"key_share": True})
