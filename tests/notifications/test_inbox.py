"""The inbox: events written in the request, notifications made by the worker's job (run
directly here, time injected), and reading them on the page and through the API."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from notifications import follows, inbox
from notifications.inbox_models import Notification, NotificationEvent
from notifications.worker import JOBS
from talk import policy
from talk.extensions import db
from talk.models import Board, Comment, Discussion, Item, Project, Tag, User
from talk.services import curation, discussions, projects, tags
from tests.conftest import csrf_token, login


def _user(snap) -> User:
    return db.session.get(User, snap.id)


def _deliver(app, clock) -> None:
    with app.app_context():
        inbox.deliver_events("test-worker", now=clock())


def _told(app, person) -> list[tuple[str, str]]:
    """(kind, detail) of each notification ``person`` has, oldest first."""
    with app.app_context():
        rows = db.session.scalars(
            select(Notification).where(Notification.user_id == person.id).order_by(Notification.id)
        )
        return [(n.kind, n.detail) for n in rows]


def _follow(app, person, target_of) -> None:
    with app.app_context():
        follows.follow(_user(person), target_of())
        db.session.commit()


@pytest.fixture(autouse=True)
def _quiet_world(app, world, clock) -> None:
    """The world's own events (its threads, its owner joining) delivered before each test."""
    _deliver(app, clock)


def test_the_notify_job_is_one_of_the_workers_jobs():
    assert "notify" in [job.name for job in JOBS]


def test_a_reply_in_a_followed_discussion_tells_its_followers_but_not_the_actor(
    app, make, world, clock
):
    _follow(app, world.volunteer, lambda: db.session.get(Discussion, world.thread.id))
    make.comment(world.thread, world.other, "Looks like a fern to me")
    _deliver(app, clock)
    assert _told(app, world.volunteer) == [("followed_reply", "")]
    assert _told(app, world.other) == []  # the actor follows by posting, and hears nothing
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(NotificationEvent)) == 0


def test_a_reply_to_my_comment_and_a_mention_make_one_notification_the_most_specific(
    app, make, world, clock
):
    mine = make.comment(world.thread, world.volunteer, "My guess: bracken")
    make.comment(world.thread, world.other, "Not bracken", reply_to=mine.id)
    make.comment(world.thread, world.other, "@vol look again", reply_to=mine.id)
    _deliver(app, clock)
    assert _told(app, world.volunteer) == [("reply", ""), ("mention", "")]


def test_a_group_mention_tells_the_group_who_may_read_it(app, make, world, clock):
    moderator = make.member(world.project, "moderator")
    make.comment(world.thread, world.other, "@moderators please look")
    _deliver(app, clock)
    assert _told(app, moderator) == [("welcome", ""), ("group_mention", "moderators")]
    assert _told(app, world.volunteer) == []


def test_a_new_discussion_on_a_followed_item_board_or_project(app, make, world, clock):
    board_fan, project_fan = make.user(), make.user()
    _follow(app, world.volunteer, lambda: db.session.get(Item, world.item.id))
    _follow(app, board_fan, lambda: db.session.get(Board, world.chat.id))
    _follow(app, project_fan, lambda: db.session.get(Project, world.project.id))
    make.discussion(world.project, world.other, item=world.item, board="Item discussions")
    make.discussion(world.project, world.other, title="Chat thread")
    _deliver(app, clock)
    assert _told(app, world.volunteer) == [("new_discussion", "")]
    assert _told(app, board_fan) == [("new_discussion", "")]
    assert _told(app, project_fan) == [("new_discussion", ""), ("new_discussion", "")]


def test_a_followed_hashtag_used_on_an_item(app, make, world, clock):
    def fern() -> Tag:
        return tags.get_tag(db.session.get(Project, world.project.id), "fern")

    _follow(app, world.volunteer, fern)
    other_item = make.item(world.project)
    thread = make.discussion(
        world.project, world.other, item=other_item, board="Item discussions", body="Hmm"
    )
    make.comment(thread, world.other, "A #fern too")
    _deliver(app, clock)
    assert _told(app, world.volunteer) == [("tag_used", "")]


def _verify_fern(app, expert, world) -> None:
    """``expert`` verifies #fern on the world's item."""
    with app.app_context():
        curation.set_verdict(
            _user(expert),
            db.session.get(Item, world.item.id),
            tags.get_tag(db.session.get(Project, world.project.id), "fern"),
            "verified",
        )
        db.session.commit()


def test_an_expert_verdict_tells_who_discussed_the_item(app, make, world, clock):
    expert = make.member(world.project, "expert")
    make.comment(world.thread, world.volunteer, "I agree")
    _deliver(app, clock)
    _verify_fern(app, expert, world)
    _deliver(app, clock)
    assert ("verdict", "verified") in _told(app, world.volunteer)
    assert ("verdict", "verified") in _told(app, world.other)
    assert _told(app, expert) == [("welcome", "")]  # not told of their own verdict


