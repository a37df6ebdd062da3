"""The moderators' actions on discussions (talk/services/threads.py): lock, pin, move, merge,
split and an edit with a moderator's note. After each, every stored counter equals its recount,
the tag aggregates follow the comments, search finds them at their new place, and the signal
for the moderation package's audit is sent once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import select

from talk import signals
from talk.errors import Conflict, InvalidInput, PermissionDenied
from talk.extensions import db
from talk.models import Board, Comment, Discussion, Item, Mention, TagUse, User
from talk.services import discussions, listing, threads
from talk.services.counters import counter_mismatches


@contextmanager
def received(signal: Any) -> Iterator[list[tuple[Any, dict[str, Any]]]]:
    got: list[tuple[Any, dict[str, Any]]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        got.append((sender, kwargs))

    signal.connect(receiver)
    try:
        yield got
    finally:
        signal.disconnect(receiver)


@pytest.fixture
def site(make: Any) -> Any:
    project = make.project("herbarium")
    site = type("Site", (), {})()
    site.project = project
    site.moderator = make.member(project, "moderator", username="mod")
    site.volunteer = make.user("vol")
    site.other = make.user("eleanor")
    site.items = make.items(project, 2, prefix="sheet")
    site.thread = make.discussion(
        project, site.volunteer, item=site.items[0], title="An oak", body="Pressed #oak"
    )
    site.reply = make.comment(site.thread, site.other, "Zanzibar leaf #leaf @vol")
    site.chat = make.discussion(project, site.other, title="Hello", body="Chat #oak")
    return site


def _get(model: Any, ident: int) -> Any:
    return db.session.get(model, ident)


def _exact() -> None:
    assert counter_mismatches() == []


def _uses(discussion_id: int) -> set[tuple[int, int | None]]:
    return {
        (use.comment_id, use.item_id)
        for use in db.session.scalars(select(TagUse).where(TagUse.discussion_id == discussion_id))
    }


def _found(client: Any, query: str, **filters: Any) -> list[int]:
    response = client.get(
        "/api/v1/search", query_string={"q": query, "project": "herbarium", **filters}
    )
    return [row["id"] for row in response.get_json()["data"] if row["kind"] == "comment"]


def test_lock_stops_replies_but_the_moderators_and_unlock_opens_again(app, site):
    with app.app_context(), received(signals.discussion_locked) as sent:
        mod, vol = _get(User, site.moderator.id), _get(User, site.volunteer.id)
        thread = _get(Discussion, site.thread.id)
        threads.lock_discussion(mod, thread, locked=True)
        threads.lock_discussion(mod, thread, locked=True)  # no change, no second signal
        with pytest.raises(PermissionDenied):
            discussions.post_comment(vol, thread, "Still here?")
        with pytest.raises(PermissionDenied):  # authors' edits wait too
            discussions.edit_comment(vol, _get(Comment, site.thread.first_comment_id), "Oak!")
        discussions.post_comment(mod, thread, "Locked: this was answered.")
        threads.lock_discussion(mod, thread, locked=False)
        discussions.post_comment(vol, thread, "Thanks")
        assert [kwargs["locked"] for _, kwargs in sent] == [True, False]
        _exact()


def test_a_moderator_of_another_project_and_a_volunteer_may_do_nothing(app, make, site):
    other_project = make.project("letters")
    stranger = make.member(other_project, "moderator", username="othermod")
    with app.app_context():
        thread, chat = _get(Discussion, site.thread.id), _get(Discussion, site.chat.id)
        for actor in (_get(User, stranger.id), _get(User, site.volunteer.id)):
            for action in (
                lambda a: threads.lock_discussion(a, thread, locked=True),
                lambda a: threads.pin_discussion(a, thread, pinned=True),
                lambda a: threads.move_discussion(a, chat, item=_get(Item, site.items[1].id)),
                lambda a: threads.merge_discussions(a, chat, thread),
                lambda a: threads.split_comments(a, thread, [site.reply.id], "Leaves"),
                lambda a: discussions.edit_comment(
                    a, _get(Comment, site.reply.id), "Tidied", note="Typo"
                ),
            ):
                with pytest.raises(PermissionDenied):
                    action(actor)
        assert not thread.is_locked and not thread.pinned and chat.item_id is None


def test_pinned_discussions_come_first_on_their_board_and_in_the_api(app, client, make, site):
    later = make.discussion(site.project, site.volunteer, title="Newer", body="New")
    with app.app_context(), received(signals.discussion_pinned) as sent:
        threads.pin_discussion(
            _get(User, site.moderator.id), _get(Discussion, site.chat.id), pinned=True
        )
        db.session.commit()
        board = _get(Board, site.chat.board_id)
        ids = [d.id for d in listing.board_discussions(board, cursor=None, limit=10).rows]
        assert ids == [site.chat.id, later.id]
        assert [kwargs["pinned"] for _, kwargs in sent] == [True]
        page = listing.board_discussions(board, cursor=None, limit=1)
        rest = listing.board_discussions(board, cursor=page.next_cursor, limit=1)
        assert [d.id for d in page.rows + rest.rows] == [site.chat.id, later.id]
    body = client.get(f"/api/v1/boards/{site.chat.board_id}/discussions").get_json()
    assert [row["id"] for row in body["data"]] == [site.chat.id, later.id]


def test_moving_onto_another_item_moves_counts_tags_and_search(app, client, site):
    assert _found(client, "zanzibar", item=site.items[0].external_id) == [site.reply.id]
    with app.app_context(), received(signals.discussion_moved) as sent:
        mod = _get(User, site.moderator.id)
        thread = _get(Discussion, site.thread.id)
        threads.move_discussion(mod, thread, item=_get(Item, site.items[1].id))
        _exact()
        assert {item for _, item in _uses(thread.id)} == {site.items[1].id}
        assert _get(Item, site.items[0].id).discussion_count == 0
        assert _get(Item, site.items[1].id).comment_count == 2
        threads.move_discussion(mod, thread, board=_get(Board, site.chat.board_id))
        _exact()
        assert thread.item_id is None and {item for _, item in _uses(thread.id)} == {None}
        assert [kwargs["to_item"] and kwargs["to_item"].id for _, kwargs in sent] == [
            site.items[1].id,
            None,
        ]
        db.session.commit()
    assert _found(client, "zanzibar", item=site.items[0].external_id) == []
    assert _found(client, "zanzibar", board=site.chat.board_id) == [site.reply.id]


def test_a_move_is_checked(app, make, site):
    other = make.project("letters")
    elsewhere = make.item(other)
    with app.app_context():
        mod, chat = _get(User, site.moderator.id), _get(Discussion, site.chat.id)
        for kwargs in (
            {},
            {"item": _get(Item, elsewhere.id)},
            {"board": _get(Board, other.boards["Chat"].id)},
            {"board": _get(Board, site.thread.board_id)},  # the items board wants an item
        ):
            with pytest.raises(InvalidInput):
                threads.move_discussion(mod, chat, **kwargs)
        assert chat.board_id == site.chat.board_id


def test_merging_moves_every_comment_and_leaves_a_redirect(app, client, make, site):
    hidden = make.comment(site.chat, site.volunteer, "Rude #rude")
    with app.app_context(), received(signals.discussions_merged) as sent:
        mod = _get(User, site.moderator.id)
        discussions.hide_comment(mod, _get(Comment, hidden.id), "rude")
        chat, thread = _get(Discussion, site.chat.id), _get(Discussion, site.thread.id)
        threads.merge_discussions(mod, chat, thread)
        _exact()
        assert chat.merged_into_id == thread.id and chat.comment_count == 0
        in_thread = db.session.scalars(
            select(Comment.id).where(Comment.discussion_id == thread.id).order_by(Comment.id)
        ).all()
        assert in_thread == sorted(
            [site.thread.first_comment_id, site.reply.id, site.chat.first_comment_id, hidden.id]
        )
        assert thread.comment_count == 3
        assert {item for _, item in _uses(thread.id)} == {site.items[0].id}
        assert sent[0][1]["merged"].id == chat.id
        with pytest.raises(PermissionDenied):
            discussions.post_comment(_get(User, site.volunteer.id), chat, "Hello?")
        with pytest.raises(InvalidInput):
            threads.merge_discussions(mod, thread, thread)
        with pytest.raises(InvalidInput):  # a redirect is no place to merge into
            threads.merge_discussions(mod, thread, chat)
        board = _get(Board, site.chat.board_id)
        assert listing.board_discussions(board, cursor=None, limit=10).rows == []
        db.session.commit()
    response = client.get(f"/discussions/{site.chat.id}")
    assert response.status_code == 301
    assert response.headers["Location"].endswith(f"/discussions/{site.thread.id}")
    api = client.get(f"/api/v1/discussions/{site.chat.id}")
    assert api.status_code == 301
    assert api.headers["Location"].endswith(f"/api/v1/discussions/{site.thread.id}")
    titles = client.get("/api/v1/search", query_string={"q": "hello", "project": "herbarium"})
    assert [r for r in titles.get_json()["data"] if r["kind"] == "discussion"] == []


def test_splitting_replies_starts_a_discussion_and_keeps_reply_links(app, make, site):
    answer = make.comment(site.thread, site.volunteer, "Agreed #leaf", reply_to=site.reply.id)
    with app.app_context(), received(signals.comments_split) as sent:
        mod = _get(User, site.moderator.id)
        thread = _get(Discussion, site.thread.id)
        split = threads.split_comments(mod, thread, [site.reply.id], "  About leaves ")
        _exact()
        assert (split.title, split.author_id, split.item_id) == (
            "About leaves",
            site.other.id,
            site.items[0].id,
        )
        assert (split.comment_count, thread.comment_count) == (1, 2)
        assert _get(Comment, answer.id).reply_to_id == site.reply.id
        mention = db.session.scalars(select(Mention).where(Mention.comment_id == site.reply.id))
        assert {m.discussion_id for m in mention} == {split.id}
        assert sent[0][1]["comment_ids"] == (site.reply.id,)
        for chosen in ([], [site.thread.first_comment_id], [site.chat.first_comment_id]):
            with pytest.raises(InvalidInput):
                threads.split_comments(mod, thread, chosen, "Again")
        with pytest.raises(InvalidInput):
            threads.split_comments(mod, thread, [answer.id], " ")


def test_a_moderators_edit_keeps_history_and_shows_its_note(app, site):
    with app.app_context(), received(signals.comment_edited) as sent:
        mod = _get(User, site.moderator.id)
        comment = _get(Comment, site.reply.id)
        with pytest.raises(InvalidInput):
            discussions.edit_comment(mod, comment, "Leaf", note="  ")
        discussions.edit_comment(mod, comment, "Leaf #leaf", note="Removed a phone number")
        assert comment.moderator_note == "Removed a phone number"
        assert [r.body for r in comment.revisions] == ["Zanzibar leaf #leaf @vol"]
        assert comment.revisions[0].editor_id == site.moderator.id
        assert sent[0][1]["moderator_note"] == "Removed a phone number"
        with pytest.raises(PermissionDenied):  # not the author's own edit rule
            discussions.edit_comment(mod, comment, "Leaf")
        _exact()


def test_a_reply_to_a_discussion_moved_meanwhile_is_refused(app, site):
    with app.app_context():
        vol = _get(User, site.volunteer.id)
        thread = _get(Discussion, site.thread.id)
        # As if a moderator committed a move after this writer read the discussion.
        db.session.execute(
            Discussion.__table__.update()
            .where(Discussion.__table__.c.id == thread.id)
            .values(item_id=site.items[1].id)
        )
        with pytest.raises(Conflict):
            discussions.post_comment(vol, thread, "Late")


def test_moving_to_a_board_closed_to_volunteers_takes_the_hashtags_out_of_the_tags(
    app, make_board, site
):
    make_board(site.project, "Staff room", read_level="team", write_level="team")
    with app.app_context():
        mod, chat = _get(User, site.moderator.id), _get(Discussion, site.chat.id)
        room = db.session.scalar(select(Board).where(Board.title == "Staff room"))
        assert _uses(chat.id)
        threads.move_discussion(mod, chat, board=room)
        assert _uses(chat.id) == set()
        _exact()
        threads.move_discussion(mod, chat, board=_get(Board, site.chat.board_id))
        assert _uses(chat.id) == {(site.chat.first_comment_id, None)}
        _exact()
