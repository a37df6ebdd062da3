"""The write path (issue 12): what posting a comment costs, where the time goes, and how posting
through ``talk serve`` compares with a bare Flask view writing one row. Figures, not assertions.

    .venv/bin/python bench/write_path.py seed                      # SQLite file under /tmp
    .venv/bin/python bench/write_path.py seed --comments 20000
    .venv/bin/python bench/write_path.py seed --database-url postgresql://postgres@127.0.0.1/DB
    .venv/bin/python bench/write_path.py serve [--database-url …] [--seconds 10] [--rounds 3]

``seed`` empties the database (a SQLite file is recreated; on PostgreSQL the ``public`` schema
is dropped: give it a database of its own), makes a project with 200 people and 40
discussions, and posts ``--comments`` comments through the services, one transaction each, as
an import would: every one with a hashtag (of 200) and a mention (of the 200 people). It prints
comments per second, SQL statements and milliseconds per comment, and where they go: each phase
gets the time and statements spent inside it and not inside a phase nested in it, so the
phases add up to the total. Then it checks every counter against its recount.

``serve`` starts ``talk serve`` (1 worker, 8 threads) on a fresh database and, in the same
granian, a bare Flask app whose one view inserts one row in one transaction into the same
database (:func:`baseline_app`). ``wrk`` (Debian's) posts to each at 8 connections for
``--seconds``, interleaved for ``--rounds``: Talk through its JSON API (a comment with a hashtag
and a mention into one of 40 discussions, each request a new text), the baseline a form field.
It prints the medians and Talk's ratio to the baseline (the issue asks for at least 25%).
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.request import urlopen

import scale
from flask import Flask, request
from flask_migrate import upgrade
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, event, insert
from sqlalchemy.orm import Session

from talk import markdown, policy, rate_limits, serving, signals
from talk.app import database_url, writing
from talk.extensions import db
from talk.models import Board, Discussion, User
from talk.services import counting, discussions, mentions, projects, tag_sync, tokens

PEOPLE = 200
THREADS = 40
TAGS = 200


def body(n: int) -> str:
    """The ``n``-th comment: a sentence or two, a hashtag and a mention, like real Talk text."""
    return (
        f"Comment {n}: the entry on this page looks like #ward{n % TAGS} again, "
        f"dated 18{n % 100:02d}. @person{(n * 7) % PEOPLE} did you see the same hand?"
    )


def make_app(url: str) -> Flask:
    app = scale.make_app(url, tempfile.mkdtemp(prefix="talk-write-"))
    app.config["TALK_RATE_LIMITS"] = False  # one author posts thousands of comments
    return app


def build(app: Flask) -> tuple[list[int], list[int]]:
    """People and discussions (ids) in a new project, through the services."""
    with app.app_context(), writing():
        upgrade()
        people = scale.make_people(PEOPLE)
        owner = db.session.get(User, people[0])
        project = projects.create_project(owner, "write", "Write path")
        db.session.commit()
        board = db.session.scalars(
            db.select(Board).where(Board.project_id == project.id, Board.kind == "general")
        ).first()
        threads = [
            discussions.start_discussion(owner, board, f"Thread {i}", f"Opening {i}").id
            for i in range(THREADS)
        ]
        db.session.commit()
    return people, threads


# ------------------------------------------------------------------------------------ phases


class Phases:
    """Exclusive time and statements per phase: the innermost phase running gets them."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.statements: dict[str, int] = defaultdict(int)
        self.stack: list[tuple[str, float]] = []

    def statement(self, *_: Any) -> None:
        self.statements[self.stack[-1][0] if self.stack else "other"] += 1

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        now = time.perf_counter()
        if self.stack:
            outer, since = self.stack[-1]
            self.seconds[outer] += now - since
        self.stack.append((name, now))
        try:
            yield
        finally:
            now = time.perf_counter()
            self.seconds[name] += now - self.stack.pop()[1]
            if self.stack:
                self.stack[-1] = (self.stack[-1][0], now)

    def wrap(self, owner: Any, attribute: str, name: str) -> None:
        original: Callable[..., Any] = getattr(owner, attribute)

        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.phase(name):
                return original(*args, **kwargs)

        setattr(owner, attribute, timed)


