"""The cases of ``bench/pages.py``: which requests, as whom, against which target (issue 12), and
what each costs in SQL statements, counted in-process with the app's test client."""

from __future__ import annotations

import http.cookiejar
import json
import random
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

#: Kinds of case, and the issue's target for each (read at 8 connections).
PAGE, LOGGED_IN, API, SEARCH, POST = "page", "logged-in", "api", "search", "post"
RATIO_TARGETS = {PAGE: 0.30, SEARCH: 0.30, LOGGED_IN: 0.15, API: 0.30, POST: 0.25}
P99_TARGET_MS = 100.0  # anonymous pages
SEARCH_P95_TARGET_MS = 50.0
LAST_PAGE_TARGET = 1.2  # last page's cost (1 / req/s) over the first page's
TARGET_CONNECTIONS = 8


@dataclass
class Case:
    """One request the benchmark repeats: ``who`` is None (anonymous), ``"user"`` or
    ``"moderator"`` (a session cookie) or ``"token"`` (the API token)."""

    name: str
    kind: str
    path: str
    who: str | None = None
    post_template: str | None = None  # a POST's JSON body, with two %d (see run_wrk)
    #: Every request under load a URL of its own (see run_wrk.VARY_SCRIPT): the page cache
    #: never answers it, so the figures are the view's own cost.
    uncached: bool = False
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def baseline(self) -> str:
        """Which baseline it is compared with: the fixed string, or the one-row insert."""
        return "write" if self.kind == POST else "read"


def cases_for(manifest: dict[str, Any], last_page: str) -> list[Case]:
    """Every case of the issue, in the order they run, for the project the manifest names."""
    slug = manifest["project"]
    hot = manifest["hot_discussion"]["id"]
    search = manifest["search"]
    scope = f"&project={quote(slug)}"
    searches = {
        "two words": f"/search?q={quote(search['words'])}{scope}",
        "phrase": f"/search?q={quote(search['phrase'])}{scope}",
        "tag filter": f"/search?q={quote(search['words'])}&tag={quote(search['tag'])}{scope}",
    }
    return [
        Case("item page", PAGE, f"/projects/{slug}/items/{quote(manifest['item'])}"),
        Case("thread first page", PAGE, f"/discussions/{hot}"),
        Case("thread last page", PAGE, last_page),
        Case("board page", PAGE, f"/projects/{slug}/boards/{manifest['board']}"),
        Case("project home", PAGE, f"/projects/{slug}"),
        Case("recent comments", PAGE, f"/projects/{slug}/comments"),
        Case("tag page", PAGE, f"/projects/{slug}/tags/{quote(manifest['tag'])}"),
        # Anonymous searches are cached like pages: the same URL again is a hit, so each is
        # measured both ways.
        *(Case(f"search {name}", SEARCH, path) for name, path in searches.items()),
        *(
            Case(f"search {name} (uncached)", SEARCH, path, uncached=True)
            for name, path in searches.items()
        ),
        Case("notifications", LOGGED_IN, "/notifications", who="user"),
        Case("moderation queue", LOGGED_IN, f"/projects/{slug}/moderation", who="moderator"),
        Case("thread logged in", LOGGED_IN, f"/discussions/{hot}", who="user"),
        Case("API item", API, f"/api/v1/projects/{slug}/items/{quote(manifest['item'])}"),
        Case("API comments", API, f"/api/v1/discussions/{hot}/comments"),
        Case(
            "post a comment",
            POST,
            f"/api/v1/discussions/{manifest['followed_discussion']['id']}/comments",
            who="token",
            post_template=json.dumps(
                {
                    "body": f"Bench reply %d-%d about #{manifest['tag']}, "
                    f"@{manifest['moderator']['username']} please look"
                }
            ),
        ),
    ]


def quote(text: str) -> str:
    return urllib.parse.quote(text, safe="")


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', html) or re.search(
        r'name="csrf_token"[^>]* value="([^"]+)"', html
    )  # a visitor's page has no meta tag now: the login form's field
    if not match:
        raise SystemExit("No CSRF token on the login page")
    return match.group(1)


#: The ``User-Agent`` of the logging in and of every logged-in request (give it to wrk with the
#: cookie): Flask-Login's session protection compares it with the login's, and a browser that
#: changed would get a new cookie on every request (wrk keeps sending the old one).
USER_AGENT = "talk-bench"


