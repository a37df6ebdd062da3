"""``talk worker``: the scheduler that runs the site's background jobs (APScheduler 3).

Jobs are listed in :data:`JOBS`; a later job is one line there (or one
:func:`register_job` call). A job marked ``every_worker`` runs in each worker (draining the
outbox: the rows are shared out by the claims); any other runs once per period across all
workers, under a lease row in ``worker_leases`` (``job:<name>``) taken with a conditional
``UPDATE``.

SQLite allows one worker: it holds the ``worker`` lease, renewed at every run of its jobs, and a
second worker against the same database refuses to start. ``talk demo`` runs the same jobs in a
background thread (:func:`start_in_process`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import click
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from notifications import delivery, digests, emails, inbox
from notifications.delivery import changed
from notifications.inbox_models import NotificationEvent
from notifications.models import WorkerLease
from talk.app import is_sqlite, writing
from talk.cli import operator_errors
from talk.clock import utcnow
from talk.extensions import db

log = logging.getLogger(__name__)

#: How long the SQLite worker's lease lasts without being renewed (a killed worker's lease
#: lapses after this; a new worker can then start).
WORKER_LEASE = timedelta(seconds=60)


@dataclass(frozen=True)
class Job:
    """A periodic job: ``run(worker_id)`` every ``every`` seconds (an int, or the name of a
    setting holding one)."""

    name: str
    every: int | str
    run: Callable[[str], object]
    every_worker: bool = False

    def seconds(self, app: Flask) -> int:
        return int(app.config[self.every]) if isinstance(self.every, str) else self.every


def _drain(worker_id: str) -> object:
    return delivery.drain(worker_id, limit=current_app.config["TALK_OUTBOX_BATCH"])


def _recover(_worker_id: str) -> object:
    return delivery.recover()


#: The worker's jobs. Add one with a line here (or ``register_job`` from another module).
JOBS: list[Job] = [
    Job("drain-outbox", "TALK_OUTBOX_INTERVAL", _drain, every_worker=True),
    Job("recover-outbox", 60, _recover),
    Job("notify", 5, inbox.deliver_events, every_worker=True),
    Job("email-notifications", "TALK_EMAIL_INTERVAL", emails.send_immediate),
    Job("digests", 300, digests.send_digests),
]


def register_job(job: Job) -> Job:
    if all(existing.name != job.name for existing in JOBS):
        JOBS.append(job)
    return job


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class AnotherWorker(click.ClickException):
    """A second worker on a SQLite database."""


def _lease_row(name: str) -> None:
    """Make sure the lease row exists (a concurrent insert by another worker is fine)."""
    if db.session.get(WorkerLease, name) is None:
        try:
            with db.session.begin_nested():
                db.session.add(WorkerLease(name=name))
        except IntegrityError:
            pass


def take_worker_lease(worker_id: str, now: datetime | None = None) -> bool:
    """Take (or renew) the one-worker lease of a SQLite database; False when another worker
    holds it. Commits."""
    now = now or utcnow()
    _lease_row("worker")
    taken = changed(
        update(WorkerLease)
        .where(WorkerLease.name == "worker")
        .where(
            or_(
                WorkerLease.holder.is_(None),
                WorkerLease.holder == worker_id,
                WorkerLease.lease_until < now,
            )
        )
        .values(holder=worker_id, lease_until=now + WORKER_LEASE)
    )
    db.session.commit()
    return bool(taken)


def release_worker_lease(worker_id: str) -> None:
    db.session.execute(
        update(WorkerLease)
        .where(WorkerLease.name == "worker", WorkerLease.holder == worker_id)
        .values(holder=None, lease_until=None)
    )
    db.session.commit()


def claim_period(job: str, seconds: int, worker_id: str, now: datetime | None = None) -> bool:
    """Whether this worker runs ``job`` now: the first to ask once its period has come moves
    the next run a period on (a conditional ``UPDATE``: exactly one asker wins). Commits."""
    now = now or utcnow()
    name = f"job:{job}"
    _lease_row(name)
    won = changed(
        update(WorkerLease)
        .where(WorkerLease.name == name)
        .where(or_(WorkerLease.next_run_at.is_(None), WorkerLease.next_run_at <= now))
        .values(holder=worker_id, next_run_at=now + timedelta(seconds=seconds))
    )
    db.session.commit()
    return bool(won)


def run_job(app: Flask, job: Job, worker_id: str) -> None:
    """One run of ``job`` in its own app context, as the operator's declared writes."""
    with app.app_context(), writing():
        if is_sqlite() and not take_worker_lease(worker_id):
            log.error("another worker took this SQLite database's lease; %s skipped", job.name)
            return
        if job.every_worker or claim_period(job.name, job.seconds(app), worker_id):
            job.run(worker_id)