def instrument(phases: Phases) -> None:
    """Time the write path's parts where the services call them."""
    phases.wrap(policy, "require", "policy.require")
    phases.wrap(policy, "check_content", "content checks")
    phases.wrap(mentions, "comment_links", "parse + resolve links")
    phases.wrap(discussions, "_refuse_duplicate", "duplicate check")
    phases.wrap(rate_limits, "hit_many", "rate limits")
    phases.wrap(markdown, "render", "markdown render")
    phases.wrap(counting, "apply", "counter UPDATEs")
    phases.wrap(Session, "flush", "flush (comment INSERT)")
    phases.wrap(tag_sync, "sync_comment", "tag_sync")
    phases.wrap(mentions, "sync_comment", "mentions sync")
    phases.wrap(signals.comment_posted, "send", "signal receivers")
    phases.wrap(Session, "commit", "commit")


def seed(url: str, count: int) -> None:
    app = make_app(url)
    people, threads = build(app)
    phases = Phases()
    with app.app_context(), writing():
        event.listen(db.engine, "before_cursor_execute", phases.statement)
        authors = [db.session.get(User, person) for person in people]
        by_id = {d.id: d for d in db.session.scalars(db.select(Discussion))}
        instrument(phases)
        phases.statements.clear()
        started = time.perf_counter()
        with phases.phase("other"):
            for n in range(count):
                author = authors[(n * 13) % PEOPLE]
                discussions.post_comment(author, by_id[threads[n % THREADS]], body(n))
                db.session.commit()
        seconds = time.perf_counter() - started
        event.remove(db.engine, "before_cursor_execute", phases.statement)
        from talk.services.counters import counter_mismatches

        wrong = counter_mismatches()
    engine = url.split(":", maxsplit=1)[0]
    statements = sum(phases.statements.values())
    print(f"\nSeeding {count:,} comments through the services, {engine}")
    print(
        f"{count / seconds:,.1f} comments/s, {seconds / count * 1000:.2f} ms and "
        f"{statements / count:.1f} SQL statements per comment"
    )
    print(f"{'phase':<26}{'ms/comment':>11}{'share':>8}{'SQL/comment':>13}")
    for name in sorted(phases.seconds, key=phases.seconds.__getitem__, reverse=True):
        spent = phases.seconds[name]
        print(
            f"{name:<26}{spent / count * 1000:>11.2f}{spent / seconds:>8.0%}"
            f"{phases.statements.get(name, 0) / count:>13.1f}"
        )
    print(f"counters equal to their recount: {'yes' if not wrong else wrong[:5]}")


# ------------------------------------------------------------------------------------- serve


def baseline_app() -> Flask:
    """The write baseline: one view inserting one row in one transaction, nothing else (granian
    imports it as ``write_path:baseline_app``; the database from ``TALK_DATABASE_URL``)."""
    engine = create_engine(database_url(os.environ["TALK_DATABASE_URL"]), pool_size=15)
    # Talk's engine listeners (talk.app: WAL, busy_timeout, BEGIN IMMEDIATE for a POST) are
    # registered on every Engine, so this one writes under the same settings.
    rows = Table(
        "bench_writes",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("body", String(2000)),
    )
    rows.metadata.create_all(engine)
    app = Flask("baseline")

    @app.post("/write")
    def write() -> tuple[str, int]:
        with engine.begin() as connection:
            connection.execute(insert(rows).values(body=request.form["body"]))
        return "ok", 201

    return app


