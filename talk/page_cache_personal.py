"""Logged-in pages kept per login (docs/page-cache.md, "Logged-in pages").

A logged-in person reloading their notifications, a moderator going back to the queue, someone
rereading a thread: the same page for the same login until something changes. Such a page is
kept under a key naming the URL *and the exact credentials that produced it* (the raw session
and remember-me cookies, and what Flask-Login's session protection compares: the client's
address, ``X-Forwarded-For`` and ``User-Agent``), so it is only ever served to a request that
presents the very same ones: it shows nothing a stolen cookie would not.

It is stored only from a GET that could not have changed anything (:func:`storable`): a view on
:data:`PERSONAL_ENDPOINTS`, a 200 HTML page, the session untouched (no flash shown or made, the
CSRF secret already there, so the page's token stays valid: Talk sets no CSRF time limit), no
cookie set, no SQL write of any kind during the request, rendered for the person the
credentials name. And it is dropped by the *private generation*, which moves on every write to
a table kept pages show (a login, a logout, a password change, a ban, a role, a block, a
setting), or by its person's own generation, which moves instead on a write that concerns them
alone (a notification for them: :mod:`talk.page_cache_people`), with the commit and rollback
discipline of the visitors' generation, and after ``TALK_PAGE_CACHE_PERSONAL_SECONDS``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
from collections.abc import Collection
from typing import Any

from flask import Flask, Response, has_request_context, request, session
from flask_login import current_user
from itsdangerous import BadData
from sqlalchemy import inspect
from werkzeug.http import parse_cookie

from talk.page_cache_people import PersonalBackend
from talk.page_cache_stores import KEPT_FOR, BackendUnavailable, Entry, bump_or_flag

log = logging.getLogger(__name__)

#: Logged-in pages that may be kept per login. Each was checked: a GET of it writes nothing once
#: the viewer has read what it marks read (a thread's page reads its notifications only when
#: some are unread), and it depends on nothing but the URL, the login's session, the stored data
#: and the time. Add a view only after checking the same.
PERSONAL_ENDPOINTS = frozenset({"inbox.page", "cases.queue", "discussions.show"})

#: Request flag: a statement that writes ran during this request (see :func:`note_write`).
WROTE_HERE = "talk.page_cache.wrote"
#: Set by the middleware on a logged-in request: the person (user id) its credentials name, or
#: None, whose generation the page is read and kept under.
PERSON = "talk.page_cache.person"

#: Statements that change no row: everything else counts as a write (a new kind of statement
#: costs hits, never correctness). ``WITH`` counts as a write when it names one.
_READS = ("select", "savepoint", "release", "rollback", "begin", "commit", "pragma", "show")
_WRITE_WORD = re.compile(r"\b(insert|update|delete|replace|merge)\b", re.IGNORECASE)


def is_write(statement: str) -> bool:
    """Whether SQL ``statement`` (as sent to the database) may change a row."""
    head = statement.lstrip()[:10].lower()
    if head.startswith("with"):
        return bool(_WRITE_WORD.search(statement))
    return not head.startswith(_READS)


def note_write() -> None:
    """Mark the current request, if any, as one that wrote: its page is not kept."""
    if has_request_context():
        request.environ[WROTE_HERE] = True


class PersonalPages:
    """The store of logged-in pages and the owner of the private generation."""

    def __init__(self, backend: PersonalBackend, ttl: int, app: Flask) -> None:
        self.backend = backend
        self.ttl = ttl
        self.app = app
        self.session_cookie = app.config.get("SESSION_COOKIE_NAME", "session")
        self.remember_cookie = app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
        #: A bump that failed (Redis): nothing is served or stored here until one succeeds.
        self.unsynced = False

    def bump(self) -> None:
        self.unsynced = bump_or_flag(self.backend, "private generation", self.unsynced)

    def bump_people(self, people: Collection[int]) -> None:
        """Move these people's generations: their kept pages are stale, nobody else's."""
        try:
            self.backend.generation.bump_people(people)
        except BackendUnavailable as error:
            if not self.unsynced:
                log.warning("page cache: people's generations not moved (%s)", error)
            self.unsynced = True

    def lookup(self, key: str, environ: dict[str, Any]) -> tuple[str, Entry | None]:
        """The page kept under ``key`` and the generations it must have been rendered at: the
        shared one and its person's, the person named by the entry (the same credentials
        always name the same person) or, with no entry, by the session cookie."""
        entry = self.backend.entry(key)
        person = entry.person if entry is not None else self.person(environ)
        environ[PERSON] = person
        return self.backend.generation.read_for(person), entry

    def person(self, environ: dict[str, Any]) -> int | None:
        """The user id the session cookie names, as Flask-Login will read it (``<id>:<token>``
        in a session Flask accepts); None for anything else. Only a guess until the page is
        rendered: :func:`storable` keeps it only if that very person was logged in."""
        serializer = self.app.session_interface.get_signing_serializer(self.app)  # type: ignore[attr-defined]
        value = parse_cookie(environ).get(self.session_cookie)
        if serializer is None or not value:
            return None
        max_age = int(self.app.permanent_session_lifetime.total_seconds())
        try:
            data = serializer.loads(value, max_age=max_age)
        except BadData:
            return None
        if not isinstance(data, dict):
            return None
        user_id = str(data.get("_user_id") or "").partition(":")[0]
        return int(user_id) if user_id.isdigit() else None

    def key(self, environ: dict[str, Any], url: str) -> str | None:
        """The key of ``url`` for these credentials; None when the request names no login or
        names one twice (which of two cookies Flask would take is not this code's to guess).
        Cookies are parsed as Flask parses them (Werkzeug's ``parse_cookie``)."""
        cookies = parse_cookie(environ)
        sessions = cookies.getlist(self.session_cookie)
        remembers = cookies.getlist(self.remember_cookie)
        if len(sessions) > 1 or len(remembers) > 1 or not (sessions or remembers):
            return None
        parts = [
            url,
            sessions[0] if sessions else None,
            remembers[0] if remembers else None,
            # Flask-Login's session protection: its identifier hashes these.
            environ.get("REMOTE_ADDR"),
            environ.get("HTTP_X_FORWARDED_FOR"),
            environ.get("HTTP_USER_AGENT"),
        ]
        raw = json.dumps(parts).encode()
        return hashlib.blake2b(raw, digest_size=20, person=b"talk-personal").hexdigest()

    def store(self, key: str, entry: Entry) -> bool:
        """Keep ``entry`` unless something was written since its render began (it would be
        stale at once) or the generation cannot be read; whether it was kept."""
        with contextlib.suppress(BackendUnavailable):
            current = self.backend.generation.read_for(entry.person)
            if not self.unsynced and current == entry.generation:
                self.backend.store(key, entry, KEPT_FOR * self.ttl)
                return True
        return False


def storable(response: Response) -> bool:
    """Whether this logged-in page may be kept for the same credentials: see the module."""
    return (
        response.status_code == 200
        and request.endpoint in PERSONAL_ENDPOINTS
        and response.mimetype == "text/html"
        and not response.is_streamed
        and not session.modified
        and not request.environ.get(WROTE_HERE)
        and "no-store" not in (response.headers.get("Cache-Control") or "")
        and request.environ.get(PERSON) == _viewer()
    )


def _viewer() -> int | None:
    """Who the page was rendered for: kept under their generation only if the middleware
    guessed them (:meth:`PersonalPages.person`). Read from the loaded row's identity, as the
    commit expired its attributes (reading ``id`` would load the row again: two statements)."""
    viewer = current_user._get_current_object()
    if not getattr(viewer, "is_authenticated", False):
        return None
    identity = inspect(viewer).identity
    return int(identity[0]) if identity else None
