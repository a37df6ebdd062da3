"""Following, muting and the questions fan-out asks, through the services."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from notifications import follows
from notifications.follow_models import Follow, UserMute
from talk import policy
from talk.errors import Conflict, NotAuthenticated, NotFound, PermissionDenied
from talk.extensions import db
from talk.models import Board, Discussion, Item, Project, Tag, User
from talk.services import curation, tags
from tests.conftest import sqlite_plan


def _user(snap):
    return db.session.get(User, snap.id)


def _tag(project_id: int, name: str) -> Tag:
    return tags.get_tag(db.session.get(Project, project_id), name)


def _targets(world):
    project = db.session.get(Project, world.project.id)
    return {
        "discussion": db.session.get(Discussion, world.thread.id),
        "item": db.session.get(Item, world.item.id),
        "board": db.session.get(Board, world.chat.id),
        "tag": _tag(world.project.id, "fern"),
        "project": project,
    }


def _followed(user_id: int) -> set[tuple[str, str, str]]:
    rows = db.session.scalars(select(Follow).where(Follow.user_id == user_id))
    return {(row.kind, follows.title_of(row.target), row.level) for row in rows}


def test_a_person_follows_each_kind_and_lists_them_newest_first_in_pages(app, world, clock):
    with app.app_context():
        volunteer = _user(world.volunteer)
        for target in _targets(world).values():
            follows.follow(volunteer, target)
            clock.advance(minutes=1)
        first = follows.follows_page(volunteer, volunteer, cursor=None, limit=3)
        second = follows.follows_page(volunteer, volunteer, cursor=first.next_cursor, limit=3)
        assert [row.kind for row in first.rows + second.rows] == [
            "project",
            "tag",
            "board",
            "item",
            "discussion",
        ]
        assert second.next_cursor is None
        # Following again changes the level only: still one row.
        follows.follow(volunteer, _targets(world)["board"], "mute")
        assert ("board", "Chat", "mute") in _followed(volunteer.id)
        assert len(_followed(volunteer.id)) == 5


def test_only_what_one_may_read_is_followed_and_only_by_a_person(app, world):
    with app.app_context():
        volunteer = _user(world.volunteer)
        secret = db.session.get(Discussion, world.secret.id)
        team_room = db.session.get(Board, world.team_room.id)
        for target in (secret, team_room):
            with pytest.raises(PermissionDenied):
                follows.follow(volunteer, target)
            with pytest.raises(NotFound):  # the doors find nothing there, as when reading
                follows.find_target(volunteer, follows.kind_of(target), target_id=target.id)
        with pytest.raises(PermissionDenied):
            follows.follow(policy.OPERATOR, _targets(world)["project"])
        with pytest.raises(NotAuthenticated):
            follows.follow(policy.ANONYMOUS, _targets(world)["project"])
        assert db.session.scalars(select(Follow).where(Follow.user_id == volunteer.id)).all() == []


def test_nobody_lists_or_changes_another_persons_follows(app, world):
    with app.app_context():
        volunteer, other = _user(world.volunteer), _user(world.other)
        with pytest.raises(PermissionDenied):
            follows.follows_page(other, volunteer, cursor=None, limit=10)
        with pytest.raises(PermissionDenied):
            follows.mutes_page(other, volunteer, cursor=None, limit=10)
        with pytest.raises(PermissionDenied):
            follows.set_follow_on_posting(other, volunteer, False)
        with pytest.raises(PermissionDenied):  # not even the operator reads them
            follows.follows_page(policy.OPERATOR, volunteer, cursor=None, limit=10)


def test_starting_and_replying_follow_the_discussion(app, world, make):
    with app.app_context():
        # The thread's author started it: followed, because they took part.
        started = db.session.scalars(select(Follow).where(Follow.user_id == world.other.id)).one()
        assert (started.discussion_id, started.origin, started.level) == (
            world.thread.id,
            "posted",
            "follow",
        )
    make.comment(world.thread, world.volunteer, "Looks like a fern to me")
    make.comment(world.thread, world.volunteer, "Or a moss")  # no second row
    with app.app_context():
        assert _followed(world.volunteer.id) == {("discussion", "Odd #fern", "follow")}


def test_the_preference_off_posting_follows_nothing_and_a_mute_stays(app, world, make):
    with make.context():
        follows.set_follow_on_posting(_user(world.volunteer), _user(world.volunteer), False)
        assert follows.follows_on_posting(_user(world.volunteer)) is False
        follows.follow(_user(world.other), db.session.get(Discussion, world.thread.id), "mute")
    make.comment(world.thread, world.volunteer, "No follow for me")
    make.comment(world.thread, world.other, "My own thread, muted")
    make.discussion(world.project, world.volunteer, title="Started quietly")
    with app.app_context():
        assert _followed(world.volunteer.id) == set()
        assert _followed(world.other.id) == {("discussion", "Odd #fern", "mute")}


def test_a_tag_follow_survives_a_rename_a_merge_and_a_new_synonym(app, world, make):
    curator = make.member(world.project, "expert")
    make.comment(world.thread, world.other, "#bracken and #polypody and #moss")
    with make.context():
        volunteer, other = _user(world.volunteer), _user(world.other)
        follows.follow(volunteer, _tag(world.project.id, "fern"))
        follows.follow(volunteer, _tag(world.project.id, "bracken"))
        follows.follow(other, _tag(world.project.id, "bracken"))
        follows.follow(other, _tag(world.project.id, "moss"), "mute")
    with make.context():
        expert = _user(curator)
        curation.rename(expert, _tag(world.project.id, "fern"), "ferns")
        # Both followed by the volunteer: one follow stays; the other's moves over.
        curation.merge(expert, _tag(world.project.id, "bracken"), _tag(world.project.id, "ferns"))
        curation.add_synonym(expert, _tag(world.project.id, "ferns"), "polypody")
        curation.add_synonym(expert, _tag(world.project.id, "ferns"), "moss")
    with app.app_context():
        assert _followed(world.volunteer.id) == {("tag", "#ferns", "follow")}
        # The moss mute met the bracken follow, moved to #ferns first: the follow stays.
        assert _followed(world.other.id) == {
            ("discussion", "Odd #fern", "follow"),
            ("tag", "#ferns", "follow"),
        }


def test_a_person_mutes_another_and_fan_out_sees_it(app, world):
    with app.app_context():
        volunteer, other = _user(world.volunteer), _user(world.other)
        follows.mute_user(volunteer, other)
        with pytest.raises(Conflict):
            follows.mute_user(volunteer, other)
        with pytest.raises(PermissionDenied):
            follows.mute_user(volunteer, volunteer)
        assert follows.muted_by([volunteer.id, other.id], other.id) == {volunteer.id}
        page = follows.mutes_page(volunteer, volunteer, cursor=None, limit=10)
        assert [row.muted_user.username for row in page.rows] == ["other"]
        follows.unmute_user(volunteer, other)
        assert db.session.scalars(select(UserMute)).all() == []
        with pytest.raises(NotFound):
            follows.unmute_user(volunteer, other)


def test_fan_out_asks_one_question_and_the_most_specific_follow_decides(
    app, world, make, count_queries
):
    follower, quiet, tagger, boarder = (make.user(n) for n in ("fol", "quiet", "tagger", "boarder"))
    with make.context():
        targets = _targets(world)
        follows.follow(_user(follower), targets["project"])
        follows.follow(_user(quiet), targets["project"])
        follows.follow(_user(quiet), targets["discussion"], "mute")  # quiet here only
        follows.follow(_user(tagger), targets["tag"])
        follows.follow(_user(boarder), db.session.get(Board, world.chat.id))  # another board
        follows.follow(_user(world.volunteer), targets["item"])
    with app.app_context():
        thread = db.session.get(Discussion, world.thread.id)
        fern = _tag(world.project.id, "fern").id
        with count_queries() as queries:
            found = follows.interested(thread, [fern])
        assert queries.count == 1
        assert {user_id: i.kind for user_id, i in found.items()} == {
            world.other.id: "discussion",  # its author, who took part
            world.volunteer.id: "item",
            follower.id: "project",
            tagger.id: "tag",
        }
        assert tagger.id not in follows.interested(thread)  # no tag used this time


def test_the_fan_out_question_uses_the_per_kind_indexes(app, world):
    """On SQLite each OR term reads its own index (a MULTI-INDEX OR), never the whole table."""
    with app.app_context():
        details = sqlite_plan(
            "SELECT user_id FROM follows WHERE discussion_id = 1 "
            "OR item_id = 2 OR board_id = 3 OR project_id = 4 OR tag_id IN (5, 6)",
            "the plan asserted is SQLite's; PostgreSQL ORs bitmap index scans",
        )
        assert "MULTI-INDEX OR" in details
        assert "SCAN follows" not in details
        for kind in ("discussion", "item", "board", "project", "tag"):
            assert f"uq_follows_{kind}_user" in details
