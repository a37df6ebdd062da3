"""Whole-page cache for anonymous visitors, and conditional requests (docs/page-cache.md).

A page is kept whole when a visitor with no login, no session and no API token asked for it, the
view is one of :data:`CACHEABLE_ENDPOINTS` (or :data:`CACHEABLE_API_ENDPOINTS`), the answer is a
200 HTML page (JSON for the API) that embeds no CSRF token and sets no cookie. The next such
request for the same URL is answered from the cache, before Flask runs, as long as the site's
*generation* has not moved and the entry is younger than ``TALK_PAGE_CACHE_SECONDS`` (pages say
"3 minutes ago").

The generation moves on every write to a table pages are drawn from: an engine listener notices
each INSERT, UPDATE or DELETE (the ORM's flushes, bulk updates, counters) except on
:data:`PRIVATE_TABLES`, bumps the generation at once, and again after the transaction commits or
rolls back. A page read at generation *g* is stored under *g*; a reader that started before a
commit's last bump therefore stores a page nobody will read, and one that starts after it sees
the commit. So a hide, a delete or an edit is never followed by the page from before it.

Backends: in each process's memory (a bounded LRU) with the generation in a file in the instance
folder, so every worker of one ``talk serve`` sees each other's writes; or Redis
(``TALK_PAGE_CACHE_URL``), where several servers share the pages and the generation. Redis
unreachable: pages are served uncached, never an error; a bump that failed turns the cache off in
that process until a bump succeeds again.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from collections.abc import Iterable
from contextvars import ContextVar
from http.cookies import CookieError, SimpleCookie
from typing import Any

from flask import Flask, Response, current_app, g, has_app_context, request, session
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.elements import TextClause
from werkzeug.http import http_date, parse_date

from talk.page_cache_stores import (
    Backend,
    BackendUnavailable,
    Entry,
    FileGeneration,
    LocalBackend,
    RedisBackend,
    make_backend,
)

log = logging.getLogger(__name__)

EXTENSION = "talk_page_cache"

#: Public read-only pages that may be cached for anonymous visitors. A view not listed here is
#: never cached, whatever it answers; add one only if its page depends on nothing but the URL,
#: the stored data and the time.
CACHEABLE_ENDPOINTS = frozenset(
    {
        "projects.index",
        "projects.home",
        "projects.board",
        "projects.items",
        "projects.item",
        "projects.comments",
        "discussions.show",
        "search.results",
        "tags.index",
        "tags.show",
        "tag_groups.index",
        "tag_groups.show",
        "users.profile",
        "newsletters.archive",
        "newsletters.show",
    }
)

#: Public read endpoints of the JSON API that may be cached for anonymous callers (no token, no
#: session cookie), as JSON. They answer the same to every such caller: no rate-limit, CORS,
#: ``Link`` or ETag headers of their own, and what the caller may read is decided by the policy
#: for "anonymous", the same for all. Lists page by ``cursor`` in the query string (the key).
CACHEABLE_API_ENDPOINTS = frozenset(
    {
        "api_projects.ProjectList",
        "api_projects.ProjectDetail",
        "api_boards.ProjectBoards",
        "api_boards.BoardDetail",
        "api_boards.BoardDiscussions",
        "api_items.ProjectItems",
        "api_items.ItemDetail",
        "api_items.ItemDiscussions",
        "api_discussions.DiscussionDetail",
        "api_discussions.DiscussionComments",
        "api_discussions.CommentDetail",
        "api_tags.TagList",
        "api_tags.TagDetail",
        "api_tags.ItemTags",
        "api_tag_groups.TagGroupList",
        "api_tag_groups.TagGroupDetail",
        "api_tag_groups.TagGroupItems",
        "api_search.Search",
    }
)

#: Tables whose rows no anonymous page shows: writes to them (a login's token, a notification,
#: an email queued, a visitor's acknowledgement) do not move the generation. Every other table
#: does, including tables added later: forgetting one here costs hits, never correctness.
PRIVATE_TABLES = frozenset(
    {
        "api_tokens",
        "content_warning_acknowledgements",
        "digests",
        "email_preferences",
        "email_switches",
        "mail_addresses",
        "mailbox_messages",
        "moderation_notes",
        "moderation_reports",
        "newsletter_consent_events",
        "newsletter_consents",
        "newsletter_deliveries",
        "notification_events",
        "notification_preferences",
        "notifications",
        "outbox_messages",
        "pending_registrations",
        "user_blocks",
        "user_mutes",
        "worker_leases",
    }
)

#: Response headers kept with a page (the security headers are added outside, on every answer).
KEPT_HEADERS = frozenset({"content-type", "content-length", "content-language", "vary"})

#: Set by the middleware on a request it may cache; read by :func:`_mark_storable`.
PENDING = "talk.page_cache.pending"
STORABLE = "talk.page_cache.storable"
#: Connection flag: this transaction wrote rows pages show (see :func:`_statement_changes_pages`).
WROTE = "talk_page_cache_wrote"

_bump_after_commit: ContextVar[bool] = ContextVar("talk_page_cache_bump", default=False)


class PageCache:
    """WSGI middleware answering anonymous GET/HEAD requests from the cache, and the
    generation's owner (:meth:`bump`)."""

    def __init__(self, wsgi_app: Any, backend: Backend, ttl: int, app: Flask) -> None:
        self.wsgi_app = wsgi_app
        self.backend = backend
        self.ttl = ttl
        self.session_cookie = app.config.get("SESSION_COOKIE_NAME", "session")
        self.remember_cookie = app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
        self.config = app.config
        #: A bump that failed: no page is served or stored here until one succeeds.
        self.unsynced = False

    def now(self) -> float:
        """Talk's clock (``TALK_CLOCK``, injected by tests), as a timestamp."""
        clock = self.config.get("TALK_CLOCK")
        return time.time() if clock is None else float(clock().timestamp())

    # --- the generation ----------------------------------------------------------------------

    def bump(self) -> None:
        try:
            self.backend.bump()
            self.unsynced = False
        except BackendUnavailable as error:
            if not self.unsynced:
                log.warning("page cache: generation not moved (%s); serving uncached", error)
            self.unsynced = True

    # --- requests ------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if (
            environ.get("REQUEST_METHOD") not in ("GET", "HEAD")
            or not self._anonymous(environ)
            or not self.config["TALK_PAGE_CACHE"]  # turned off since start-up (a test)
        ):
            return self.wsgi_app(environ, start_response)
        if self.unsynced:
            self.bump()
            if self.unsynced:
                return self.wsgi_app(environ, start_response)
        key = self._key(environ)
        try:
            generation, entry = self.backend.lookup(key)
        except BackendUnavailable:
            return self.wsgi_app(environ, start_response)
        if (
            entry is not None
            and entry.generation == generation
            and entry.created <= self.now() < entry.created + self.ttl
        ):
            return self._answer(environ, start_response, entry)
        if environ["REQUEST_METHOD"] != "GET":
            return self.wsgi_app(environ, start_response)
        environ[PENDING] = True
        return self._render(environ, start_response, key, generation)

    def _anonymous(self, environ: dict[str, Any]) -> bool:
        """No login, no session state, no API token: the page is the one everybody gets."""
        if environ.get("HTTP_AUTHORIZATION"):
            return False
        raw = environ.get("HTTP_COOKIE")
        if not raw:
            return True
        try:
            cookies = SimpleCookie(raw)
        except CookieError:
            return False
        return self.session_cookie not in cookies and self.remember_cookie not in cookies

    @staticmethod
    def _key(environ: dict[str, Any]) -> str:
        url = "{}://{}{}{}?{}".format(
            environ.get("wsgi.url_scheme", "http"),
            environ.get("HTTP_HOST") or environ.get("SERVER_NAME", ""),
            environ.get("SCRIPT_NAME", ""),
            environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""),
        )
        return hashlib.blake2b(url.encode("utf-8", "surrogateescape"), digest_size=20).hexdigest()

    def _render(
        self, environ: dict[str, Any], start_response: Any, key: str, generation: str
    ) -> Iterable[bytes]:
        captured: dict[str, Any] = {}
        returned = False

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            """Keep a storable answer back; pass any other through as it comes (a streamed
            export, a static file, a page that sets a cookie)."""
            storable = environ.get(STORABLE) and not returned and exc_info is None
            if storable and not any(n.lower() == "set-cookie" for n, _ in headers):
                captured.update(status=status, headers=headers)
                return lambda data: None  # pragma: no cover - Flask never uses write()
            return start_response(status, headers, exc_info)

        result = self.wsgi_app(environ, capture)
        returned = True
        if "status" not in captured:
            return result
        status, headers = captured["status"], captured["headers"]
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        entry = Entry(
            generation=generation,
            created=self.now(),
            etag='"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"',
            status=status,
            headers=[(n, v) for n, v in headers if n.lower() in KEPT_HEADERS],
            body=body,
        )
        with contextlib.suppress(BackendUnavailable):
            self.backend.store(key, entry, self.ttl)
        return self._answer(environ, start_response, entry)

    def _answer(self, environ: dict[str, Any], start_response: Any, entry: Entry) -> list[bytes]:
        validators = [
            ("ETag", entry.etag),
            ("Last-Modified", http_date(entry.created)),
            ("Cache-Control", "private, no-cache"),
        ]
        if self._not_modified(environ, entry):
            kept = [(n, v) for n, v in entry.headers if n.lower() == "vary"]
            start_response("304 Not Modified", kept + validators)
            return []
        start_response(entry.status, entry.headers + validators)
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [entry.body]

    @staticmethod
    def _not_modified(environ: dict[str, Any], entry: Entry) -> bool:
        """If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2)."""
        match = environ.get("HTTP_IF_NONE_MATCH")
        if match is not None:
            tags = {tag.strip().removeprefix("W/") for tag in match.split(",")}
            return "*" in tags or entry.etag in tags
        since = parse_date(environ.get("HTTP_IF_MODIFIED_SINCE"))
        return since is not None and int(entry.created) <= since.timestamp()


