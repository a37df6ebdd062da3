"""A newsletter to 100,000 volunteers (issue 11): how long fixing its recipients takes and how
much memory, and how fast Talk then sends through a local SMTP sink, beside a baseline from the
same run (smtplib sending the same messages straight to the same sink). Figures, not
assertions.

    .venv/bin/python bench/newsletters.py                          # SQLite file under /tmp
    .venv/bin/python bench/newsletters.py --people 100000 --send 5000
    .venv/bin/python bench/newsletters.py --database-url postgresql://postgres@127.0.0.1/talk_bench

What it does:

1. Empties the database (a SQLite file is recreated; on PostgreSQL the ``public`` schema is
   dropped, so point it at a database of its own) and migrates it.
2. Inserts in bulk ``--people`` volunteers with confirmed addresses, all opted in to the
   project's updates, and writes an update through the services, scheduled for now.
3. ``start``, in a fresh interpreter (so that its peak RSS is its own): seconds, and the peak
   resident memory before and after (``resource.getrusage``).
4. Sends ``--send`` of the deliveries through the real path (``move``: checked again, rendered,
   queued in the outbox; then the outbox's ``drain``, with its claims, handed-over marks and
   records, over connections of ``TALK_OUTBOX_BATCH`` messages) to an aiosmtpd sink in another
   process (offering PIPELINING), and then the same messages with smtplib over one connection
   to the same sink.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import scale
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import insert, select, update

from notifications import delivery, newsletter_sending, newsletters, outbox
from notifications.models import OutboxMessage, WorkerLease
from notifications.newsletter_models import Newsletter, UpdatesConsent
from talk import policy
from talk.app import writing
from talk.extensions import db
from talk.models import User
from talk.services import projects

CHUNK = 10_000
#: This script again, measuring ``start`` alone in a fresh interpreter.
START_PHASE = (sys.executable, __file__, "--phase", "start")


def peak_mb() -> float:
    """This process's peak resident memory so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(app: Flask, people: int) -> int:
    """The people, their consents, the update scheduled now; returns its id."""
    with app.app_context(), writing():
        upgrade()
        started = time.perf_counter()
        owner_id, *ids = scale.make_people(people + 1)
        db.session.execute(update(User).values(email_verified_at=scale.START))
        owner = db.session.get(User, owner_id)
        project = projects.create_project(owner, "updates", "Updates")
        db.session.commit()
        for first in range(0, len(ids), CHUNK):
            db.session.execute(
                insert(UpdatesConsent),
                [
                    {
                        "user_id": user_id,
                        "project_id": project.id,
                        "opted_in": True,
                        "changed_at": scale.START,
                    }
                    for user_id in ids[first : first + CHUNK]
                ],
            )
        letter = newsletters.create(
            policy.OPERATOR,
            project,
            subject="Spring update",
            body="Thank you! You transcribed **1,200 sheets** this spring.\n\n- one\n- two\n",
        )
        newsletters.schedule(policy.OPERATOR, letter, "now")
        db.session.commit()
        scale.maintain()
        print(f"{people:,} opted-in people in {time.perf_counter() - started:.1f} s")
        return letter.id


def start_phase(url: str, letter_id: int) -> None:
    """In a fresh interpreter: ``start`` alone, with this process's peak memory around it."""
    app = scale.make_app(url, tempfile.mkdtemp(prefix="talk-newsletters-"))
    with app.app_context(), writing():
        letter = db.session.get(Newsletter, letter_id)
        assert letter is not None
        _ = letter.project.slug  # loaded before measuring
        before = peak_mb()
        started = time.perf_counter()
        fixed = newsletter_sending.start(letter, datetime.now(UTC))
        seconds = time.perf_counter() - started
        after = peak_mb()
    print(json.dumps({"fixed": fixed, "seconds": seconds, "before": before, "after": after}))


