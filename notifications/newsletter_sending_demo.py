"""The demo's updates: one sent (scheduled through the services while the demo is built, then
sent by :func:`catch_up` through the worker's own job before the demo serves) and one draft.

Who receives the sent one is whoever the demo has opted in (the consent part of the demo adds
them); this module decides nothing about consent.
"""

from __future__ import annotations

from flask import Flask

from notifications import delivery, newsletter_sending, newsletters, worker
from talk.app import is_sqlite, writing
from talk.extensions import db
from talk.models import Project, User

SENT_SUBJECT = "Spring update: 1,200 sheets transcribed"
SENT_BODY = """Thank you all! Since January you have transcribed **1,200 herbarium sheets** and
tagged 300 of them with their collectors.

## What your work found
- Six sheets from the 1850s collected on Cranborne Chase, misfiled under Dorset.
- A ledger hand we now know belongs to the herbarium's first keeper.

## What comes next
The nursing registers go live next month. Ask in *Help* if anything is unclear.
"""
DRAFT_SUBJECT = "Summer update (draft)"
DRAFT_BODY = "Notes for the next update: the registers' launch, and the top taggers."

#: Rounds of the job and the outbox's drain :func:`catch_up` runs at most (each drains a batch).
CATCH_UP_ROUNDS = 200


def add_demo_data(project: Project, people: dict[str, User]) -> None:
    """``talk.demo.DEMO_DATA``: the team member writes two updates, schedules one for now."""
    author = people["tomas"]
    sent = newsletters.create(author, project, subject=SENT_SUBJECT, body=SENT_BODY)
    newsletters.schedule(author, sent, "now")
    newsletters.create(author, project, subject=DRAFT_SUBJECT, body=DRAFT_BODY)


def catch_up(app: Flask) -> None:
    """``talk.demo.DEMO_SERVICES``, before the demo's worker starts: send the updates that are
    due now, to the end, so the demo serves them sent. Skipped when another worker holds the
    SQLite database (it sends them)."""
    worker_id = worker.new_worker_id()
    try:
        worker.start_worker(app, worker_id)
    except worker.AnotherWorker:
        return
    try:
        with app.app_context(), writing():
            for _ in range(CATCH_UP_ROUNDS):
                newsletter_sending.send_newsletters(worker_id)
                claimed = delivery.drain(worker_id, limit=app.config["TALK_OUTBOX_BATCH"]).claimed
                if not claimed and not db.session.scalar(newsletter_sending.active_ids().limit(1)):
                    break
    finally:
        with app.app_context():
            if is_sqlite():
                worker.release_worker_lease(worker_id)
