"""A real ``talk worker`` sending a newsletter to 100,000 people (issue 12: "worker RSS under
200 MB whatever the count"): the worker process's peak resident memory while it starts the
newsletter (fixes its recipients), hands the deliveries to the outbox and drains the outbox to
a local SMTP sink. Figures, not assertions.

    .venv/bin/python bench/worker_rss.py                       # 100,000 people, SQLite file
    .venv/bin/python bench/worker_rss.py --people 10000 --seconds 120
    .venv/bin/python bench/worker_rss.py --database-url postgresql://postgres@127.0.0.1/talk_bench

What it does: builds the people, their consents and a newsletter scheduled for now as
``bench/newsletters.py`` does (the database is emptied first), starts an SMTP sink (aiosmtpd,
another process) and ``talk worker`` (``TALK_NEWSLETTER_RATE=0``: no throttle, the worst
case for memory; the outbox drained every second, ``--batch`` messages at a time), and every
second reads the worker's ``VmRSS`` and ``VmHWM`` (/proc/PID/status), the messages the sink
received and the newsletter's delivery states, until every message arrived or ``--seconds``
ran out. Then stops the worker.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import newsletters
import scale
from sqlalchemy import func, select

from notifications.newsletter_models import NewsletterDelivery
from talk.extensions import db

TALK = Path(sys.executable).parent / "talk"


def memory_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process, in MB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def states(app: object, letter_id: int) -> dict[str, int]:
    with app.app_context():  # type: ignore[attr-defined]
        rows = db.session.execute(
            select(NewsletterDelivery.state, func.count())
            .where(NewsletterDelivery.newsletter_id == letter_id)
            .group_by(NewsletterDelivery.state)
        ).all()
        db.session.rollback()
    return dict(rows)  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=1200, help="stop watching after this")
    parser.add_argument("--batch", type=int, default=1000, help="TALK_OUTBOX_BATCH (a second)")
    args = parser.parse_args()
    url = scale.fresh_database(args.database_url)
    app = scale.make_app(url, tempfile.mkdtemp(prefix="talk-worker-rss-"))
    letter_id = newsletters.build(app, args.people)

    context = multiprocessing.get_context("spawn")
    count, ready = context.Value("i", 0), context.Event()
    port = newsletters.free_port()
    sink = context.Process(target=newsletters.sink, args=(port, count, ready), daemon=True)
    sink.start()
    ready.wait(30)
    env = {
        **os.environ,
        "TALK_DATABASE_URL": url,
        "TALK_SECRET_KEY": "bench",
        "TALK_SMTP_URL": f"smtp://127.0.0.1:{port}",
        "TALK_NEWSLETTER_RATE": "0",
        "TALK_OUTBOX_BATCH": str(args.batch),
        "TALK_OUTBOX_INTERVAL": "1",
    }
    log = Path(tempfile.mkdtemp(prefix="talk-worker-rss-")) / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen([str(TALK), "worker"], env=env, stdout=out, stderr=out)
    started = time.perf_counter()
    print("seconds | worker RSS MB | peak (VmHWM) MB | messages at the sink | deliveries")
    peak, samples = 0.0, 0
    try:
        while time.perf_counter() - started < args.seconds and worker.poll() is None:
            time.sleep(1)
            if worker.poll() is not None:
                break  # it exited: its log says why
            rss, peak = memory_mb(worker.pid)
            samples += 1
            if samples % 10 == 1 or count.value >= args.people:
                found = states(app, letter_id)
                print(
                    f"{time.perf_counter() - started:7.0f} | {rss:6.0f} | {peak:6.0f} | "
                    f"{count.value:,} | {found}",
                    flush=True,
                )
            if count.value >= args.people:
                break
    finally:
        worker.terminate()
        worker.wait(30)
        sink.kill()
    seconds = time.perf_counter() - started
    load = os.getloadavg()[0]
    print(
        f"\n{url.split(':')[0]}, {args.people:,} people: the worker's peak RSS {peak:.0f} MB; "
        f"{count.value:,} messages at the sink in {seconds:.0f} s "
        f"(load {load:.1f} on {os.cpu_count()} CPUs); worker log {log}"
    )
    tracebacks = log.read_text(errors="replace").count("Traceback")
    if tracebacks:
        print(f"{tracebacks} tracebacks in the worker's log")
    if url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
