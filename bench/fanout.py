"""Posting to a discussion with many followers costs the request what posting to one with none
costs: the fan-out runs in the worker (issue 9). Figures, not assertions.

    .venv/bin/python bench/fanout.py                          # SQLite file under /tmp
    .venv/bin/python bench/fanout.py --followers 10000 --posts 40
    .venv/bin/python bench/fanout.py --database-url postgresql://postgres@127.0.0.1/talk_bench

What it does:

1. Empties the database (a SQLite file is recreated; on PostgreSQL the ``public`` schema is
   dropped, so point it at a database of its own) and migrates it.
2. Makes a project, an author with an API token, and two discussions: a busy one that
   ``--followers`` people follow (users and follows inserted in bulk) and a quiet one nobody
   follows.
3. Posts ``--posts`` replies to each through the JSON API (the real request: validation,
   rendering, counters, signal receivers writing the notification event), interleaved busy,
   quiet, busy, quiet…, and prints each discussion's request latency (p50, p95) and SQL
   statements per request, with the ratio busy / quiet.
4. Runs the worker's fan-out job (``notifications.inbox.deliver_events``) over the busy
   discussion's events and prints how long turning them into notifications took.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import scale
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import event, func, insert, select

from notifications.follow_models import Follow
from notifications.inbox import deliver_events
from notifications.inbox_models import Notification
from talk import policy
from talk.app import writing
from talk.extensions import db
from talk.models import Board, User
from talk.services import discussions, projects, tokens


def followers(count: int, discussion_id: int) -> None:
    """``count`` volunteers (bulk) who each follow the discussion (bulk)."""
    rows = [
        {
            "username": f"follower{i}",
            "username_key": f"follower{i}",
            "username_skeleton": f"follower{i}",
            "display_name": f"Follower {i}",
            "email": f"follower{i}@example.org",
            "email_key": f"follower{i}@example.org",
            "password_hash": "!",
            "is_site_admin": False,
            "created_at": scale.START,
            "comment_count": 0,
            "session_token": f"t{i}",
        }
        for i in range(count)
    ]
    db.session.execute(insert(User), rows)
    ids = db.session.scalars(select(User.id).where(User.username.like("follower%"))).all()
    db.session.execute(
        insert(Follow),
        [
            {
                "user_id": user_id,
                "level": "follow",
                "origin": "chosen",
                "created_at": scale.START,
                "discussion_id": discussion_id,
            }
            for user_id in ids
        ],
    )
    db.session.commit()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def build(app: Flask, follower_count: int) -> tuple[str, int, int]:
    """The project, the author's API token and the busy and quiet discussions' ids."""
    with app.app_context(), writing():
        upgrade()
        owner = db.session.get(User, scale.make_people(1)[0])
        project = projects.create_project(owner, "fanout", "Fan-out")
        db.session.commit()
        chat = db.session.scalar(
            select(Board).where(Board.project_id == project.id, Board.kind == "general")
        )
        busy = discussions.start_discussion(owner, chat, "Busy thread", "Everyone follows.")
        quiet = discussions.start_discussion(owner, chat, "Quiet thread", "Nobody follows.")
        secret = tokens.issue_token(policy.OPERATOR, owner, name="bench").secret
        db.session.commit()
        busy_id, quiet_id = busy.id, quiet.id
        started = time.perf_counter()
        followers(follower_count, busy_id)
        took = time.perf_counter() - started
        print(f"{follower_count:,} followers of the busy thread in {took:.1f} s")
        deliver_events("bench", limit=10)  # the threads' own first comments: not timed
    return secret, busy_id, quiet_id


def post_replies(
    app: Flask, secret: str, threads: dict[str, int], posts: int
) -> dict[str, tuple[list[float], list[int]]]:
    """Each thread's request latencies and SQL statements per request, posting interleaved."""
    statements = 0

    def count(*_: object) -> None:
        nonlocal statements
        statements += 1

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    figures: dict[str, tuple[list[float], list[int]]] = {name: ([], []) for name in threads}
    for n in range(posts):
        for name, discussion_id in threads.items():
            statements = 0
            started = time.perf_counter()
            answer = client.post(
                f"/api/v1/discussions/{discussion_id}/comments",
                json={"body": f"Reply {n}: is this #ward3 in 1887?"},
                headers=headers,
            )
            figures[name][0].append(time.perf_counter() - started)
            figures[name][1].append(statements)
            if answer.status_code != 201:
                raise SystemExit(f"posting failed: {answer.status_code} {answer.get_json()}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--followers", type=int, default=10_000)
    parser.add_argument("--posts", type=int, default=40, help="replies to each discussion")
    args = parser.parse_args()

    url = scale.fresh_database(args.database_url)
    app = scale.make_app(url, tempfile.mkdtemp(prefix="talk-fanout-"))
    app.config["TALK_RATE_LIMITS"] = False  # one author posts every reply (else the 2nd is 429)
    secret, busy_id, quiet_id = build(app, args.followers)
    figures = post_replies(app, secret, {"busy": busy_id, "quiet": quiet_id}, args.posts)

    engine = url.split(":")[0]
    print(f"\nPosting a reply through the API ({args.posts} each, interleaved), {engine}")
    print(f"{'thread':<8}{'followers':>10}{'p50 ms':>9}{'p95 ms':>9}{'SQL/request':>13}")
    for name, follower_count in (("busy", args.followers), ("quiet", 0)):
        times, queries = figures[name]
        print(
            f"{name:<8}{follower_count:>10,}{statistics.median(times) * 1000:>9.1f}"
            f"{percentile(times, 0.95) * 1000:>9.1f}{statistics.median(queries):>13.0f}"
        )
    ratio = statistics.median(figures["busy"][0]) / statistics.median(figures["quiet"][0])
    print(f"ratio busy / quiet (p50): {ratio:.2f}")

    with app.app_context(), writing():
        started = time.perf_counter()
        while deliver_events("bench", limit=50):
            pass
        seconds = time.perf_counter() - started
        made = db.session.scalar(select(func.count()).select_from(Notification))
    print(
        f"\nWorker fan-out: {2 * args.posts} replies' events into {made:,} notifications in "
        f"{seconds:.1f} s ({made / seconds:,.0f} notifications/s)"
    )
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
