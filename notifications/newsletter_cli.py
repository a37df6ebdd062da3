"""``talk newsletter send PROJECT ID``: send a project's update now, in the foreground, with a
progress bar, through the same functions as the worker's job (and draining the outbox itself).
Interrupted, it is run again and resumes: the recipients were fixed at the start and each
delivery has one outbox row at most."""

from __future__ import annotations

import time
from collections.abc import Callable

import click
from flask import current_app
from flask.cli import with_appcontext

from notifications import delivery, newsletter_sending, newsletters, worker
from notifications.newsletter_models import Newsletter
from talk import policy
from talk.app import is_sqlite, writing
from talk.cli import operator_errors
from talk.clock import utcnow
from talk.errors import NotFound
from talk.extensions import db
from talk.limits import MAX_ID
from talk.services import projects

#: Delivery states whose outcome is known (what the progress bar counts).
DONE = ("sent", "failed", "uncertain", "skipped")


@click.group("newsletter", help="Project updates (newsletters).")
def group() -> None:
    pass


def _find(slug: str, newsletter_id: int) -> Newsletter:
    project = projects.get_project(slug)
    newsletter = db.session.get(Newsletter, newsletter_id)
    if newsletter is None or newsletter.project_id != project.id:
        raise NotFound(f"Project {slug} has no update {newsletter_id}.")
    return newsletter


def _done(newsletter: Newsletter) -> int:
    counts = newsletter_sending.progress(newsletter)
    return sum(counts[state] for state in DONE)


def drive(
    newsletter: Newsletter,
    worker_id: str,
    on_progress: Callable[[int], None] = lambda done: None,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, int]:
    """Send ``newsletter`` (already started) to the end: hand deliveries to the outbox within
    ``TALK_NEWSLETTER_RATE``, drain the outbox, record outcomes, until it is ``sent``. Calls
    ``on_progress`` with the number of deliveries whose outcome is known. Returns the counts."""
    began = time.monotonic()
    moved_total = 0
    while True:
        newsletter_sending.sync()
        newsletter_sending.finish()
        db.session.refresh(newsletter)
        on_progress(_done(newsletter))
        if newsletter.state == "sent" and newsletter.finished_at is not None:
            return newsletter_sending.progress(newsletter)
        # The rate since the start, plus one job period's worth at once (as the worker's job
        # hands over), less what still waits in the outbox.
        allowed = newsletter_sending.allowance(
            time.monotonic() - began + newsletter_sending.JOB_SECONDS
        )
        if allowed is None:
            budget = newsletter_sending.BATCH
        else:
            period = newsletter_sending.allowance(newsletter_sending.JOB_SECONDS) or 0
            waiting = newsletter_sending.in_flight()
            budget = max(0, min(allowed - moved_total, period - waiting))
        moved = newsletter_sending.move(newsletter, budget) if budget else 0
        moved_total += moved
        report = delivery.drain(worker_id, limit=current_app.config["TALK_OUTBOX_BATCH"])
        if not moved and not report.claimed:
            sleep(1)  # throttled, or waiting for a retry after a temporary failure


@group.command("send")
@click.argument("project")
@click.argument("newsletter_id", type=click.IntRange(1, MAX_ID))
@with_appcontext
@operator_errors
def send_command(project: str, newsletter_id: int) -> None:
    """Send update NEWSLETTER_ID of PROJECT now (a draft or a scheduled one), waiting until
    every recipient's email is sent, failed or uncertain. Run it again after an interruption
    to resume; an update already sent is left alone."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with writing():
        newsletter = _find(project, newsletter_id)
        if newsletter.state == "sent" and newsletter.finished_at is not None:
            click.echo(
                f"Update {newsletter.id} was already sent "
                f"({newsletter.finished_at:%Y-%m-%d %H:%M} UTC); nothing to do."
            )
            return
    worker_id = worker.new_worker_id()
    worker.start_worker(app, worker_id)  # SQLite: refuses beside a running worker
    try:
        with writing():
            newsletter = _find(project, newsletter_id)
            if newsletter.state in newsletters.EDITABLE:
                newsletters.schedule(policy.OPERATOR, newsletter, "now")
                db.session.commit()
            newsletter_sending.start(newsletter, utcnow())
            total = newsletter.recipient_count
            click.echo(f"Sending “{newsletter.subject}” to {total} people.")
            with click.progressbar(length=total, label="Sent") as bar:
                shown = [0]

                def advance(done: int) -> None:
                    bar.update(done - shown[0])
                    shown[0] = done

                counts = drive(newsletter, worker_id, advance)
        summary = ", ".join(f"{counts[state]} {state}" for state in DONE if counts[state])
        click.echo(f"Done: {summary or 'nobody to send to'}.")
        if counts["uncertain"]:
            click.echo(
                "Uncertain: the mail server may have delivered these but never confirmed; "
                "they are not sent again."
            )
    finally:
        if is_sqlite():
            worker.release_worker_lease(worker_id)
