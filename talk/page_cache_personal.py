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
cookie set, no SQL write of any kind during the request. And it is dropped by the *private
generation*, which moves on every write to any table (a login, a logout, a password change, a
ban, a role, a notification from the worker, a block, a setting), with the commit and rollback
discipline of the visitors' generation, and after ``TALK_PAGE_CACHE_PERSONAL_SECONDS``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from typing import Any

from flask import Flask, Response, has_request_context, request, session
from werkzeug.http import parse_cookie

from talk.page_cache_stores import (
    KEPT_FOR,
    BackendUnavailable,
    Entry,
    LocalBackend,
    bump_or_flag,
)

#: Logged-in pages that may be kept per login. Each was checked: a GET of it writes nothing once
#: the viewer has read what it marks read (a thread's page reads its notifications only when
#: some are unread), and it depends on nothing but the URL, the login's session, the stored data
#: and the time. Add a view only after checking the same.
PERSONAL_ENDPOINTS = frozenset({"inbox.page", "cases.queue", "discussions.show"})

#: Request flag: a statement that writes ran during this request (see :func:`note_write`).
WROTE_HERE = "talk.page_cache.wrote"

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

    def __init__(self, backend: LocalBackend, ttl: int, app: Flask) -> None:
        self.backend = backend
        self.ttl = ttl
        self.session_cookie = app.config.get("SESSION_COOKIE_NAME", "session")
        self.remember_cookie = app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
        #: A bump that failed (Redis): nothing is served or stored here until one succeeds.
        self.unsynced = False

    def bump(self) -> None:
        self.unsynced = bump_or_flag(self.backend, "private generation", self.unsynced)

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
            if not self.unsynced and self.backend.generation.read() == entry.generation:
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
    )