def sink(port: int, count: Any, ready: Any) -> None:
    """An SMTP server that accepts and counts (another process: the sender's CPU is its own).
    It offers PIPELINING, as Postfix, Exim and the big relays do (aiosmtpd does not)."""
    from aiosmtpd.controller import Controller

    class Count:
        async def handle_EHLO(  # noqa: N802 (aiosmtpd's name)
            self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
        ) -> list[str]:
            session.host_name = hostname  # what aiosmtpd does without this hook
            return [*responses[:-1], "250-PIPELINING", responses[-1]]

        async def handle_DATA(  # noqa: N802 (aiosmtpd's name)
            self, server: Any, session: Any, envelope: Any
        ) -> str:
            with count.get_lock():
                count.value += 1
            return "250 OK"

    controller = Controller(Count(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    while True:
        time.sleep(3600)


def commit_ms(app: Flask, rounds: int = 50) -> float:
    """What one small committed UPDATE costs here (the outbox commits once a message)."""
    with app.app_context(), writing():
        db.session.add(WorkerLease(name="bench-commit"))
        db.session.commit()
        started = time.perf_counter()
        for n in range(rounds):
            db.session.execute(
                update(WorkerLease).where(WorkerLease.name == "bench-commit").values(holder=str(n))
            )
            db.session.commit()
        return (time.perf_counter() - started) / rounds * 1000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _drain(app: Flask, name: str) -> None:
    with app.app_context(), writing():
        while delivery.drain(name, limit=app.config["TALK_OUTBOX_BATCH"]).claimed:
            pass


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def send(
    app: Flask, letter_id: int, count: int, port: int, workers: int, sink_pid: int
) -> dict[str, float]:
    """Talk's path for ``count`` deliveries (``workers`` draining the outbox at once), then
    smtplib's for the same messages; wall and CPU time of each, and of the sink meanwhile."""
    app.config["TALK_SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    app.config["TALK_NEWSLETTER_RATE"] = 0
    figures: dict[str, float] = {}
    with app.app_context(), writing():
        letter = db.session.get(Newsletter, letter_id)
        assert letter is not None
        cpu, sink_cpu = time.process_time(), cpu_seconds(sink_pid)
        started = time.perf_counter()
        moved = newsletter_sending.move(letter, count)
        figures["move"] = time.perf_counter() - started
        db.session.commit()
        figures["move_cpu"] = time.process_time() - cpu
        started = time.perf_counter()
        if workers == 1:  # in this thread: a second thread only adds switching
            _drain(app, "bench-0")
        else:
            threads = [
                threading.Thread(target=_drain, args=(app, f"bench-{n}")) for n in range(workers)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        figures["drain"] = time.perf_counter() - started
        figures["talk_cpu"] = time.process_time() - cpu
        figures["sink_cpu_talk"] = cpu_seconds(sink_pid) - sink_cpu
        started = time.perf_counter()
        newsletter_sending.sync()
        figures["sync"] = time.perf_counter() - started
        figures["sent"] = moved
        rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        messages = [(outbox.compose(row), row.to_address) for row in rows]
        sender = outbox.sender_address()
    cpu, sink_cpu = time.process_time(), cpu_seconds(sink_pid)
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as connection:
        for message, to in messages:
            connection.sendmail(sender, [to], message)
    figures["baseline"] = time.perf_counter() - started
    figures["baseline_cpu"] = time.process_time() - cpu
    figures["sink_cpu_baseline"] = cpu_seconds(sink_pid) - sink_cpu
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--send", type=int, default=5_000, help="messages sent through SMTP")
    parser.add_argument(
        "--workers", type=int, default=1, help="outbox drains at once (PostgreSQL only)"
    )
    parser.add_argument("--phase", choices=("all", "start"), default="all", help=argparse.SUPPRESS)
    parser.add_argument("--newsletter", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "start":
        start_phase(args.database_url, args.newsletter)
        return
    url = scale.fresh_database(args.database_url)
    app = scale.make_app(url, tempfile.mkdtemp(prefix="talk-newsletters-"))
    letter_id = build(app, args.people)

    child = subprocess.run(
        [*START_PHASE, "--database-url", url, "--newsletter", str(letter_id)],
        capture_output=True,
        text=True,
        check=True,
    )
    started = json.loads(child.stdout.strip().splitlines()[-1])

    context = multiprocessing.get_context("spawn")
    count, ready = context.Value("i", 0), context.Event()
    port = free_port()
    server = context.Process(target=sink, args=(port, count, ready), daemon=True)
    server.start()
    ready.wait(30)
    try:
        workers = 1 if url.startswith("sqlite") else args.workers
        figures = send(app, letter_id, args.send, port, workers, server.pid)
    finally:
        server.kill()
    assert count.value == 2 * figures["sent"], (count.value, figures)

    commit = commit_ms(app)
    engine = url.split(":")[0]
    n = int(figures["sent"])
    talk = figures["move"] + figures["drain"]
    load = os.getloadavg()[0]
    print(f"\n{engine}, {args.people:,} people (load average {load:.1f} on {os.cpu_count()} CPUs)")
    print(f"| step | {engine} |\n| --- | --- |")
    print(f"| `start`: {started['fixed']:,} recipients fixed | {started['seconds']:.2f} s |")
    print(
        f"| peak RSS of the process before → after `start` | {started['before']:.0f} MB → "
        f"{started['after']:.0f} MB |"
    )
    print(f"| `move` {n:,} (re-check, render, outbox) | {figures['move']:.2f} s |")
    print(
        f"| outbox `drain` of {n:,} to the sink, {workers} worker(s) | {figures['drain']:.2f} s |"
    )
    print(f"| `sync` of their outcomes | {figures['sync']:.2f} s |")
    print(f"| Talk in all: messages per second | {n / talk:.0f}/s |")
    baseline = figures["baseline"]
    print(f"| baseline: smtplib, one connection | {baseline:.2f} s, {n / baseline:.0f}/s |")
    print(f"| Talk ÷ baseline (time) | {talk / figures['baseline']:.1f}× |")
    ms = 1000 / n
    print(
        f"| CPU per message: Talk (move + drain) / the sink meanwhile | "
        f"{figures['talk_cpu'] * ms:.2f} ms / {figures['sink_cpu_talk'] * ms:.2f} ms |\n"
        f"| CPU per message: `move` / `drain` | {figures['move_cpu'] * ms:.2f} ms / "
        f"{(figures['talk_cpu'] - figures['move_cpu']) * ms:.2f} ms |"
    )
    print(
        f"| CPU per message: smtplib baseline / the sink meanwhile | "
        f"{figures['baseline_cpu'] * ms:.2f} ms / {figures['sink_cpu_baseline'] * ms:.2f} ms |"
    )
    print(f"| one small committed UPDATE on this database | {commit:.1f} ms |")
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
