"""Whole-page cache for anonymous visitors, and conditional requests (docs/page-cache.md).

A page is kept whole when a visitor with no login, no session and no API token asked for it, the
view is one of :data:`CACHEABLE_ENDPOINTS` (or :data:`CACHEABLE_API_ENDPOINTS`), the answer is a
200 HTML page (JSON for the API) that embeds no CSRF token and sets no cookie. The next such
request for the same URL is answered from the cache, before Flask runs, as long as the site's
*generation* has not moved and the entry is younger than ``TALK_PAGE_CACHE_SECONDS`` (pages say
"3 minutes ago").

The generation moves on every write to a table pages are drawn from (:mod:`talk.page_cache_writes`
notices each INSERT, UPDATE or DELETE except on :data:`PRIVATE_TABLES`), at once and again after
the transaction commits or rolls back. A page read at generation *g* is stored under *g*; a
reader that started before a commit's last bump therefore stores a page nobody will read, and one
that starts after it sees the commit. So a hide, a delete or an edit is never followed by the
page from before it.

Logged-in pages of a few views are kept too, per login, under a private generation that moves on
every write a kept page may show, and their person's own, which moves instead on a write that
concerns that person alone (:mod:`talk.page_cache_personal`, :mod:`talk.page_cache_people`).

Backends: in each process's memory (a bounded LRU) with the generation in a file in the instance
folder, so every worker of one ``talk serve`` sees each other's writes; or Redis
(``TALK_PAGE_CACHE_URL``), where several servers share the pages and the generation. Redis
unreachable: pages are served uncached, never an error; a bump that failed turns the cache off in
that process until a bump succeeds again.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterable
from http.cookies import CookieError, SimpleCookie
from typing import Any

from flask import Flask, Response, current_app, g, request, session
from flask_login import current_user
from werkzeug.http import http_date, parse_date

from talk import page_cache_personal as personal
from talk.page_cache_people import make_personal_backend
from talk.page_cache_personal import PERSON, PERSONAL_ENDPOINTS, PersonalPages
from talk.page_cache_stores import (
    KEPT_FOR,
    Backend,
    BackendUnavailable,
    Entry,
    FileGeneration,
    LocalBackend,
    RedisBackend,
    bump_or_flag,
    make_backend,
)
from talk.page_cache_writes import EXTENSION, PRIVATE_TABLES

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

#: Response headers kept with a page (the security headers are added outside, on every answer).
KEPT_HEADERS = frozenset({"content-type", "content-length", "content-language", "vary"})

#: Set by the middleware on a request it may cache (to ANONYMOUS or PERSONAL); read by
#: :func:`_mark_storable`.
PENDING = "talk.page_cache.pending"
STORABLE = "talk.page_cache.storable"
ANONYMOUS = "anonymous"
PERSONAL = "personal"

#: Longest a request waits for another request of its process rendering the same page (then it
#: renders it itself): a render that hangs (a locked database) must not hold every reader.
WAIT_SECONDS = 5.0


class Render:
    """A page one request of this process is rendering, for those that ask for it meanwhile:
    :attr:`done` is set once it is over, with :attr:`entry` the page if it was kept."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.entry: Entry | None = None
        #: How many requests came to wait for it (the tests watch it).
        self.waiting = 0


