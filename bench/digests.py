"""The email jobs at 50,000 people, each with notifications waiting for a digest (issues 9, 12):
what a run of the immediate job and of the digest job reads and costs. Figures, not assertions.

    .venv/bin/python bench/digests.py                          # SQLite file under /tmp
    .venv/bin/python bench/digests.py --people 50000 --waiting 3
    .venv/bin/python bench/digests.py --database-url postgresql://postgres@127.0.0.1/talk_bench

What it does:

1. Empties the database (a SQLite file is recreated; on PostgreSQL the ``public`` schema is
   dropped, so point it at a database of its own) and migrates it.
2. Inserts in bulk ``--people`` confirmed volunteers spread evenly over 24 time zones (one an
   hour, ``Etc/GMT±N``: a worldwide project), a fifth of them choosing weekly digests, and
   ``--waiting`` notifications each, waiting for their digest as the immediate job leaves them.
3. Times, with the rows of ``notifications`` read (SQLAlchemy load events) and SQL statements:
   - what the jobs used to read at every run: every undecided notification;
   - the immediate job with one new notification among all those waiting;
   - the digest job on a Monday (``TALK_DIGEST_WEEKDAY``) when three zones are within their
     window after ``TALK_DIGEST_HOUR`` (a worker that just started: an eighth of the people
     get their daily or weekly digest, rendered and queued); five minutes later, when all of
     them are decided (most of the job's runs); an hour later, when one more zone is due (a
     24th of the people: the job's hourly work in a worldwide project).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import scale
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import event, insert, select, update

from notifications import digests, emails
from notifications.email_waits import people_with, per_person
from notifications.inbox_models import Notification
from notifications.preferences_models import EmailPreference
from talk.app import writing
from talk.extensions import db
from talk.models import Board, User
from talk.services import discussions, projects

#: Monday 16 March 2026, 04:00 UTC: 07:00 (``TALK_DIGEST_HOUR``'s default) at UTC+3, and
#: within the three hours' window at UTC+4 and UTC+5: three zones in eight are due.
DUE = datetime(2026, 3, 16, 4, 0, tzinfo=UTC)
ZONES = [f"Etc/GMT{-offset:+d}" if offset else "UTC" for offset in range(-11, 13)]
CHUNK = 10_000


def _people(count: int) -> list[int]:
    """``count`` volunteers (bulk), confirmed, seen yesterday, spread over :data:`ZONES`."""
    ids = scale.make_people(count)
    seen = DUE - timedelta(days=1)
    db.session.execute(update(User).values(created_at=seen, email_verified_at=seen))
    for n, zone in enumerate(ZONES):
        db.session.execute(update(User).where(User.id % len(ZONES) == n).values(time_zone=zone))
    db.session.commit()
    return ids


def build(app: Flask, people: int, waiting: int) -> int:
    """The people, their waiting notifications; returns the one who gets a new mention."""
    with app.app_context(), writing():
        upgrade()
        started = time.perf_counter()
        owner_id, *ids = _people(people + 1)
        owner = db.session.get(User, owner_id)
        project = projects.create_project(owner, "digests", "Digests")
        db.session.commit()
        chat = db.session.scalar(
            select(Board).where(Board.project_id == project.id, Board.kind == "general")
        )
        thread = discussions.start_discussion(owner, chat, "Busy thread", "Everyone follows.")
        db.session.commit()
        weekly = ids[::5]
        db.session.execute(
            insert(EmailPreference),
            [{"user_id": user_id, "category": "follows", "choice": "weekly"} for user_id in weekly],
        )
        weekly_set = set(weekly)
        rows = (
            {
                "user_id": user_id,
                "kind": "followed_reply",
                "event_id": n,
                "project_id": project.id,
                "discussion_id": thread.id,
                "actor_id": owner.id,
                "detail": "",
                "created_at": DUE - timedelta(hours=n + 1),
                "waits_for": "weekly" if user_id in weekly_set else "daily",
            }
            for user_id in ids
            for n in range(waiting)
        )
        batch: list[dict[str, object]] = []
        for row in rows:
            batch.append(row)
            if len(batch) == CHUNK:
                db.session.execute(insert(Notification), batch)
                batch = []
        if batch:
            db.session.execute(insert(Notification), batch)
        db.session.execute(  # one new one, for the immediate job
            insert(Notification),
            [
                {
                    "user_id": ids[0],
                    "kind": "mention",
                    "event_id": waiting + 1,
                    "project_id": project.id,
                    "discussion_id": thread.id,
                    "actor_id": owner.id,
                    "detail": "",
                    "created_at": DUE,
                }
            ],
        )
        db.session.commit()
        scale.maintain()
        print(
            f"{people:,} people × {waiting} waiting notifications "
            f"({people // 5:,} weekly) in {time.perf_counter() - started:.1f} s"
        )
        return ids[0]


@contextmanager
def counted() -> Iterator[dict[str, int]]:
    """Rows of ``notifications`` read and SQL statements run meanwhile."""
    figures = {"rows": 0, "statements": 0}

    def row(*_: object) -> None:
        figures["rows"] += 1

    def statement(*_: object) -> None:
        figures["statements"] += 1

    event.listen(Notification, "load", row)
    event.listen(db.engine, "before_cursor_execute", statement)
    try:
        yield figures
    finally:
        event.remove(Notification, "load", row)
        event.remove(db.engine, "before_cursor_execute", statement)


def measure(app: Flask, name: str, run: Callable[[], int]) -> None:
    with app.app_context(), writing(), counted() as figures:
        started = time.perf_counter()
        result = run()
        seconds = time.perf_counter() - started
    print(
        f"{name:<46}{seconds:>9.2f} s{figures['rows']:>10,}{figures['statements']:>11,}{result:>9,}"
    )


def _read_everything() -> int:
    """What each run of both jobs read before: every undecided notification, per person."""
    people = 0
    for _ in per_person(
        people_with(Notification.emailed_at.is_(None)), Notification.emailed_at.is_(None)
    ):
        people += 1
    return people


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--waiting", type=int, default=3, help="notifications per person")
    args = parser.parse_args()

    url = scale.fresh_database(args.database_url)
    app = scale.make_app(url, tempfile.mkdtemp(prefix="talk-digests-"))
    app.config["TALK_PUBLIC_URL"] = "http://127.0.0.1:5000"
    build(app, args.people, args.waiting)

    print(f"\n{url.split(':')[0]}: {'run':<38}{'time':>11}{'rows':>10}{'SQL':>11}{'result':>9}")
    measure(app, "before: every undecided row (people)", _read_everything)
    measure(app, "immediate job, 1 new (emails queued)", lambda: emails.send_immediate(now=DUE))
    for name, when in (
        ("digest job, 3 zones due (digests)", DUE),
        ("digest job, 5 min later (digests)", DUE + timedelta(minutes=5)),
        ("digest job, 1 h later: 1 more zone (digests)", DUE + timedelta(hours=1)),
    ):
        measure(app, name, lambda when=when: digests.send_digests(now=when))
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