def test_welcome_on_first_joining_a_project_only(app, make, world, clock):
    make.grant(world.project, world.volunteer, "team")
    make.grant(world.project, world.volunteer, "expert")  # a change of role: no welcome
    with app.app_context():
        projects.remove_member(
            policy.OPERATOR, db.session.get(Project, world.project.id), _user(world.volunteer)
        )
        db.session.commit()
    make.grant(world.project, world.volunteer, "team")  # back again: not "first"
    _deliver(app, clock)
    assert _told(app, world.volunteer) == [("welcome", "")]


def test_permission_is_checked_at_delivery(app, make, world, clock):
    make.grant(world.project, world.volunteer, "team")
    _follow(app, world.volunteer, lambda: db.session.get(Discussion, world.secret.id))
    make.comment(world.secret, world.project.owner, "Team news")
    with app.app_context():  # removed before the worker came
        projects.remove_member(
            policy.OPERATOR, db.session.get(Project, world.project.id), _user(world.volunteer)
        )
        db.session.commit()
    _deliver(app, clock)
    assert _told(app, world.volunteer) == [("welcome", "")]


def test_a_deleted_comment_tells_nobody(app, make, world, clock):
    _follow(app, world.volunteer, lambda: db.session.get(Discussion, world.thread.id))
    comment = make.comment(world.thread, world.other, "Oops")
    with app.app_context():
        discussions.delete_comment(_user(world.other), db.session.get(Comment, comment.id))
        db.session.commit()
    _deliver(app, clock)
    assert _told(app, world.volunteer) == []


def test_nothing_from_a_muted_person_or_on_a_muted_thing(app, make, world, clock):
    _follow(app, world.volunteer, lambda: db.session.get(Discussion, world.thread.id))
    with app.app_context():
        follows.mute_user(_user(world.volunteer), _user(world.other))
        db.session.commit()
    make.comment(world.thread, world.other, "@vol hello")
    _deliver(app, clock)
    assert _told(app, world.volunteer) == []

    third = make.user()
    with app.app_context():
        follows.follow(_user(third), db.session.get(Project, world.project.id))
        follows.follow(_user(third), db.session.get(Discussion, world.thread.id), "mute")
        db.session.commit()
    make.comment(world.thread, world.volunteer, f"@{third.username} see this")
    _deliver(app, clock)
    assert _told(app, third) == []


def _five_replies(app, make, world, clock) -> None:
    _follow(app, world.volunteer, lambda: db.session.get(Discussion, world.thread.id))
    for n in range(5):
        make.comment(world.thread, world.other, f"Reply {n}")
        clock.advance(minutes=1)
    _deliver(app, clock)


def _unread(app, person) -> int:
    with app.app_context():
        return inbox.unread_count(_user(person))


def test_the_page_consolidates_and_the_header_counts_unread(app, client, make, world, clock):
    _five_replies(app, make, world, clock)
    login(client, "vol")
    html = client.get("/notifications").get_data(as_text=True)
    assert "5 new replies in “Odd #fern”" in html
    assert html.count('<li class="unread">') == 1
    assert re.search(r'data-unread="5"', client.get("/").get_data(as_text=True))


def test_mark_one_group_and_all_read_and_emailed_at_stays(app, client, make, world, clock):
    _five_replies(app, make, world, clock)
    make.comment(world.thread, world.other, "@vol you")
    _deliver(app, clock)
    with app.app_context():
        mine = Notification.user_id == world.volunteer.id
        rows = list(db.session.scalars(select(Notification).where(mine).order_by(Notification.id)))
        inbox.mark_emailed([rows[0].id], clock())
        db.session.commit()
        replies = [n.id for n in rows if n.kind == "followed_reply"]
    login(client, "vol")
    token = csrf_token(client, "/notifications")
    data = {"csrf_token": token, "ids": [str(i) for i in replies]}
    assert client.post("/notifications/read", data=data).status_code == 302
    assert _unread(app, world.volunteer) == 1
    assert (
        client.post("/notifications/read", data={"csrf_token": token, "ids": "x"}).status_code
        == 422
    )
    client.post("/notifications/read", data={"csrf_token": token, "all": "1"})
    assert _unread(app, world.volunteer) == 0
    with app.app_context():
        emailed = list(
            db.session.scalars(
                select(Notification.emailed_at).where(mine).order_by(Notification.id)
            )
        )
    assert emailed[0] == clock() and emailed[1:] == [None] * 5


def test_opening_the_discussion_marks_its_notifications_read(app, client, make, world, clock):
    _five_replies(app, make, world, clock)
    login(client, "vol")
    assert _unread(app, world.volunteer) == 5
    assert client.get(f"/discussions/{world.thread.id}").status_code == 200
    assert _unread(app, world.volunteer) == 0
    with app.app_context():
        assert inbox.due_for_email()  # reading is not emailing


