"""Each core signal fires once, after flush, with its documented arguments — and never for a
refused operation (nothing is announced that did not happen)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from blinker import Signal
from sqlalchemy import inspect

from talk import policy, signals
from talk.errors import InvalidInput, NotAuthenticated, PermissionDenied, TalkError
from talk.extensions import db
from talk.models import Board, Comment, Discussion, Item, Membership, Project, User
from talk.services import accounts, discussions, items, projects


class Received(list[tuple[Any, dict[str, Any]]]):
    """What a signal delivered: (sender, kwargs) per send, each checked to be flushed."""

    def one(self) -> tuple[Any, dict[str, Any]]:
        assert len(self) == 1, f"sent {len(self)} times"
        return self[0]


@contextmanager
def receiving(signal: Signal) -> Iterator[Received]:
    received = Received()

    def receiver(sender: Any, **kwargs: Any) -> None:
        state = inspect(sender)
        assert state.persistent or state.deleted, f"{sender!r} was not flushed when announced"
        assert sender.id is not None
        received.append((sender, kwargs))

    with signal.connected_to(receiver):
        yield received


def _user(username: str) -> User:
    user = db.session.scalar(db.select(User).where(User.username == username))
    assert user is not None
    return user


@pytest.fixture
def site(make: Any) -> Any:
    project = make.project("herbarium")
    make.member(project, "moderator", username="mod")
    make.user("reader")
    make.user("poster")
    return project


def test_user_registered_by_a_visitor_and_by_the_operator(app: Any) -> None:
    with app.app_context(), receiving(signals.user_registered) as sent:
        from flask_login import AnonymousUserMixin

        visitor = AnonymousUserMixin()
        user = accounts.create_user(visitor, "ada", "ada@example.org", "long enough pw")
        sender, kwargs = sent.one()
        assert sender is user
        # a visitor signing up acts as the new account
        assert kwargs == {"actor": user, "answers": {}}
        admin = accounts.create_user(
            policy.OPERATOR, "root", "root@example.org", "long enough pw", site_admin=True
        )
        assert sent[1] == (admin, {"actor": policy.OPERATOR, "answers": {}})


def test_user_registered_is_not_sent_for_a_refused_registration(app: Any, make: Any) -> None:
    make.user("ada")
    with app.app_context(), receiving(signals.user_registered) as sent:
        from flask_login import AnonymousUserMixin

        visitor = AnonymousUserMixin()
        with pytest.raises(TalkError):
            accounts.create_user(visitor, "ada", "other@example.org", "long enough pw")
        with pytest.raises(InvalidInput):
            accounts.create_user(visitor, "bob", "not an address", "long enough pw")
        with pytest.raises(PermissionDenied):
            accounts.create_user(
                visitor, "eve", "eve@example.org", "long enough pw", site_admin=True
            )
        assert sent == []


def test_discussion_created_on_a_board_and_on_an_item(app: Any, make: Any, site: Any) -> None:
    item = make.item(site)
    with app.app_context(), receiving(signals.discussion_created) as sent:
        poster = _user("poster")
        board = db.session.get(Board, site.boards["Chat"].id)
        on_board = discussions.start_discussion(poster, board, "Hello", "First #fern @reader")
        sender, kwargs = sent.one()
        assert sender is on_board
        assert kwargs["board"] is board and kwargs["item"] is None
        assert kwargs["actor"] is poster
        assert kwargs["comment"].discussion is on_board and kwargs["comment"].id is not None
        assert [t.name for t in kwargs["tags_added"]] == ["fern"]
        assert kwargs["tags_removed"] == ()
        assert kwargs["mentioned_users"] == (_user("reader"),)
        assert kwargs["mentioned_groups"] == ()

        stored_item = db.session.get(Item, item.id)
        on_item = discussions.start_discussion(
            poster, board, "About this sheet", "A leaf", item=stored_item
        )
        sender, kwargs = sent[1]
        assert sender is on_item
        assert kwargs["item"] is stored_item
        assert kwargs["board"] is policy.items_board(stored_item.project)
        assert len(sent) == 2


def test_comment_posted_names_new_mentions_of_readers_only(app: Any, make: Any, site: Any) -> None:
    with app.app_context():
        mod = _user("mod")
        staff = projects.create_board(
            policy.OPERATOR,
            db.session.get(Project, site.id),
            "Staff room",
            read_level="moderators",
            write_level="moderators",
        )
        room = discussions.start_discussion(mod, staff, "Rota", "Hi")
        db.session.commit()
        room_id = room.id
    with app.app_context(), receiving(signals.comment_posted) as sent:
        mod = _user("mod")
        room = db.session.get(Discussion, room_id)
        comment = discussions.post_comment(
            mod, room, "#Fern #fern @reader @mod @moderators and @nobody"
        )
        sender, kwargs = sent.one()
        assert sender is comment
        assert kwargs["actor"] is mod
        assert kwargs["tags_added"] == ()  # a staff board's hashtags are not public tags
        assert kwargs["tags_removed"] == ()
        # reader may not read the staff room; mod wrote it; nobody does not exist
        assert kwargs["mentioned_users"] == ()
        assert kwargs["mentioned_groups"] == ("moderators",)
        assert set(kwargs) == {
            "actor",
            "tags_added",
            "tags_removed",
            "mentioned_users",
            "mentioned_groups",
        }


def test_comment_posted_names_its_tags(app: Any, make: Any, site: Any) -> None:
    discussion = make.discussion(site, make.user("author"), body="#oak")
    with app.app_context(), receiving(signals.comment_posted) as sent:
        stored = db.session.get(Discussion, discussion.id)
        comment = discussions.post_comment(_user("reader"), stored, "#Fern #fern #oak @author")
        sender, kwargs = sent.one()
        assert sender is comment
        assert sorted(t.name for t in kwargs["tags_added"]) == ["fern", "oak"]
        assert kwargs["mentioned_users"] == (_user("author"),)


def test_comment_edited_names_only_what_changed(app: Any, make: Any, site: Any) -> None:
    poster, reader = make.user("author"), "reader"
    discussion = make.discussion(site, poster, body="#oak @reader")
    with app.app_context(), receiving(signals.comment_edited) as sent:
        author = _user("author")
        comment = db.session.get(Comment, discussion.first_comment_id)
        discussions.edit_comment(author, comment, "#ash @reader @mod @experts")
        sender, kwargs = sent.one()
        assert sender is comment
        assert kwargs["previous_body"] == "#oak @reader"
        assert [t.name for t in kwargs["tags_added"]] == ["ash"]
        assert [t.name for t in kwargs["tags_removed"]] == ["oak"]
        assert kwargs["mentioned_users"] == (_user("mod"),)  # reader was mentioned already
        assert _user(reader) not in kwargs["mentioned_users"]
        assert kwargs["mentioned_groups"] == ("experts",)
        discussions.edit_comment(author, comment, "#ash @reader @mod @experts")  # unchanged
        assert len(sent) == 1


def test_comment_signals_are_not_sent_for_refused_writes(app: Any, make: Any, site: Any) -> None:
    discussion = make.discussion(site, make.user("author"), body="mine")

    def refuse_late(actor: Any, kind: str, target: Any, text: str) -> None:
        if "late" in text:  # a content check refuses after every other check passed
            raise InvalidInput("Not here.")

    with (
        app.app_context(),
        receiving(signals.comment_posted) as posted,
        receiving(signals.comment_edited) as edited,
        receiving(signals.comment_deleted) as deleted,
        receiving(signals.comment_hidden) as hidden,
        receiving(signals.discussion_created) as created,
    ):
        reader = _user("reader")
        stored = db.session.get(Discussion, discussion.id)
        comment = db.session.get(Comment, discussion.first_comment_id)
        with pytest.raises(InvalidInput):
            discussions.post_comment(reader, stored, "")
        policy.register_content_check(refuse_late)
        try:
            with pytest.raises(InvalidInput):
                discussions.post_comment(reader, stored, "too late #fern @author")
            with pytest.raises(InvalidInput):
                discussions.edit_comment(_user("author"), comment, "late edit")
        finally:
            policy._CONTENT_CHECKS.remove(refuse_late)
        with pytest.raises(PermissionDenied):
            discussions.edit_comment(reader, comment, "not mine")
        with pytest.raises(PermissionDenied):
            discussions.delete_comment(reader, comment)
        with pytest.raises(PermissionDenied):
            discussions.hide_comment(reader, comment, "spam")
        with pytest.raises(NotAuthenticated):
            from flask_login import AnonymousUserMixin

            discussions.start_discussion(AnonymousUserMixin(), stored.board, "T", "B")
        assert (posted, edited, deleted, hidden, created) == ([], [], [], [], [])


def test_delete_hide_and_unhide_each_fire_once(app: Any, make: Any, site: Any) -> None:
    discussion = make.discussion(site, make.user("author"), body="one")
    reply = make.comment(discussion, make.user("other"), body="two")
    with (
        app.app_context(),
        receiving(signals.comment_deleted) as deleted,
        receiving(signals.comment_hidden) as hidden,
        receiving(signals.comment_unhidden) as unhidden,
    ):
        mod = _user("mod")
        first = db.session.get(Comment, discussion.first_comment_id)
        second = db.session.get(Comment, reply.id)
        discussions.hide_comment(mod, second, "off topic")
        discussions.unhide_comment(mod, second)
        discussions.delete_comment(_user("author"), first)
        assert hidden.one() == (second, {"actor": mod, "reason": "off topic"})
        assert unhidden.one() == (second, {"actor": mod})
        assert deleted.one() == (first, {"actor": _user("author")})


def test_project_items_and_roles_announce_with_the_operator(app: Any, make: Any) -> None:
    make.user("owner")
    make.user("helper")
    with (
        app.app_context(),
        receiving(signals.project_created) as created,
        receiving(signals.items_registered) as registered,
        receiving(signals.role_changed) as roles,
    ):
        user = _user("owner")
        project = projects.create_project(policy.OPERATOR, "ships", "Ships' logs", owner=user)
        assert created.one() == (project, {"actor": policy.OPERATOR})
        rows = [{"external_id": "log-1", "title": "Log 1"}]
        added = items.register_items(user, project, rows)
        sender, kwargs = registered.one()
        assert sender is project and kwargs == {"items": added, "actor": user}
        membership = projects.set_role(policy.OPERATOR, project, _user("helper"), "admin")
        assert roles.one() == (
            membership,
            {"actor": policy.OPERATOR, "previous_role": None, "removed": False},
        )
        with pytest.raises(TalkError):
            projects.set_role(policy.OPERATOR, project, user, "admin")  # the last owner
        with pytest.raises(TalkError):
            projects.create_project(policy.OPERATOR, "ships", "Again", owner=user)
        with pytest.raises(TalkError):
            items.register_items(user, project, rows)  # already registered
        assert len(created) == len(registered) == len(roles) == 1
        projects.remove_member(policy.OPERATOR, project, _user("helper"))
        assert roles[1] == (
            membership,
            {"actor": policy.OPERATOR, "previous_role": "admin", "removed": True},
        )
        assert isinstance(membership, Membership)
        assert isinstance(project, Project)
