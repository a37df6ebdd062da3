"""Logged-in pages kept while notifications for other people are written (docs/page-cache.md,
"Invalidation: the private generation and each person's"), in-process:

    .venv/bin/python bench/personal_fanout.py --manifest /tmp/me/g.json --every 5

The volunteer of the manifest asks for the hot thread ``--requests`` times through the app's
test client (the page cache on, its files in a temporary instance folder); before every
``--every``-th request, a fan-out of ``--fanout`` notifications for other people is written
(one ORM bulk insert and its commit, as the worker's ``notify`` job does); ``--viewer-every N``
puts the volunteer in every N-th request's fan-out too. It prints how many requests were
answered from the cache (no SQL in the requesting thread) and their CPU per request
(``time.process_time``, the writes not counted). The rows it wrote are deleted at the end.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cpu
import run_cases

#: Event ids of the rows written here, far past any real event's.
FIRST_EVENT = 10**9


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--manifest", type=Path, required=True)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--every", type=int, default=5, help="a fan-out before every N-th")
    parser.add_argument("--fanout", type=int, default=100, help="notifications per fan-out")
    parser.add_argument("--viewer-every", type=int, default=0, help="the viewer's own, every N")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    manifest = json.loads(args.manifest.read_text())
    from sqlalchemy import delete, event, insert, select
    from sqlalchemy.engine import Engine

    from notifications.inbox_models import Notification
    from talk.clock import utcnow
    from talk.extensions import db
    from talk.models import Project, User

    statements: dict[int, int] = {}

    def count(*_: Any) -> None:
        thread = threading.get_ident()
        statements[thread] = statements.get(thread, 0) + 1

    with tempfile.TemporaryDirectory() as instance:
        app = cpu.talk_app(manifest, True, instance)
        last = run_cases.last_page_path(app, manifest["hot_discussion"]["id"])
        case = next(c for c in run_cases.cases_for(manifest, last) if c.name == "thread logged in")
        once = cpu.requester(app, case, manifest)
        with app.app_context():
            name = manifest["user"]["username"]
            viewer = db.session.scalar(select(User.id).where(User.username == name))
            others = list(db.session.scalars(select(User.id).where(User.id != viewer)))
            project = db.session.scalar(select(Project.id).limit(1))
        for _ in range(3):
            once()
        event.listen(Engine, "before_cursor_execute", count)
        me, hits, spent = threading.get_ident(), 0, 0.0
        try:
            for i in range(args.requests):
                if i % args.every == 0:
                    start = (i * args.fanout) % max(1, len(others) - args.fanout)
                    people = others[start : start + args.fanout]
                    if args.viewer_every and i % args.viewer_every == 0:
                        people.append(viewer)
                    with app.app_context():
                        now = utcnow()
                        rows = [
                            {
                                "user_id": person,
                                "kind": "notice",
                                "event_id": FIRST_EVENT + i,
                                "project_id": project,
                                "created_at": now,
                            }
                            for person in people
                        ]
                        db.session.execute(insert(Notification), rows)
                        db.session.commit()
                before, started = statements.get(me, 0), time.process_time()
                once()
                spent += time.process_time() - started
                hits += statements.get(me, 0) == before
        finally:
            event.remove(Engine, "before_cursor_execute", count)
            with app.app_context():
                db.session.execute(delete(Notification).where(Notification.event_id >= FIRST_EVENT))
                db.session.commit()
    print(
        f"{args.requests} requests, a fan-out of {args.fanout} before every {args.every}: "
        f"{hits} from the cache ({hits / args.requests:.0%}), "
        f"{spent / args.requests * 1000:.3f} ms CPU per request"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