def test_the_api_lists_filters_and_marks_read(app, client, make, world, clock, token):
    _five_replies(app, make, world, clock)
    headers = token(world.volunteer)
    body = client.get("/api/v1/notifications?unread=true&limit=2", headers=headers).get_json()
    assert [row["kind"] for row in body["data"]] == ["followed_reply"] * 2
    first = body["data"][0]
    assert first["project"] == "herbarium"
    assert first["target"]["discussion_id"] == world.thread.id
    assert first["url"].startswith("http") and "/comments/" in first["url"]
    assert body["next_cursor"]
    answer = client.post("/api/v1/notifications/read", json={"ids": [first["id"]]}, headers=headers)
    assert answer.get_json() == {"marked": 1}
    unread = client.get("/api/v1/notifications?unread=true", headers=headers).get_json()
    assert len(unread["data"]) == 4
    assert client.post("/api/v1/notifications/read", json={}, headers=headers).status_code == 422
    others = token(world.other)
    assert client.post(
        "/api/v1/notifications/read", json={"ids": [first["id"] + 1]}, headers=others
    ).get_json() == {"marked": 0}
    client.post("/api/v1/notifications/read", json={"all": True}, headers=headers)
    assert client.get("/api/v1/notifications?unread=true", headers=headers).get_json()["data"] == []
    assert client.get("/api/v1/notifications").status_code == 401


def test_posting_costs_the_request_the_same_queries_with_many_followers(
    app, client, make, world, count_queries
):
    quiet = make.discussion(world.project, world.volunteer, title="Quiet")
    busy = make.discussion(world.project, world.volunteer, title="Busy")
    fans = [make.user() for _ in range(30)]
    with app.app_context():
        for fan in fans:
            follows.follow(_user(fan), db.session.get(Discussion, busy.id))
        db.session.commit()
    login(client, "other")
    token = csrf_token(client, f"/discussions/{quiet.id}")
    counts = []
    for thread in (quiet, busy):
        with count_queries() as queries:
            response = client.post(
                f"/discussions/{thread.id}", data={"csrf_token": token, "body": "Hello"}
            )
        assert response.status_code == 302
        counts.append(queries.count)
    assert counts[0] == counts[1]


def test_an_edit_tells_only_whom_it_newly_mentions(app, make, world, clock):
    _follow(app, world.volunteer, lambda: db.session.get(Discussion, world.thread.id))
    comment = make.comment(world.thread, world.other, "Hmm")
    _deliver(app, clock)
    with app.app_context():
        stored = db.session.get(Comment, comment.id)
        discussions.edit_comment(_user(world.other), stored, "Hmm, @vol?")
        discussions.edit_comment(_user(world.other), stored, "Hmm, @vol? Fronds.")
        db.session.commit()
    _deliver(app, clock)
    assert _told(app, world.volunteer) == [("followed_reply", ""), ("mention", "")]


def test_a_claimed_event_waits_for_its_lease(app, make, world, clock):
    _follow(app, world.volunteer, lambda: db.session.get(Discussion, world.thread.id))
    make.comment(world.thread, world.other, "Claimed")
    with app.app_context():
        assert len(inbox.claim_events("dead-worker", 10, now=clock())) == 1
        assert inbox.claim_events("live-worker", 10, now=clock()) == []
        assert inbox.deliver_events("live-worker", now=clock()) == 0
        later = clock.advance(seconds=inbox.EVENT_LEASE.total_seconds() + 1)
        assert inbox.deliver_events("live-worker", now=later) == 1
    assert _told(app, world.volunteer) == [("followed_reply", "")]


def _unread_kinds(app, person) -> list[str]:
    with app.app_context():
        unread = (Notification.user_id == person.id, Notification.read_at.is_(None))
        return sorted(db.session.scalars(select(Notification.kind).where(*unread)))


def test_opening_the_item_reads_its_verdicts_and_the_project_home_its_welcome(
    app, client, make, world, clock, count_queries
):
    make.comment(world.thread, world.volunteer, "I agree")
    make.grant(world.project, world.volunteer, "team")
    expert = make.member(world.project, "expert")
    elsewhere = make.item(world.project)
    _deliver(app, clock)
    _verify_fern(app, expert, world)
    _deliver(app, clock)
    login(client, "vol")
    items = "/projects/herbarium/items"
    assert _unread_kinds(app, world.volunteer) == ["verdict", "welcome"]
    assert client.get(f"{items}/{elsewhere.external_id}").status_code == 200
    assert _unread_kinds(app, world.volunteer) == ["verdict", "welcome"]  # not that item
    assert client.get(f"{items}/{world.item.external_id}").status_code == 200
    assert _unread_kinds(app, world.volunteer) == ["welcome"]
    with count_queries() as queries:  # nothing unread about it: nothing written
        assert client.get(f"{items}/{world.item.external_id}").status_code == 200
    assert not [s for s in queries.statements if s.lstrip().upper().startswith("UPDATE")]
    assert client.get("/projects/herbarium").status_code == 200
    assert _unread_kinds(app, world.volunteer) == []
