"""Per-process caches of what a project's moderation settings say, read for every comment:
watched words, historical terms, volunteer limits, workflow flags.

Reading them from the database cost four queries a comment (two before writing it, two in the
receivers after) for rows that change a few times a year. Each value is cached under the
project's id and ``Project.rules_version``, a random token the project row carries:

- Every ORM write to a row of a :func:`watch`-ed model (``INSERT``, ``UPDATE``, ``DELETE``)
  gives its project a new token in the same flush (:func:`_rules_changed`). The next read in
  this process sees the new token on the project object and reads the rows again; so does every
  other process, since each request loads the project row anyway (no extra query, no TTL, no
  window in which another server applies the old words).
- A token is random, not a counter, so a change that rolls back leaves a token nobody will use
  again: a cache filled inside that transaction can never be taken for the rules of a later one
  (a counter would come back to the same value meaning other rules).
- Writes that bypass the ORM (bulk ``insert()``/``delete()`` of those tables) must call
  :func:`changed`. None does today.

Cached values must be immutable (tuples, frozen dataclasses): they are shared by threads.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from itertools import chain
from threading import Lock
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session

from talk.extensions import db
from talk.models import Project

T = TypeVar("T")

#: Entries kept per process (name, project); the oldest go first beyond it.
MAX_ENTRIES = 4096

_watched: set[type] = set()
_cache: dict[tuple[str, int, str], Any] = {}
_lock = Lock()


def watch(*models: type) -> None:
    """Declare models whose rows (each with a ``project_id``) make up a project's rules."""
    _watched.update(models)


def cached(name: str, project: Project, load: Callable[[], T]) -> T:
    """``load()``'s value for ``project`` under ``name``, from this process's cache while the
    project's rules are unchanged. Unflushed changes to watched rows are flushed first, so they
    change the token before it is read (as the query they replace would have autoflushed)."""
    session = db.session()
    if any(type(row) in _watched for row in chain(session.new, session.dirty, session.deleted)):
        session.flush()
    key = (name, project.id, project.rules_version)
    try:
        return _cache[key]  # type: ignore[no-any-return]
    except KeyError:
        pass
    value = load()
    with _lock:
        if len(_cache) >= MAX_ENTRIES:
            for stale in list(_cache)[: MAX_ENTRIES // 4]:
                _cache.pop(stale, None)
        _cache[key] = value
    return value


def changed(session: Session, project_id: int) -> None:
    """Give the project a new rules token (its cached rules are read again everywhere)."""
    with session.no_autoflush:
        project = session.get(Project, project_id)
        if project is not None:
            project.rules_version = secrets.token_hex(8)


def forget() -> None:
    """Empty this process's cache (tests; never needed for correctness)."""
    with _lock:
        _cache.clear()


@event.listens_for(Session, "before_flush")
def _rules_changed(session: Session, _context: Any, _instances: Any) -> None:
    if not _watched:
        return
    projects = {
        _project_id(row)
        for row in chain(session.new, session.dirty, session.deleted)
        if type(row) in _watched
    }
    for project_id in sorted(p for p in projects if p is not None):
        changed(session, project_id)


def _project_id(row: Any) -> int | None:
    """The row's project: by its column, or (a new row made with ``project=…``, whose column
    the flush fills only later) by its relationship."""
    if row.project_id is not None:
        return int(row.project_id)
    project = getattr(row, "project", None)
    return getattr(project, "id", None)