def log_in(base_url: str, username: str, password: str) -> str:
    """Log in on the live server as a browser does (login page, CSRF token, form), as
    :data:`USER_AGENT`; the ``Cookie`` header that carries the session."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", USER_AGENT)]
    with opener.open(f"{base_url}/login") as page:
        token = csrf_token(page.read().decode())
    form = urllib.parse.urlencode({"login": username, "password": password, "csrf_token": token})
    with opener.open(f"{base_url}/login", data=form.encode()) as answer:
        if answer.status != 200 or "/login" in answer.url:
            raise SystemExit(f"Logging in as {username} failed ({answer.status} {answer.url})")
    cookies = "; ".join(f"{c.name}={c.value}" for c in jar)
    if "session=" not in cookies:
        raise SystemExit(f"Logging in as {username} set no session cookie")
    return cookies


def check_answers(base_url: str, case: Case) -> None:
    """One request through the live server before the load: a case must answer 2xx (wrk only
    counts answers over 399, so a redirect to the login page would pass unseen)."""
    request = urllib.request.Request(
        base_url + case.path,
        headers=case.headers,
        method="POST" if case.post_template else "GET",
        data=(case.post_template % (random.randrange(10**9), 0)).encode()
        if case.post_template
        else None,
    )
    if case.post_template:
        request.add_header("Content-Type", "application/json")
    opener = urllib.request.build_opener(NoRedirect())
    try:
        with opener.open(request) as answer:
            status = answer.status
    except urllib.error.HTTPError as error:
        status = error.code
        detail = error.read()[:500].decode(errors="replace")
    else:
        detail = ""
    if not 200 <= status < 300:
        raise SystemExit(f"{case.name}: {case.path} answered {status}, not 2xx. {detail}")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


# ------------------------------------------------------------------------------ in-process


class StatementCounter:
    """SQL statements sent while counting (``before_cursor_execute``)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *args: Any) -> None:
        self.count += 1

    @contextmanager
    def counting(self, engine: Any) -> Iterator[None]:
        from sqlalchemy import event

        event.listen(engine, "before_cursor_execute", self)
        try:
            yield
        finally:
            event.remove(engine, "before_cursor_execute", self)


def in_process_app(database_url: str, per_page: int, secret: str) -> Any:
    from talk import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "TALK_PAGE_SIZE": per_page,
            "TALK_RATE_LIMITS": False,
            "TALK_PAGE_CACHE": False,  # statements of a rendered page, not of a cache hit
            "SECRET_KEY": secret,
        }
    )


def last_page_path(app: Any, discussion_id: int) -> str:
    """The path of the discussion page that shows its newest comment, as its permalink
    (``/comments/<id>``) redirects an anonymous reader to it."""
    from sqlalchemy import func, select

    from talk.extensions import db
    from talk.models import Comment

    with app.app_context():
        newest = db.session.scalar(
            select(func.max(Comment.id)).where(
                Comment.discussion_id == discussion_id, Comment.held_at.is_(None)
            )
        )
    answer = app.test_client().get(f"/comments/{newest}")
    if answer.status_code != 302:
        raise SystemExit(f"/comments/{newest} answered {answer.status_code}, not a redirect")
    return str(answer.headers["Location"]).split("#", 1)[0]


def statements_per_request(app: Any, case: Case, manifest: dict[str, Any]) -> int:
    """The SQL statements one request of ``case`` sends, in-process on the same database
    (after one warm-up request, as the servers are warm)."""
    from talk.extensions import db

    client = app.test_client()
    headers: dict[str, str] = {}
    if case.who in ("user", "moderator"):
        account = manifest[case.who]
        page = client.get("/login").get_data(as_text=True)
        answer = client.post(
            "/login",
            data={
                "login": account["username"],
                "password": account["password"],
                "csrf_token": csrf_token(page),
            },
        )
        if answer.status_code != 302:
            raise SystemExit(f"In-process login as {account['username']} failed")
    elif case.who == "token":
        headers["Authorization"] = f"Bearer {manifest['user']['token']}"

    def once() -> int:
        if case.post_template:
            body = case.post_template % (random.randrange(10**9), 0)
            return client.post(
                case.path, data=body, headers=headers, content_type="application/json"
            ).status_code
        return client.get(case.path, headers=headers).status_code

    once()
    counter = StatementCounter()
    with app.app_context():
        engine = db.engine
    with counter.counting(engine):
        status = once()
    if not 200 <= status < 300:
        raise SystemExit(f"{case.name}: in-process request answered {status}")
    return counter.count