def _cacheable_kind(endpoint: str | None, mimetype: str | None) -> bool:
    """An opted-in page answering HTML, or an opted-in API endpoint answering JSON."""
    if endpoint in CACHEABLE_ENDPOINTS:
        return mimetype == "text/html"
    return endpoint in CACHEABLE_API_ENDPOINTS and mimetype == "application/json"


def _mark_storable(response: Response) -> Response:
    """Tell the middleware this answer may be kept: an opted-in view's 200 HTML page (or API
    endpoint's JSON), for a visitor nobody knows, that read or wrote no session state and embeds
    no CSRF token (the middleware still refuses any answer that sets a cookie)."""
    if (
        request.environ.get(PENDING)
        and response.status_code == 200
        and _cacheable_kind(request.endpoint, response.mimetype)
        and not response.is_streamed
        and not current_user.is_authenticated
        and current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token") not in g
        and not session
        and not session.modified
        and "no-store" not in (response.headers.get("Cache-Control") or "")
    ):
        request.environ[STORABLE] = True
    return response


# --- noticing writes ---------------------------------------------------------------------------


def _statement_changes_pages(statement: Any) -> bool:
    if isinstance(statement, UpdateBase):
        table = getattr(statement, "table", None)
        return getattr(table, "name", None) not in PRIVATE_TABLES
    if isinstance(statement, TextClause):
        verb = statement.text.lstrip().split(None, 1)[:1]
        return bool(verb) and verb[0].lower() in {"insert", "update", "delete", "replace", "merge"}
    return False


