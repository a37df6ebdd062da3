"""A bounded load test: many clients writing at once against ``talk serve`` on PostgreSQL, then
the check that nothing failed and every stored counter equals its recount.

    .venv/bin/python bench/load.py                          # 64 clients for 60 s
    .venv/bin/python bench/load.py --clients 16 --seconds 10
    .venv/bin/python bench/load.py --database-url postgresql://postgres@127.0.0.1:5432/talk_load

What it does:

1. Creates the database of ``--database-url`` afresh (it is dropped first if it exists: give it
   a database of its own, never one holding data) and migrates it (``talk db upgrade``).
2. Makes one project with ``--items`` items, a discussion on each and a few on the general
   boards, one user (with an API token) per client, every eighth of them a moderator.
3. Starts ``talk serve --workers N`` on a free port and runs the clients, each a thread with
   its own connection, for ``--seconds``. Each client picks, at random: reading a page or an
   API list (discussion, item, tags, project home; ~45%), posting a comment with hashtags and
   sometimes an ``@mention`` or a reply (~30%), editing one of its comments to other hashtags
   (~12%), deleting one (~5%), starting a discussion (~3%); moderators also hide and show again
   others' comments (a quarter of what they do, through the web pages, with a login and CSRF
   token). Writes go through the JSON API, hides through the pages — the doors people use.
4. Stops the server and prints the requests by action and status class, then recounts every
   stored counter (``talk.services.counters``: comments, discussions and items per project,
   board, item, discussion and user; every tag aggregate).

It exits 1 on any 5xx answer, any failed connection, or any counter that differs from its
recount; 0 otherwise. A 4xx can be right (editing a comment another client's moderator hid,
hiding one already hidden) and is only counted. ``tests/bench/test_load.py`` runs it briefly in
CI (``.ci/run``: 16 clients × 10 s).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/talk_load"
PASSWORD = "load-test-password-1"
HASHTAGS = ["alpha", "beta", "gamma", "delta", "Église", "eglise", "nurse", "smallpox", "ward3"]
MODERATOR_EVERY = 8


# ------------------------------------------------------------------------------ set-up


def fresh_database(url: str) -> None:
    """Drop and create the database ``url`` names, from the server's ``postgres`` database."""
    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise SystemExit(f"{name!r} is not a plain database name")
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def talk_command(*args: str, env: dict[str, str], log: Any = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "talk"), *args], env=env, stdout=log, stderr=log
    )


@dataclass
class Client:
    username: str
    headers: dict[str, str]
    moderator: bool


@dataclass
class Site:
    slug: str
    clients: list[Client]
    discussions: list[int]
    items: list[str]
    boards: list[int]


def build_site(url: str, clients: int, items: int) -> Site:
    """The project, its items and discussions, and one user (and token) per client, written
    through the services as the site would."""
    sys.path.insert(0, str(ROOT))
    from talk import create_app, policy
    from talk.extensions import db
    from talk.models import Board, BoardKind
    from talk.services import accounts, discussions, projects
    from talk.services import items as item_service

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        owner = accounts.create_user(
            policy.OPERATOR, "owner", "owner@example.org", PASSWORD, site_admin=True
        )
        project = projects.create_project(owner, "load", "Load test")
        registered = item_service.register_items(
            owner,
            project,
            [{"external_id": f"sheet-{n}", "title": f"Sheet {n}"} for n in range(items)],
        )
        users = []
        for n in range(clients):
            user = accounts.create_user(
                policy.OPERATOR, f"client{n}", f"client{n}@example.org", PASSWORD
            )
            if n % MODERATOR_EVERY == 0:
                projects.set_role(policy.OPERATOR, project, user, "moderator")
            users.append(user)
        general = [b for b in project.boards if b.kind is not BoardKind.ITEMS]
        started = [
            discussions.start_discussion(
                owner, general[0], f"Item {item.external_id}", "#alpha", item=item
            )
            for item in registered
        ] + [
            discussions.start_discussion(owner, board, f"On {board.title}", "Hello #beta")
            for board in general
            if board.read_level == "everyone"
        ]
        site = Site(
            slug=project.slug,
            clients=[
                Client(
                    user.username,
                    {"Authorization": f"Bearer {accounts.create_token(user, 'load')}"},
                    n % MODERATOR_EVERY == 0,
                )
                for n, user in enumerate(users)
            ],
            discussions=[d.id for d in started],
            items=[item.external_id for item in registered],
            boards=[b.id for b in general if isinstance(b, Board) and b.read_level == "everyone"],
        )
        db.session.commit()
    return site


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ------------------------------------------------------------------------------ clients