def schedule(app: Flask, scheduler: BaseScheduler, worker_id: str) -> BaseScheduler:
    """Add the jobs to ``scheduler`` (not started). On SQLite they run one at a time: with one
    writer at a time, jobs in parallel threads only queue for the write lock, and at a fresh
    demo's start (every job due at once, thousands of rows to decide) they waited out
    ``busy_timeout`` and failed with "database is locked"."""
    with app.app_context():
        if is_sqlite():
            scheduler.add_executor(ThreadPoolExecutor(max_workers=1), "default")
    for job in JOBS:
        scheduler.add_job(
            run_job,
            "interval",
            seconds=job.seconds(app),
            args=(app, job, worker_id),
            id=job.name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,  # late (behind another job) is still to be run, once
            next_run_time=datetime.now().astimezone(),
        )
    return scheduler


def start_worker(app: Flask, worker_id: str) -> None:
    """Refuse to start beside another worker on SQLite (raises :class:`AnotherWorker`)."""
    with app.app_context(), writing():
        if is_sqlite() and not take_worker_lease(worker_id):
            lease = db.session.get(WorkerLease, "worker")
            holder = lease.holder if lease else "?"
            until = (
                lease.lease_until.isoformat(timespec="seconds")
                if lease and lease.lease_until
                else "?"
            )
            raise AnotherWorker(
                f"Another worker ({holder}) is running on this SQLite database (its lease runs "
                f"until {until}). SQLite supports one worker: stop the other one, or, if it was "
                "killed, start this one again after its lease has lapsed. Several workers need "
                "PostgreSQL."
            )


def catch_up(app: Flask, worker_id: str) -> None:
    """Fan out the events waiting now (a fresh demo's data leaves hundreds), before serving.
    Left to the scheduler, that work takes SQLite's write lock again after every event while
    the first visitor logs in, and on a busy machine the login waited out ``busy_timeout``
    (a 500). Stops when none are left or a round delivers none (claimed by a dead worker)."""
    with app.app_context(), writing():
        left = db.session.scalar(select(func.count()).select_from(NotificationEvent)) or 0
        if left:
            click.echo(f"Delivering the {left} notification events waiting…", err=True)
        before = None
        while left and left != before:
            before = left
            inbox.deliver_events(worker_id)
            left = db.session.scalar(select(func.count()).select_from(NotificationEvent)) or 0


def start_in_process(app: Flask) -> BackgroundScheduler | None:
    """``talk demo``'s worker: the same jobs in a background thread of the server's process,
    after the waiting events (:func:`catch_up`). None (and a warning) when another worker
    already holds the SQLite database."""
    worker_id = new_worker_id()
    try:
        start_worker(app, worker_id)
    except AnotherWorker as exc:
        click.echo(f"Not starting the demo's worker: {exc.message}", err=True)
        return None
    catch_up(app, worker_id)
    scheduler = BackgroundScheduler(timezone="UTC")
    schedule(app, scheduler, worker_id)
    scheduler.start()
    return scheduler


@click.command("worker")
@click.option("--once", is_flag=True, help="Run every job once, then exit.")
@with_appcontext
@operator_errors
def worker_command(once: bool) -> None:
    """Run the background jobs: deliver the email outbox (TALK_SMTP_URL, or the local mailbox
    when unset) and the periodic jobs. Stop with Ctrl+C."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    worker_id = new_worker_id()
    start_worker(app, worker_id)
    try:
        if once:
            for job in JOBS:
                run_job(app, job, worker_id)
            return
        transport = "the local mailbox" if not app.config.get("TALK_SMTP_URL") else "SMTP"
        click.echo(f"Worker {worker_id} started; delivering to {transport}. Ctrl+C stops it.")
        scheduler = BlockingScheduler(timezone="UTC")
        schedule(app, scheduler, worker_id)
        with contextlib.suppress(KeyboardInterrupt, SystemExit):
            scheduler.start()
    finally:
        with app.app_context():
            if is_sqlite():
                release_worker_lease(worker_id)
