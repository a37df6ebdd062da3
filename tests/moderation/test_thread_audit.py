"""Every thread action of the core (lock, pin, move, merge, split, a moderator's edit) writes
one audit entry with what it changed, and the author is told of an edit, a move or a merge."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from moderation.models import AuditEntry
from talk.extensions import db
from talk.models import Comment, Discussion, Item, User
from talk.services import discussions, threads
from tests.talk import test_threads

#: The threads tests' own project, people and discussions.
site = test_threads.site


def _entries(action: str) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    return list(db.session.scalars(query))


def _get(model: Any, ident: int) -> Any:
    return db.session.get(model, ident)


def test_lock_and_pin_are_recorded_both_ways_and_tell_nobody(app, site, notices) -> None:
    with app.app_context():
        mod, thread = _get(User, site.moderator.id), _get(Discussion, site.thread.id)
        threads.lock_discussion(mod, thread, locked=True)
        threads.lock_discussion(mod, thread, locked=True)  # no change: no entry
        threads.lock_discussion(mod, thread, locked=False)
        threads.pin_discussion(mod, thread, pinned=True)
        threads.pin_discussion(mod, thread, pinned=False)
        lock, unlock = _entries("discussion.lock"), _entries("discussion.unlock")
        assert [(e.actor_id, e.target_type, e.target_id) for e in lock + unlock] == [
            (site.moderator.id, "discussion", site.thread.id)
        ] * 2
        assert (lock[0].before, lock[0].after) == ({"locked": False}, {"locked": True})
        assert lock[0].subject_user_id == site.volunteer.id
        assert [e.after for e in _entries("discussion.pin") + _entries("discussion.unpin")] == [
            {"pinned": True},
            {"pinned": False},
        ]
    assert notices == []


def test_a_move_records_the_old_and_new_place_and_tells_the_author(app, site, notices) -> None:
    with app.app_context():
        mod, thread = _get(User, site.moderator.id), _get(Discussion, site.thread.id)
        threads.move_discussion(mod, thread, item=_get(Item, site.items[1].id))
        (entry,) = _entries("discussion.move")
        assert entry.before["item_id"] == site.items[0].id
        assert entry.after["item_id"] == site.items[1].id
        assert entry.before["board_id"] == entry.after["board_id"] == site.thread.board_id
    assert [(n["to"], n["kind"], n["url"]) for n in notices] == [
        ("vol", "moderation.thread", f"/discussions/{site.thread.id}")
    ]
    assert "moved your discussion “An oak” to the item" in notices[0]["text"]


def test_a_merge_records_where_it_went_and_which_comments(app, site, notices) -> None:
    with app.app_context():
        mod = _get(User, site.moderator.id)
        chat, thread = _get(Discussion, site.chat.id), _get(Discussion, site.thread.id)
        threads.merge_discussions(mod, chat, thread)
        (entry,) = _entries("discussion.merge")
        assert (entry.target_id, entry.subject_user_id) == (site.chat.id, site.other.id)
        assert entry.after == {
            "merged_into_id": site.thread.id,
            "comment_ids": [site.chat.first_comment_id],
        }
    assert [(n["to"], n["kind"]) for n in notices] == [("eleanor", "moderation.thread")]
    assert notices[0]["text"] == "A moderator merged your discussion “Hello” into “An oak”."


def test_a_split_records_the_comments_and_the_new_discussion(app, site, notices) -> None:
    with app.app_context():
        mod, thread = _get(User, site.moderator.id), _get(Discussion, site.thread.id)
        split = threads.split_comments(mod, thread, [site.reply.id], "Leaves")
        (entry,) = _entries("discussion.split")
        assert entry.target_id == site.thread.id
        assert entry.after == {"new_discussion_id": split.id, "comment_ids": [site.reply.id]}
    assert notices == []


def test_a_moderators_edit_keeps_the_text_before_and_tells_the_author(app, site, notices):
    with app.app_context():
        mod, comment = _get(User, site.moderator.id), _get(Comment, site.reply.id)
        discussions.edit_comment(mod, comment, "Leaf", note="Removed a phone number")
        (entry,) = _entries("comment.moderator_edit")
        assert (entry.target_type, entry.target_id) == ("comment", site.reply.id)
        assert entry.before == {"body": "Zanzibar leaf #leaf @vol"} and entry.after == {
            "body": "Leaf"
        }
        assert entry.note == "Removed a phone number"
        own = _get(Comment, site.thread.first_comment_id)
        discussions.edit_comment(_get(User, site.volunteer.id), own, "Pressed flat")
        assert _entries("comment.moderator_edit") == [entry]  # an author's edit is not logged
    assert [(n["to"], n["kind"], n["url"]) for n in notices] == [
        ("eleanor", "moderation.edited", f"/comments/{site.reply.id}")
    ]
    assert notices[0]["text"].endswith(": Removed a phone number.")
