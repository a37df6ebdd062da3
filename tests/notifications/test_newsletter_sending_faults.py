"""A newsletter's sending survives the worker's faults: a real ``talk worker`` (which starts the
newsletter and hands it to the outbox itself) SIGKILLed after claiming and after the server
accepted a message, and two workers at once on PostgreSQL. Each recipient gets the update once
in Talk's records; one the server may have received before the kill is ``uncertain``, never
sent again. (The SMTP outage is in ``test_newsletter_sending.py``.)"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, update

from notifications import delivery, newsletter_sending, newsletters, outbox
from notifications.models import OutboxMessage
from notifications.newsletter_models import Newsletter, NewsletterDelivery
from talk.clock import utcnow
from talk.extensions import db
from talk.models import Project, User
from tests.notifications.test_newsletter_sending import opted_in
from tests.notifications.test_worker_faults import kill_worker_at, recover_later

pytestmark = pytest.mark.commits


def scheduled_newsletter(app, make, readers):
    """A newsletter scheduled now to ``readers`` opted-in volunteers; returns its id."""
    project = make.project("herbarium")
    team = make.member(project, "team")
    opted_in(app, make, project, readers)
    with app.app_context():
        p = db.session.get(Project, project.id)
        letter = newsletters.create(db.session.get(User, team.id), p, subject="News", body="Hi")
        newsletters.schedule(db.session.get(User, team.id), letter, "now")
        db.session.commit()
        return letter.id


def deliveries(app, letter_id):
    with app.app_context():
        newsletter_sending.sync()
        newsletter_sending.finish()
        rows = db.session.scalars(
            select(NewsletterDelivery)
            .where(NewsletterDelivery.newsletter_id == letter_id)
            .order_by(NewsletterDelivery.outbox_id)
        ).all()
        state = db.session.get(Newsletter, letter_id).state
        return (
            state,
            [(r.state, r.reason) for r in rows],
            [outbox.message_id(r.outbox_id) for r in rows],
        )


def test_a_worker_killed_after_claiming_loses_no_recipient(
    app, make, smtp, clock, database_uri, tmp_path
):
    letter_id = scheduled_newsletter(app, make, 3)
    kill_worker_at(app, "claimed", database_uri, smtp, tmp_path)
    assert smtp.received == []
    state, rows, _ = deliveries(app, letter_id)
    assert state == "sending" and rows == [("sending", None)] * 3  # started and handed over
    recover_later(app, clock)
    state, rows, expected = deliveries(app, letter_id)
    assert state == "sent" and rows == [("sent", None)] * 3
    assert sorted(smtp.handler.message_ids()) == sorted(expected)


def test_a_worker_killed_after_the_server_took_one_sends_nobody_twice(
    app, make, smtp, clock, database_uri, tmp_path
):
    letter_id = scheduled_newsletter(app, make, 3)
    kill_worker_at(app, "sent", database_uri, smtp, tmp_path)
    assert len(smtp.received) == 1  # the server has it; Talk has no record of the answer
    recover_later(app, clock)
    state, rows, expected = deliveries(app, letter_id)
    assert state == "sent"
    assert rows == [("uncertain", "worker-died"), ("sent", None), ("sent", None)]
    received = smtp.handler.message_ids()
    assert len(received) == len(set(received)) == 3
    assert sorted(received) == sorted(expected)


def test_two_workers_on_postgresql_never_send_one_delivery_twice(app, make, smtp):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite supports one worker (it refuses a second); PostgreSQL runs several")
    letter_id = scheduled_newsletter(app, make, 200)
    with app.app_context():
        newsletter_sending.start(db.session.get(Newsletter, letter_id), utcnow())
    moved: dict[str, int] = {}

    def work(name: str) -> None:
        with app.app_context():
            letter = db.session.get(Newsletter, letter_id)
            while True:
                count = newsletter_sending.move(letter, 25)
                moved[name] = moved.get(name, 0) + count
                if not count and not delivery.drain(name, limit=25).claimed:
                    break
                delivery.drain(name, limit=25)

    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    state, rows, expected = deliveries(app, letter_id)
    assert state == "sent" and rows == [("sent", None)] * 200
    received = smtp.handler.message_ids()
    assert len(received) == len(set(received)) == 200
    assert sorted(received) == sorted(expected)
    assert sum(moved.values()) == 200 and all(moved.get(f"w{n}") for n in range(2))


def test_a_batch_with_a_delivery_moved_by_another_is_rolled_back_whole(app, make, monkeypatch):
    """The batch's deliveries take their outbox rows in one conditional UPDATE: should any of
    them no longer be queued without one, nothing of the batch stays, outbox rows included."""
    letter_id = scheduled_newsletter(app, make, 3)
    queue_them = outbox.enqueue_many

    def and_another_mover(mails):
        ids = queue_them(mails)
        first = db.session.scalar(
            select(func.min(NewsletterDelivery.id)).where(
                NewsletterDelivery.newsletter_id == letter_id
            )
        )
        db.session.execute(
            update(NewsletterDelivery).where(NewsletterDelivery.id == first).values(state="skipped")
        )
        return ids

    with app.app_context():
        newsletter = db.session.get(Newsletter, letter_id)
        assert newsletter_sending.start(newsletter, utcnow()) == 3
        monkeypatch.setattr(outbox, "enqueue_many", and_another_mover)
        assert newsletter_sending.move(newsletter, None) == 0
        rows = db.session.scalars(
            select(NewsletterDelivery).where(NewsletterDelivery.newsletter_id == letter_id)
        ).all()
        assert [(r.state, r.outbox_id) for r in rows] == [("queued", None)] * 3
        assert not db.session.scalar(select(func.count()).select_from(OutboxMessage))
        monkeypatch.undo()
        assert newsletter_sending.move(newsletter, None) == 3