def _current_cache() -> PageCache | None:
    if not has_app_context():
        return None
    return current_app.extensions.get(EXTENSION)


def _bump() -> None:
    cache = _current_cache()
    if cache is not None:
        cache.bump()


@event.listens_for(Engine, "after_execute")
def _noticed_write(conn: Connection, statement: Any, *args: Any) -> None:
    """The first write of a transaction to a table pages show moves the generation at once."""
    if conn.info.get(WROTE) or not _statement_changes_pages(statement):
        return
    conn.info[WROTE] = True
    _bump()


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "release_savepoint")
def _committing(conn: Connection, *args: Any) -> None:
    """Called before the commit reaches the database: bump once more after it (below)."""
    if conn.info.pop(WROTE, False):
        _bump_after_commit.set(True)


@event.listens_for(Engine, "rollback")
@event.listens_for(Engine, "rollback_savepoint")
def _rolling_back(conn: Connection, *args: Any) -> None:
    """The rows written go back: pages rendered meanwhile (in this transaction) are stale."""
    if conn.info.pop(WROTE, False):
        _bump()


@event.listens_for(Session, "after_commit")
def _session_committed(session: Session) -> None:
    _after_commit()


@event.listens_for(Pool, "checkin")
def _connection_returned(*args: Any) -> None:
    """A connection used outside a session (``engine.begin()``) is returned after its commit."""
    _after_commit()


def _after_commit() -> None:
    if _bump_after_commit.get():
        _bump_after_commit.set(False)
        _bump()


# --- the app -----------------------------------------------------------------------------------


def init_app(app: Flask) -> None:
    """Wrap ``app.wsgi_app`` (call before the host check and ProxyFix wrap it, so the key names
    the host and scheme the client asked for); nothing when ``TALK_PAGE_CACHE`` is off."""
    if not app.config["TALK_PAGE_CACHE"]:
        return
    cache = PageCache(app.wsgi_app, make_backend(app), app.config["TALK_PAGE_CACHE_SECONDS"], app)
    app.extensions[EXTENSION] = cache
    app.wsgi_app = cache  # type: ignore[method-assign]
    app.after_request(_mark_storable)


__all__ = [
    "CACHEABLE_API_ENDPOINTS",
    "CACHEABLE_ENDPOINTS",
    "PRIVATE_TABLES",
    "Entry",
    "FileGeneration",
    "LocalBackend",
    "PageCache",
    "RedisBackend",
    "init_app",
]