@dataclass
class Tally:
    """Requests by (action, status class), and what went wrong, shared by the clients."""

    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, action: str, status: int, detail: str = "") -> None:
        with self.lock:
            self.counts[(action, f"{status // 100}xx" if status else "failed")] += 1
            if status >= 500 or not status:
                self.failures.append(f"{action}: {status or 'no answer'} {detail}"[:300])


class Browser:
    """One client's HTTP connection (keep-alive), with a cookie jar of one session."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        headers: dict[str, str] | None = None,
        form: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        sent = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):  # a kept-alive connection the server closed: reconnect once
            try:
                self.conn.request(method, path, body=data, headers=sent)
                response = self.conn.getresponse()
                payload = response.read()
                break
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt == 2:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, payload


def csrf(html: bytes) -> str:
    match = re.search(rb'name="csrf-token" content="([^"]+)"', html)
    return match.group(1).decode() if match else ""


@dataclass
class Shared:
    """What all clients share: the tally, and the comments posted so far (all of them, and by
    discussion), to moderate and to reply to."""

    tally: Tally
    comments: list[int] = field(default_factory=list)
    by_discussion: dict[int, list[int]] = field(default_factory=dict)


class Session:
    """One client's loop: a random mix of actions until ``until``."""

    def __init__(self, client: Client, site: Site, port: int, shared: Shared, seed: int) -> None:
        self.client, self.site, self.shared = client, site, shared
        self.rng = random.Random(seed)
        self.browser = Browser(port)
        self.own: list[int] = []
        self.hidden: list[int] = []  # what this moderator hid, to show again
        self.csrf_token = ""

    def run(self, until: float) -> None:
        tally = self.shared.tally
        if self.client.moderator:
            self.log_in()
        actions = [self.read, self.post, self.edit, self.delete, self.start, self.moderate]
        weights = [45, 30, 12, 5, 3, 30 if self.client.moderator else 0]
        while time.monotonic() < until:
            action = self.rng.choices(actions, weights)[0]
            try:
                name, status = action()
                tally.add(name, status)
            except (OSError, http.client.HTTPException) as error:
                tally.add(action.__name__, 0, repr(error))

    def log_in(self) -> None:
        page = self.browser.request("GET", "/login")[1]
        status, _ = self.browser.request(
            "POST",
            "/login",
            form={"login": self.client.username, "password": PASSWORD, "csrf_token": csrf(page)},
        )
        self.shared.tally.add("log in", status)
        self.csrf_token = csrf(self.browser.request("GET", f"/projects/{self.site.slug}")[1])

    def api(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        status, payload = self.browser.request(
            method, f"/api/v1{path}", body=body, headers=self.client.headers
        )
        try:
            return status, json.loads(payload) if payload else None
        except ValueError:
            return status, None

    def words(self) -> str:
        rng = self.rng
        tags = " ".join(f"#{t}" for t in rng.sample(HASHTAGS, rng.randint(0, 3)))
        mention = f" @client{rng.randrange(len(self.site.clients))}" if rng.random() < 0.2 else ""
        return f"Reading {rng.randint(1, 10**6)} {tags}{mention}"

    def read(self) -> tuple[str, int]:
        slug, discussion = self.site.slug, self.rng.choice(self.site.discussions)
        path = self.rng.choice(
            [
                f"/discussions/{discussion}",
                f"/projects/{slug}",
                f"/projects/{slug}/tags",
                f"/projects/{slug}/tags/{self.rng.choice(HASHTAGS[:4])}",
                f"/projects/{slug}/items/{self.rng.choice(self.site.items)}",
                f"/api/v1/discussions/{discussion}/comments",
                f"/api/v1/projects/{slug}/tags",
            ]
        )
        return "read", self.browser.request("GET", path, headers=self.client.headers)[0]

    def post(self) -> tuple[str, int]:
        discussion = self.rng.choice(self.site.discussions)
        body: dict[str, Any] = {"body": self.words()}
        earlier = self.shared.by_discussion.get(discussion)
        if earlier and self.rng.random() < 0.3:
            body["reply_to"] = self.rng.choice(earlier[-20:])
        status, answer = self.api("POST", f"/discussions/{discussion}/comments", body)
        if status == 201:
            self.own.append(answer["id"])
            with self.shared.tally.lock:
                self.shared.comments.append(answer["id"])
                self.shared.by_discussion.setdefault(discussion, []).append(answer["id"])
        return "post", status

    def edit(self) -> tuple[str, int]:
        if not self.own:
            return self.post()
        comment = self.rng.choice(self.own)
        return "edit", self.api("PATCH", f"/comments/{comment}", {"body": self.words()})[0]

    def delete(self) -> tuple[str, int]:
        if not self.own:
            return self.post()
        comment = self.own.pop(self.rng.randrange(len(self.own)))
        return "delete", self.api("DELETE", f"/comments/{comment}")[0]

    def start(self) -> tuple[str, int]:
        board = self.rng.choice(self.site.boards)
        status, answer = self.api(
            "POST", f"/boards/{board}/discussions", {"title": "A question", "body": self.words()}
        )
        if status == 201:
            with self.shared.tally.lock:
                self.site.discussions.append(answer["id"])
        return "start discussion", status

    def moderate(self) -> tuple[str, int]:
        if not self.shared.comments:
            return self.read()
        if self.hidden and self.rng.random() < 0.5:
            action, comment = "unhide", self.hidden.pop(self.rng.randrange(len(self.hidden)))
        else:
            action, comment = "hide", self.rng.choice(self.shared.comments[-200:])
        status, _ = self.browser.request(
            "POST",
            f"/comments/{comment}/{action}",
            form={"csrf_token": self.csrf_token, "reason": "Load test"},
        )
        if action == "hide" and status == 302:
            self.hidden.append(comment)
        return action, status


# ------------------------------------------------------------------------------ checking


def check_counters(url: str) -> list[str]:
    from talk import create_app
    from talk.services.counters import counter_mismatches

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        return counter_mismatches()


def report(tally: Tally, seconds: float, mismatches: list[str]) -> bool:
    classes = ["2xx", "3xx", "4xx", "5xx", "failed"]
    actions = sorted({action for action, _ in tally.counts})
    total = sum(tally.counts.values())
    print(f"\n{'action':<18}" + "".join(f"{c:>8}" for c in classes))
    for action in actions:
        print(f"{action:<18}" + "".join(f"{tally.counts[(action, c)]:>8}" for c in classes))
    by_class = Counter()
    for (_, status_class), n in tally.counts.items():
        by_class[status_class] += n
    print(f"{'all':<18}" + "".join(f"{by_class[c]:>8}" for c in classes))
    print(f"\n{total:,} requests in {seconds:.0f} s ({total / seconds:,.0f}/s)")
    for failure in tally.failures[:20]:
        print("  FAILED", failure)
    if mismatches:
        print(f"{len(mismatches)} stored counters differ from their recount:")
        for line in mismatches[:20]:
            print("  ", line)
    else:
        print("every stored counter equals its recount")
    return not tally.failures and not mismatches


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4, help="talk serve --workers")
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument(
        "--database-url", default=os.environ.get("TALK_LOAD_DATABASE_URL", DEFAULT_URL)
    )
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args(argv)

    fresh_database(args.database_url)
    env = {
        **os.environ,
        "TALK_DATABASE_URL": args.database_url,
        "TALK_SECRET_KEY": secrets.token_hex(32),
    }
    if talk_command("db", "upgrade", env=env).wait() != 0:
        return 1
    os.environ["TALK_SECRET_KEY"] = env["TALK_SECRET_KEY"]
    site = build_site(args.database_url, args.clients, args.items)
    port = free_port()
    log_path = Path(tempfile.gettempdir()) / f"talk-load-{port}.log"
    log = log_path.open("wb")
    server = talk_command(
        "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers), env=env, log=log
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if Browser(port).request("GET", "/")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                print(f"talk serve did not start; see {log_path}", file=sys.stderr)
                return 1
            time.sleep(0.2)
        print(
            f"{args.clients} clients for {args.seconds:.0f} s against talk serve "
            f"--workers {args.workers} on {args.database_url}",
            flush=True,
        )
        shared = Shared(Tally())
        started = time.monotonic()
        until = started + args.seconds
        clients = [
            threading.Thread(
                target=Session(client, site, port, shared, args.seed + n).run, args=(until,)
            )
            for n, client in enumerate(site.clients)
        ]
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join()
        elapsed = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(30)
        log.close()
    print(f"server log: {log_path}")
    ok = report(shared.tally, elapsed, check_counters(args.database_url))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