class PageCache:
    """WSGI middleware answering anonymous GET/HEAD requests from the cache, and logged-in ones
    from :attr:`personal`; the generation's owner (:meth:`bump`)."""

    def __init__(
        self, wsgi_app: Any, backend: Backend, ttl: int, app: Flask, pages: PersonalPages
    ) -> None:
        self.wsgi_app = wsgi_app
        self.backend = backend
        self.ttl = ttl
        #: Logged-in pages; its private generation moves even while ``TALK_PAGE_CACHE_PERSONAL``
        #: is off here, for the processes where it is on.
        self.personal = pages
        self.session_cookie = app.config.get("SESSION_COOKIE_NAME", "session")
        self.remember_cookie = app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
        self.config = app.config
        #: A bump that failed: no page is served or stored here until one succeeds.
        self.unsynced = False
        #: Pages being rendered by a request of this process, by (kind, key, generation read):
        #: others asking for one meanwhile wait for it, or get its expired page (:meth:`_serve`).
        self._renders: dict[tuple[str, str, str], Render] = {}
        self._renders_changed = threading.Condition()
        #: Longest wait for another request's render before rendering oneself.
        self.wait_seconds = WAIT_SECONDS

    def now(self) -> float:
        """Talk's clock (``TALK_CLOCK``, injected by tests), as a timestamp."""
        clock = self.config.get("TALK_CLOCK")
        return time.time() if clock is None else float(clock().timestamp())

    # --- the generation ----------------------------------------------------------------------

    def bump(self) -> None:
        self.unsynced = bump_or_flag(self.backend, "generation", self.unsynced)

    # --- requests ------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if (
            environ.get("REQUEST_METHOD") not in ("GET", "HEAD")
            or not self.config["TALK_PAGE_CACHE"]  # turned off since start-up (a test)
        ):
            return self.wsgi_app(environ, start_response)
        if not self._anonymous(environ):
            if environ.get("HTTP_AUTHORIZATION") or not self.config["TALK_PAGE_CACHE_PERSONAL"]:
                return self.wsgi_app(environ, start_response)
            return self._personal(environ, start_response)
        return self._serve(environ, start_response, self, self._key(environ), ANONYMOUS)

    def _personal(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        """A logged-in request: its page for these very credentials, or rendered and kept."""
        key = self.personal.key(environ, self._url(environ))
        if key is None:
            return self.wsgi_app(environ, start_response)
        return self._serve(environ, start_response, self.personal, key, PERSONAL)

    def _serve(
        self,
        environ: dict[str, Any],
        start_response: Any,
        shelf: PageCache | PersonalPages,
        key: str,
        kind: str,
    ) -> Iterable[bytes]:
        """Answer from ``shelf`` (the visitors' pages, or the logged-in ones) if it holds a
        current page under ``key``; else render, and let ``shelf`` keep a ``kind`` page."""
        if shelf.unsynced:
            shelf.bump()
            if shelf.unsynced:
                return self.wsgi_app(environ, start_response)
        try:
            generation, entry = shelf.lookup(key, environ)
        except BackendUnavailable:
            return self.wsgi_app(environ, start_response)
        stale = None
        if entry is not None and entry.generation == generation:
            age = self.now() - entry.created
            if 0 <= age < shelf.ttl:
                return self._answer(environ, start_response, entry)
            if 0 <= age < KEPT_FOR * shelf.ttl:
                stale = entry
        return self._render_once(environ, start_response, shelf, key, kind, generation, stale)

    def _render_once(
        self,
        environ: dict[str, Any],
        start_response: Any,
        shelf: PageCache | PersonalPages,
        key: str,
        kind: str,
        generation: str,
        stale: Entry | None,
    ) -> Iterable[bytes]:
        """Render the page read at ``generation``, unless another request of this process is
        rendering it: then answer ``stale`` (an expired page of that generation) at once, or
        wait for that render's page."""
        flight = (kind, key, generation)
        with self._renders_changed:
            render = self._renders.get(flight)
            leading = render is None and environ["REQUEST_METHOD"] == "GET"
            if leading:
                render = self._renders[flight] = Render()
            elif render is not None and stale is None:
                render.waiting += 1
                self._renders_changed.notify_all()
        if render is None:  # a HEAD nobody is rendering: not kept
            return self.wsgi_app(environ, start_response)
        if not leading:
            if stale is not None:
                # Nothing was written since it was rendered, only its "… ago" is older: while
                # one request renders it again, the others get it rather than all rendering it
                # at once (eight connections re-rendering an expired search page put 1% of a
                # benchmark's requests over 100 ms: bench/RESULTS.md).
                return self._answer(environ, start_response, stale)
            # Written since, or never kept: the page this request would render is the one
            # being rendered (same key, same generation read), so wait for it rather than
            # render it too (eight connections rendering the tag search after a post:
            # docs/page-cache.md, "No stampede").
            if render.done.wait(self.wait_seconds) and render.entry is not None:
                return self._answer(environ, start_response, render.entry)
            # The render waited for failed, was not kept, or took too long: render alone.
            if environ["REQUEST_METHOD"] != "GET":
                return self.wsgi_app(environ, start_response)
            return self._render_kept(environ, start_response, shelf, key, generation, kind)

        def kept(entry: Entry) -> None:
            render.entry = entry  # only a page the shelf kept: a hit would have given it

        try:
            return self._render_kept(environ, start_response, shelf, key, generation, kind, kept)
        finally:
            with self._renders_changed:
                del self._renders[flight]
                self._renders_changed.notify_all()
            render.done.set()

    def _render_kept(
        self,
        environ: dict[str, Any],
        start_response: Any,
        shelf: PageCache | PersonalPages,
        key: str,
        generation: str,
        kind: str,
        kept: Callable[[Entry], None] | None = None,
    ) -> Iterable[bytes]:
        """Render a GET, and let ``shelf`` keep the page under ``key`` (then ``kept`` is told)."""

        def store(entry: Entry) -> None:
            if shelf.store(key, entry) and kept is not None:
                kept(entry)

        environ[PENDING] = kind
        return self._render(environ, start_response, generation, store)

    def lookup(self, key: str, environ: dict[str, Any]) -> tuple[str, Entry | None]:
        """The current generation and the page kept under ``key`` (any generation)."""
        return self.backend.lookup(key)

    def store(self, key: str, entry: Entry) -> bool:
        """Keep ``entry``; whether it was (the shared store may not answer)."""
        try:
            self.backend.store(key, entry, KEPT_FOR * self.ttl)
        except BackendUnavailable:
            return False
        return True

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
    def _url(environ: dict[str, Any]) -> str:
        """The URL as the client asked for it: scheme, host, path and query string."""
        return "{}://{}{}{}?{}".format(
            environ.get("wsgi.url_scheme", "http"),
            environ.get("HTTP_HOST") or environ.get("SERVER_NAME", ""),
            environ.get("SCRIPT_NAME", ""),
            environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""),
        )

    @classmethod
    def _key(cls, environ: dict[str, Any]) -> str:
        url = cls._url(environ).encode("utf-8", "surrogateescape")
        return hashlib.blake2b(url, digest_size=20).hexdigest()

    def _render(
        self,
        environ: dict[str, Any],
        start_response: Any,
        generation: str,
        store: Callable[[Entry], None],
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
            person=environ.get(PERSON),
        )
        store(entry)
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
    no CSRF token; or a logged-in page :func:`personal.storable` accepts (the middleware still
    refuses any answer that sets a cookie). Registered first, so it runs after every other
    ``after_request`` hook, the commit and whatever they write included."""
    pending = request.environ.get(PENDING)
    if pending == PERSONAL:
        if personal.storable(response):
            request.environ[STORABLE] = True
        return response
    if (
        pending == ANONYMOUS
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


# --- the app -----------------------------------------------------------------------------------


def init_app(app: Flask) -> None:
    """Wrap ``app.wsgi_app`` (call before the host check and ProxyFix wrap it, so the key names
    the host and scheme the client asked for); nothing when ``TALK_PAGE_CACHE`` is off."""
    if not app.config["TALK_PAGE_CACHE"]:
        return
    backend = make_backend(app)
    ttl = app.config["TALK_PAGE_CACHE_PERSONAL_SECONDS"]
    pages = PersonalPages(make_personal_backend(app, backend), ttl, app)
    cache = PageCache(app.wsgi_app, backend, app.config["TALK_PAGE_CACHE_SECONDS"], app, pages)
    app.extensions[EXTENSION] = cache
    app.wsgi_app = cache  # type: ignore[method-assign]
    app.after_request(_mark_storable)


__all__ = [
    "CACHEABLE_API_ENDPOINTS",
    "CACHEABLE_ENDPOINTS",
    "PERSONAL_ENDPOINTS",
    "PRIVATE_TABLES",
    "Entry",
    "FileGeneration",
    "LocalBackend",
    "PageCache",
    "PersonalPages",
    "RedisBackend",
    "init_app",
]
