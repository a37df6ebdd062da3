"""A block is stronger than a mute: nothing the blocked person writes — a mention, a reply, a
quotation of the blocker's words, a group mention, a reply in a followed discussion —
notifies the blocker, and the block counts when the worker delivers, not when they posted."""

from __future__ import annotations

from sqlalchemy import select

from notifications import follows, inbox
from notifications.inbox_models import Notification
from talk.extensions import db
from talk.models import Discussion, User
from talk.services import blocks


def _user(snap) -> User:
    return db.session.get(User, snap.id)


def _deliver(app, clock) -> None:
    with app.app_context():
        inbox.deliver_events("test-worker", now=clock())


def _told(app, person) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(Notification.kind)
                .where(Notification.user_id == person.id)
                .order_by(Notification.id)
            )
        )


def _block(app, blocker, person) -> None:
    with app.app_context():
        blocks.block_user(_user(blocker), _user(person))
        db.session.commit()


def test_nothing_from_a_blocked_person_reaches_the_blocker(app, make, world, clock):
    _deliver(app, clock)  # the world's own events
    mine = make.comment(world.thread, world.volunteer, "My guess: bracken")
    with app.app_context():
        follows.follow(_user(world.volunteer), db.session.get(Discussion, world.thread.id))
        db.session.commit()
    _block(app, world.volunteer, world.other)
    make.comment(world.thread, world.other, "@vol look again")  # a mention
    make.comment(world.thread, world.other, "Not bracken", reply_to=mine.id)  # a reply
    quoted = f"> **Val Volunteer** [wrote](/comments/{mine.id}):\n> My guess: bracken\n\nNo."
    make.comment(world.thread, world.other, quoted, reply_to=mine.id)  # a quotation
    make.comment(world.thread, world.other, "Anyone?")  # in a discussion Val follows
    _deliver(app, clock)
    assert _told(app, world.volunteer) == []
    # someone else's mention still arrives: the block is of Otto alone
    make.comment(world.thread, make.user("ann"), "@vol see this")
    _deliver(app, clock)
    assert _told(app, world.volunteer) == ["mention"]


def test_a_block_made_before_delivery_stops_what_was_already_posted(app, make, world, clock):
    _deliver(app, clock)
    make.comment(world.thread, world.other, "@vol hello")
    _block(app, world.volunteer, world.other)
    _deliver(app, clock)
    assert _told(app, world.volunteer) == []


def test_the_blocked_person_still_hears_from_the_blocker(app, make, world, clock):
    """A block shuts the blocker's door, not the other's: Otto is not told, and still hears."""
    _deliver(app, clock)
    _block(app, world.volunteer, world.other)
    make.comment(world.thread, world.volunteer, "@other why?")
    _deliver(app, clock)
    assert _told(app, world.other) == ["mention"]


def test_unblocking_lets_them_through_again(app, make, world, clock):
    _deliver(app, clock)
    _block(app, world.volunteer, world.other)
    with app.app_context():
        blocks.unblock_user(_user(world.volunteer), _user(world.other))
        db.session.commit()
    make.comment(world.thread, world.other, "@vol hello again")
    _deliver(app, clock)
    assert _told(app, world.volunteer) == ["mention"]
