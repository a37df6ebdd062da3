"""Faults of the worker itself: a real ``talk worker`` killed with SIGKILL at the two moments
that matter, and two workers draining one PostgreSQL outbox at once. Each proves that no
message is lost and none is sent twice.

These are ``commits`` tests: the worker is another process (or thread) with its own
connection, so it must see committed rows. A subprocess test takes a few seconds (the
interpreter and app start, then the worker's first run); that is the price of a real SIGKILL,
which no in-process test can give.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from notifications import delivery, outbox
from notifications.models import OutboxMessage
from talk.extensions import db

pytestmark = pytest.mark.commits


def queue(app, count):
    with app.app_context():
        ids = [
            outbox.enqueue(
                to_address=f"reader{n}@example.org",
                subject=f"Digest {n}",
                text="Your digest.\n",
                html="<p>Your digest.</p>",
                category="digest",
            ).id
            for n in range(count)
        ]
        db.session.commit()
    return ids


def states(app):
    with app.app_context():
        return [
            (row.state, row.reason)
            for row in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]


def expected_ids(app, ids):
    with app.app_context():
        return sorted(outbox.message_id(i) for i in ids)


def kill_worker_at(app, point, database_uri, smtp, tmp_path):
    """Start ``talk worker`` and SIGKILL it once it reports reaching ``point``."""
    env = os.environ | {
        "TALK_DATABASE_URL": database_uri,
        "TALK_INSTANCE_PATH": str(tmp_path),
        "TALK_SECRET_KEY": app.config["SECRET_KEY"],  # the same Message-IDs
        "TALK_SMTP_URL": smtp.url,
        "TALK_SMTP_TIMEOUT": "1",
        "TALK_OUTBOX_INTERVAL": "1",
        delivery.PAUSE_ENV: f"{point}:{tmp_path}",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "talk.cli", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    marker = Path(tmp_path) / point
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():  # the worker's own start-up time, not a clock under test
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, "the worker never reached " + point
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
        process.stderr.close()


def recover_later(app, clock):
    """What the next worker does once the dead one's lease has run out."""
    clock.now = datetime.now(UTC) + timedelta(seconds=3 * 1 + 31)  # the worker's lease: 34 s
    with app.app_context():
        while delivery.drain("next-worker").claimed:
            pass


def test_a_worker_killed_between_claiming_and_sending_loses_nothing(
    app, smtp, clock, database_uri, tmp_path
):
    ids = queue(app, 2)
    kill_worker_at(app, "claimed", database_uri, smtp, tmp_path)
    assert states(app) == [("sending", None)] * 2
    assert smtp.received == []
    recover_later(app, clock)
    assert states(app) == [("sent", None)] * 2
    assert sorted(smtp.handler.message_ids()) == expected_ids(app, ids)


def test_a_worker_killed_between_sending_and_recording_sends_nothing_twice(
    app, smtp, clock, database_uri, tmp_path
):
    ids = queue(app, 2)
    kill_worker_at(app, "sent", database_uri, smtp, tmp_path)
    assert len(smtp.received) == 1  # the server has the first; Talk has no record of it
    assert states(app) == [("sending", None)] * 2
    recover_later(app, clock)
    # The first may have been delivered (it was): uncertain, shown to admins, not sent again.
    # The second never reached the server: sent once.
    assert states(app) == [("uncertain", "worker-died"), ("sent", None)]
    assert sorted(smtp.handler.message_ids()) == expected_ids(app, ids)


def test_a_worker_killed_between_two_messages_leaves_only_the_next_one_uncertain(
    app, smtp, clock, database_uri, tmp_path
):
    """A message's outcome is committed together with the next message's ``handed_at`` (one
    commit a message): killed right after, that next one never reached the server but cannot
    be told from one that did, so it is uncertain, not resent; the ones after it are sent."""
    ids = queue(app, 3)
    kill_worker_at(app, "recorded", database_uri, smtp, tmp_path)
    assert len(smtp.received) == 1
    assert states(app) == [("sent", None), ("sending", None), ("sending", None)]
    recover_later(app, clock)
    assert states(app) == [("sent", None), ("uncertain", "worker-died"), ("sent", None)]
    assert sorted(smtp.handler.message_ids()) == expected_ids(app, [ids[0], ids[2]])


def test_two_workers_drain_two_thousand_messages_on_postgresql_sending_each_once(app, smtp):
    """About 25 s on this machine: 2,000 real SMTP transactions and three commits for each,
    the load at which two workers' claims would collide if they could."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite supports one worker (it refuses a second); PostgreSQL runs several")
    ids = queue(app, 2000)
    claimed: dict[str, int] = {}

    def work(name: str) -> None:
        with app.app_context():
            while report := delivery.drain(name, limit=50):
                if not report.claimed:
                    break
                claimed[name] = claimed.get(name, 0) + report.claimed

    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert states(app) == [("sent", None)] * 2000
    received = smtp.handler.message_ids()
    assert len(received) == len(set(received)) == 2000
    assert sorted(received) == expected_ids(app, ids)
    assert sum(claimed.values()) == 2000 and all(claimed.get(f"w{n}") for n in range(2))


def test_the_demo_runs_the_worker_in_process_delivering_to_the_mailbox(app):
    """``talk demo``'s worker: a background scheduler thread in the server's process. Waits (at
    most a few seconds) for the thread's first run."""
    from notifications import worker
    from notifications.models import MailboxMessage
    from talk.demo import DEMO_SERVICES

    assert worker.start_in_process in app.extensions[DEMO_SERVICES]
    [queued] = queue(app, 1)
    scheduler = worker.start_in_process(app)
    assert scheduler is not None
    try:
        deadline = time.monotonic() + 20
        while states(app) != [("sent", None)]:
            assert time.monotonic() < deadline, states(app)
            time.sleep(0.05)
    finally:
        scheduler.shutdown()
    with app.app_context():
        [kept] = db.session.scalars(select(MailboxMessage)).all()
        assert kept.outbox_id == queued


def test_the_demo_delivers_the_waiting_events_before_it_serves(app, make):
    """A fresh demo leaves hundreds of events; left to the scheduler thread they contend with
    the first visitor's login for SQLite's write lock."""
    from notifications import worker
    from notifications.inbox_models import Notification, NotificationEvent

    project = make.project("herbarium")
    make.user("vol")
    make.discussion(project, make.user("botanist"), body="@vol have a look")
    with app.app_context():
        assert db.session.scalars(select(NotificationEvent)).all()
    worker.catch_up(app, "demo")
    with app.app_context():
        assert db.session.scalars(select(NotificationEvent)).all() == []
        assert db.session.scalars(select(Notification)).all()


def test_on_sqlite_the_jobs_run_one_at_a_time(app):
    """One writer at a time: parallel jobs would only wait for the lock, and fail past
    busy_timeout. On PostgreSQL they keep APScheduler's pool. A job due while another runs
    runs late rather than being dropped as missed."""
    from apscheduler.schedulers.background import BackgroundScheduler

    from notifications import worker
    from talk.app import is_sqlite

    scheduler = worker.schedule(app, BackgroundScheduler(timezone="UTC"), "w")
    with app.app_context():
        sqlite = is_sqlite()
    assert all(job.misfire_grace_time is None for job in scheduler.get_jobs())  # late: runs
    executors = scheduler._executors  # APScheduler 3 shows them nowhere else
    if sqlite:
        assert executors["default"]._pool._max_workers == 1
    else:
        assert "default" not in executors  # created at start: a pool of 10