LUA = """
-- every request a new text (the same text twice in a few minutes is refused as a duplicate):
-- wrk's threads each count on their own, so each adds its own number
local made = 0
function setup(thread)
  made = made + 1
  thread:set("tid", made)
end
counter = 0
request = function()
  counter = counter + 1
  local n = counter * 16 + tid
  local path, body
  if TALK then
    path = "/api/v1/discussions/" .. THREADS[(n % #THREADS) + 1] .. "/comments"
    body = '{"body": "Reply ' .. RUN .. '-' .. n .. ' #ward' .. (n % 200) ..
      ' @person' .. (n % 200) .. ' is this the same hand as before?"}'
  else
    path = "/write"
    body = "body=Reply+" .. RUN .. "-" .. n .. "+%23ward" .. (n % 200) .. "+is+this+the+same+hand"
  end
  return wrk.format("POST", path, nil, body)
end
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def server(target: str, url: str, log: Path) -> Iterator[int]:
    """granian serving ``target`` as ``talk serve`` would (1 worker, 8 threads)."""
    port = free_port()
    argv = serving.server_argv(f"127.0.0.1:{port}", 1, 8)
    argv[-1] = target
    environment = {
        **os.environ,
        "TALK_DATABASE_URL": url,
        "TALK_RATE_LIMITS": "0",
        "TALK_SECRET_KEY": "bench",
        "TALK_INSTANCE_PATH": str(log.parent),
        "PYTHONPATH": os.pathsep.join(
            filter(None, (str(Path(__file__).parent), os.environ.get("PYTHONPATH")))
        ),
    }
    with log.open("w") as output:
        process = subprocess.Popen(
            argv, env=environment, stdout=output, stderr=output, start_new_session=True
        )
    try:
        ready(port)
        yield port
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # its own session: the worker goes with it
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def ready(port: int) -> None:
    """Wait until the worker answers (granian listens before its worker has imported the app)."""
    for _ in range(1200):
        try:
            with urlopen(f"http://127.0.0.1:{port}/ready", timeout=5):
                return
        except HTTPError:
            return  # any HTTP answer (404, 405) means the app is serving
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"the server on port {port} never answered")


_runs = itertools.count(1)


def wrk(port: int, script: Path, seconds: int, headers: list[str]) -> tuple[float, int]:
    """Requests per second and non-2xx answers. Each run numbers its texts apart from the
    runs before (the database keeps their comments, and a repeated text would be refused)."""
    number = next(_runs)
    run = script.with_name(f"{script.stem}-{number}.lua")
    run.write_text(f"RUN = {number}\n" + script.read_text())
    script = run
    argv = ["/usr/bin/wrk", "-t2", "-c8", f"-d{seconds}s", "-s", str(script)]
    for header in headers:
        argv += ["-H", header]
    out = subprocess.run(
        [*argv, f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rate, int(bad.group(1)) if bad else 0


def serve(url: str, seconds: int, rounds: int) -> None:
    app = make_app(url)
    people, threads = build(app)
    with app.app_context():
        owner = db.session.get(User, people[0])
        secret = tokens.issue_token(policy.OPERATOR, owner, name="bench").secret
        db.session.commit()
    work = Path(tempfile.mkdtemp(prefix="talk-write-serve-"))
    scripts = {}
    for name, talk in (("talk", "true"), ("baseline", "false")):
        scripts[name] = work / f"{name}.lua"
        scripts[name].write_text(
            f"TALK = {talk}\nTHREADS = {{{','.join(map(str, threads))}}}\n" + LUA
        )
    rates: dict[str, list[float]] = {"talk": [], "baseline": []}
    errors = 0
    targets = {"talk": "talk:create_app", "baseline": "write_path:baseline_app"}
    headers = {
        "talk": [f"Authorization: Bearer {secret}", "Content-Type: application/json"],
        "baseline": ["Content-Type: application/x-www-form-urlencoded"],
    }
    for _ in range(rounds):
        for name in ("baseline", "talk"):
            with server(targets[name], url, work / f"{name}.log") as port:
                wrk(port, scripts[name], 1, headers[name])  # warm up
                rate, bad = wrk(port, scripts[name], seconds, headers[name])
            rates[name].append(rate)
            errors += bad
    talk, base = statistics.median(rates["talk"]), statistics.median(rates["baseline"])
    engine = url.split(":", maxsplit=1)[0]
    print(f"\nPosting through granian (1 worker × 8 threads), wrk -c8, {engine}, {rounds} rounds")
    print(f"baseline (bare Flask, one INSERT): {base:,.0f} req/s  {rates['baseline']}")
    print(f"Talk (API comment, #tag @mention): {talk:,.0f} req/s  {rates['talk']}")
    print(f"ratio Talk / baseline: {talk / base:.0%}   non-2xx answers: {errors}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("case", choices=("seed", "serve"))
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--comments", type=int, default=2000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    own = Path(tempfile.gettempdir()) / f"talk-write-path-{os.getpid()}.sqlite"
    url = scale.fresh_database(args.database_url or f"sqlite:///{own}")
    if args.case == "seed":
        seed(url, args.comments)
    else:
        serve(url, args.seconds, args.rounds)
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
