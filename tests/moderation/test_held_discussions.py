"""Held discussions: a new discussion whose text a content check holds waits with its first
comment — listed, counted, found and notified nowhere, a 404 to everyone but its author and the
project's moderators — until a moderator approves that comment; rejected, it stays so. Edits
that would be held are refused, saying why."""

from __future__ import annotations

import html
import re
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from moderation.models import AuditEntry
from notifications import follows, inbox
from notifications.inbox_models import Notification
from talk import policy
from talk.clock import utcnow
from talk.errors import InvalidInput, PermissionDenied
from talk.extensions import db
from talk.models import Board, Comment, Discussion, Item, Mention, Project, TagUse, User
from talk.services import counters, discussions, held, threads
from tests.conftest import Factory, login
from tests.moderation.prevention_helpers import decide, limit, watch
from tests.talk.web.pages import squash, submit, text

API = "/api/v1"
TITLE = "Quillwortzanzibar sheet"
BODY = "Is this a scoundrel's hand? #marginalia @eleanor"


def words(response: Any) -> str:
    """A page's text as read: tags dropped, entities decoded, spacing squashed."""
    return squash(html.unescape(re.sub(r"<[^>]+>", "", text(response))))


def anonymised(response: Any, discussion_id: int) -> str:
    """``response``'s text with the id it was asked about (in a path or a message) as N."""
    return re.sub(rf"(discussions/|discussion ){discussion_id}\b", r"\1N", text(response))


def notified(make: Factory, user_id: int) -> list[tuple[str, str]]:
    """What ``user_id`` was told, once the worker fanned out the events written so far."""
    with make.context():
        inbox.deliver_events("test-worker", now=utcnow())
    with make.context():
        return [
            (n.kind, n.text)
            for n in db.session.scalars(
                select(Notification)
                .where(Notification.user_id == user_id)
                .order_by(Notification.id)
            )
        ]


def world(make: Factory) -> SimpleNamespace:
    """A project holding the watched word "scoundrel", its moderator, an item followed by
    ``fan`` (and its board by ``board_fan``), the volunteer ``vol`` and another, ``eleanor``."""
    project = make.project("asylum")
    moderator = make.member(project, "moderator", username="mod")
    volunteer = make.user("vol")
    other = make.user("eleanor")
    fan, board_fan = make.user("fan"), make.user("boardfan")
    (item,) = make.items(project)
    watch(make, project, "scoundrel", action="hold", category="insults")
    with make.context():
        follows.follow(db.session.get(User, fan.id), db.session.get(Item, item.id))
        items_board = policy.items_board(db.session.get(Project, project.id))
        follows.follow(db.session.get(User, board_fan.id), items_board)
    return SimpleNamespace(
        project=project,
        moderator=moderator,
        volunteer=volunteer,
        other=other,
        fan=fan,
        board_fan=board_fan,
        item=item,
    )


def start(make: Factory, w: SimpleNamespace, title: str = TITLE, body: str = BODY) -> Any:
    """Start a discussion on ``w``'s item as ``vol``: its snapshot with its first comment."""
    with make.context():
        discussion = discussions.start_discussion(
            db.session.get(User, w.volunteer.id),
            policy.items_board(db.session.get(Project, w.project.id)),
            title,
            body,
            item=db.session.get(Item, w.item.id),
        )
        opening = held.opening_comment(discussion)
        assert opening is not None
        return SimpleNamespace(
            id=discussion.id,
            held=discussion.is_held,
            comment_id=opening.id,
            comment=SimpleNamespace(
                is_held=opening.is_held,
                is_hidden=opening.is_hidden,
                hidden_reason=opening.hidden_reason,
            ),
        )


def counts(make: Factory, w: SimpleNamespace) -> tuple[int, int, int]:
    """Discussions counted on the project, its items board and the item; every counter exact."""
    with make.context():
        assert counters.counter_mismatches() == []
        project = db.session.get(Project, w.project.id)
        return (
            project.discussion_count,
            policy.items_board(project).discussion_count,
            db.session.get(Item, w.item.id).discussion_count,
        )


def seen_in_lists(client, w: SimpleNamespace, discussion_id: int) -> dict[str, bool]:
    """Whether discussion ``discussion_id`` shows in each list a viewer of ``client`` reads."""
    slug, external_id = w.project.slug, w.item.external_id
    with client.application.app_context():
        items_board = policy.items_board(db.session.get(Project, w.project.id)).id
    link = f"/discussions/{discussion_id}"
    pages = {
        "project page": f"/projects/{slug}",
        "item page": f"/projects/{slug}/items/{external_id}",
        "items board": f"/projects/{slug}/boards/{items_board}",
        "search page": f"/search?q=quillwortzanzibar&project={slug}",
    }
    seen = {name: link in text(client.get(url)) for name, url in pages.items()}
    apis = {
        "board API": f"{API}/boards/{items_board}/discussions",
        "item API": f"{API}/projects/{slug}/items/{external_id}/discussions",
    }
    for name, url in apis.items():
        rows = client.get(url).get_json()["data"]
        seen[name] = discussion_id in [row["id"] for row in rows]
    found = client.get(f"{API}/search", query_string={"q": "quillwortzanzibar", "project": slug})
    seen["search API"] = bool(found.get_json()["data"])
    return seen


def test_a_held_word_holds_a_new_discussion_unseen_uncounted_unnotified(
    app, client, make: Factory, token
) -> None:
    w = world(make)
    before = counts(make, w)
    started = start(make, w)
    assert started.held
    assert started.comment.is_held and started.comment.is_hidden
    assert "insults" in started.comment.hidden_reason
    assert counts(make, w) == before
    with make.context():
        assert db.session.scalars(select(Mention)).all() == []
        assert db.session.scalars(select(TagUse)).all() == []
    assert notified(make, w.fan.id) == []
    assert notified(make, w.board_fan.id) == []
    assert notified(make, w.other.id) == []  # mentioned, but nobody is told of a held post
    # the moderators are told that a new discussion, not a reply, waits for them
    assert (
        "notice",
        f"A new discussion by {w.volunteer.display_name}, “{TITLE}”, waits for a moderator's "
        "approval.",
    ) in notified(make, w.moderator.id)

    anonymous = app.test_client()
    assert not any(seen_in_lists(anonymous, w, started.id).values())
    other = app.test_client()
    login(other, "eleanor")
    assert not any(seen_in_lists(other, w, started.id).values())

    # its address is a 404 to them, exactly as an id that does not exist
    missing = 999_999
    for viewer in (anonymous, other):
        for path in (
            "/discussions/{}",
            f"{API}/discussions/{{}}",
            f"{API}/discussions/{{}}/comments",
        ):
            held_answer = viewer.get(path.format(started.id))
            none_answer = viewer.get(path.format(missing))
            assert held_answer.status_code == none_answer.status_code == 404
            assert anonymised(held_answer, started.id) == anonymised(none_answer, missing)
        comment = viewer.get(f"{API}/comments/{started.comment_id}")
        assert comment.status_code == 404
        assert viewer.get(f"/comments/{started.comment_id}").status_code == 404
    # nor can they reply to it, through any door
    response = app.test_client().post(
        f"{API}/discussions/{started.id}/comments", json={"body": "Hi"}, headers=token(w.other)
    )
    assert response.status_code == 404
    assert submit(other, "/", f"/discussions/{started.id}", body="Hi").status_code == 404

    # its author sees it, with the notice, and cannot reply (nobody would read it)
    login(client, "vol")
    page = words(client.get(f"/discussions/{started.id}"))
    assert "Waiting for a moderator:" in page and "insults" in page
    assert "Only you and the project's moderators see this discussion" in page
    assert "scoundrel's hand" in page
    assert "Replies open once a moderator approves this discussion." in page
    assert 'name="body"' not in text(client.get(f"/discussions/{started.id}"))
    assert seen_in_lists(client, w, started.id) == dict.fromkeys(
        seen_in_lists(anonymous, w, started.id), False
    )  # listed nowhere, even for its author
    with make.context():
        author = db.session.get(User, w.volunteer.id)
        row = db.session.get(Discussion, started.id)
        assert policy.may(author, "discussion.read", row)
        assert not policy.may(author, "discussion.reply", row)


def test_the_projects_moderators_and_site_admins_see_it_others_not(app, make: Factory) -> None:
    w = world(make)
    started = start(make, w)
    elsewhere = make.member(make.project(), "moderator")
    site_admin = make.user(site_admin=True)
    team = make.member(w.project, "team")
    with make.context():
        row = db.session.get(Discussion, started.id)
        for person, may_read in (
            (w.moderator, True),
            (site_admin, True),
            (w.volunteer, True),
            (w.other, False),
            (team, False),
            (elsewhere, False),
        ):
            user = db.session.get(User, person.id)
            assert policy.may(user, "discussion.read", row) is may_read, person.username
        assert not policy.may(policy.ANONYMOUS, "discussion.read", row)


def test_approving_lists_counts_indexes_and_notifies_once(app, client, make: Factory) -> None:
    w = world(make)
    before = counts(make, w)
    started = start(make, w)
    assert notified(make, w.fan.id) == []
    decide(make, w.moderator, started.comment_id)
    project_count, board_count, item_count = counts(make, w)
    assert (project_count, board_count, item_count) == tuple(n + 1 for n in before)
    with make.context():
        discussion = db.session.get(Discussion, started.id)
        comment = db.session.get(Comment, started.comment_id)
        assert not discussion.is_held and discussion.comment_count == 1
        assert comment.is_visible and not comment.is_held
        assert [m.user_id for m in db.session.scalars(select(Mention))] == [w.other.id]
        assert len(db.session.scalars(select(TagUse)).all()) == 1
    fan_told = notified(make, w.fan.id)
    assert [kind for kind, _ in fan_told] == ["new_discussion"]
    assert [kind for kind, _ in notified(make, w.board_fan.id)] == ["new_discussion"]
    assert [kind for kind, _ in notified(make, w.other.id)] == ["mention"]
    assert ("notice", f"A moderator approved your comment in “{TITLE}”.") in notified(
        make, w.volunteer.id
    )
    assert notified(make, w.fan.id) == fan_told  # once: nothing more on a later run

    anonymous = app.test_client()
    assert all(seen_in_lists(anonymous, w, started.id).values())
    page = words(anonymous.get(f"/discussions/{started.id}"))
    assert "scoundrel's hand" in page and "Waiting for a moderator" not in page
    login(client, "vol")  # its author may reply now
    assert 'name="body"' in text(client.get(f"/discussions/{started.id}"))

    with make.context():
        entries = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.target_id == started.comment_id)
        ).all()
        assert entries == ["comment.hold", "comment.approve"]
    with pytest.raises(PermissionDenied):  # decided once
        decide(make, w.moderator, started.comment_id)


def test_rejecting_keeps_it_unlisted_and_nobody_is_ever_notified(
    app, client, make: Factory
) -> None:
    w = world(make)
    before = counts(make, w)
    started = start(make, w)
    decide(make, w.moderator, started.comment_id, reason="Personal attack")
    assert counts(make, w) == before
    assert notified(make, w.fan.id) == []
    assert notified(make, w.board_fan.id) == []
    assert notified(make, w.other.id) == []
    assert any("Personal attack" in said for _, said in notified(make, w.volunteer.id))

    anonymous = app.test_client()
    assert not any(seen_in_lists(anonymous, w, started.id).values())
    assert anonymous.get(f"/discussions/{started.id}").status_code == 404
    assert anonymous.get(f"{API}/discussions/{started.id}").status_code == 404

    login(client, "vol")
    page = words(client.get(f"/discussions/{started.id}"))
    assert "A moderator did not approve this discussion: Personal attack" in page
    assert "scoundrel's hand" in page
    detail = client.get(f"{API}/discussions/{started.id}").get_json()
    assert detail["held"] is True and detail["held_reason"] == "Personal attack"

    with make.context():  # showing the comment again cannot list it behind the queue's back
        moderator = db.session.get(User, w.moderator.id)
        comment = db.session.get(Comment, started.comment_id)
        assert not policy.may(moderator, "comment.unhide", comment)
        assert not policy.may(moderator, "comment.approve", comment)
    assert counts(make, w) == before
    assert notified(make, w.fan.id) == []


def test_nothing_is_done_to_a_held_discussion_but_approving_it(app, make: Factory) -> None:
    w = world(make)
    started = start(make, w)
    kept = make.discussion(w.project, w.other)
    before = counts(make, w)
    with make.context():
        moderator = db.session.get(User, w.moderator.id)
        author = db.session.get(User, w.volunteer.id)
        row = db.session.get(Discussion, started.id)
        for action in ("discussion.lock", "discussion.pin", "discussion.move", "discussion.merge"):
            assert not policy.may(moderator, action, row), action
        with pytest.raises(PermissionDenied):
            threads.merge_discussions(moderator, row, db.session.get(Discussion, kept.id))
        with pytest.raises(PermissionDenied):
            discussions.post_comment(author, row, "Anyone?")
        with pytest.raises(PermissionDenied):
            discussions.post_comment(moderator, row, "A moderator's word")
    assert counts(make, w) == before


def test_withdrawing_the_first_comment_leaves_the_queue(app, make: Factory) -> None:
    w = world(make)
    before = counts(make, w)
    started = start(make, w)
    with make.context():
        discussions.delete_comment(
            db.session.get(User, w.volunteer.id), db.session.get(Comment, started.comment_id)
        )
        project = db.session.get(Project, w.project.id)
        assert held.held_comments(project) == []
    assert counts(make, w) == before
    assert notified(make, w.fan.id) == []


def test_a_new_volunteers_first_discussion_waits_through_the_page(
    app, client, make: Factory
) -> None:
    project = make.project("asylum")
    make.member(project, "moderator", username="mod")
    volunteer = make.user("vol")
    board = project.boards["Chat"]
    limit(make, project, held_comments=1)
    login(client, "vol")
    form = f"/projects/{project.slug}/boards/{board.id}/new"
    response = submit(client, form, title="Hello from a new volunteer", body="My first words")
    assert response.status_code == 302
    landing = client.get(response.headers["Location"])
    assert landing.status_code == 200
    page = words(landing)
    assert "Your discussion is waiting for a moderator" in page
    assert "Waiting for a moderator:" in page
    assert "A new volunteer's first comments are reviewed by a moderator." in page
    with make.context():
        row = db.session.scalars(
            select(Discussion).where(Discussion.author_id == volunteer.id)
        ).one()
        assert row.is_held
        assert db.session.get(Board, board.id).discussion_count == 0
    assert "Hello from a new volunteer" not in text(
        app.test_client().get(f"/projects/{project.slug}/boards/{board.id}")
    )


def test_the_api_answers_201_with_held_and_the_reason(app, client, make: Factory, token) -> None:
    w = world(make)
    headers = token(w.volunteer)
    response = client.post(
        f"{API}/projects/{w.project.slug}/items/{w.item.external_id}/discussions",
        json={"title": TITLE, "body": "You scoundrel"},
        headers=headers,
    )
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["held"] is True
    assert "insults" in created["held_reason"]
    assert created["comment_count"] == 0
    comments = client.get(created["comments_url"], headers=headers).get_json()["data"]
    assert [(c["held"], c["body"]) for c in comments] == [(True, "You scoundrel")]
    assert "insults" in comments[0]["held_reason"]
    # an ordinary one says it is not held
    plain = client.post(
        f"{API}/boards/{w.project.boards['Chat'].id}/discussions",
        json={"title": "Plain", "body": "Nothing to see"},
        headers=headers,
    ).get_json()
    assert plain["held"] is False and plain["held_reason"] is None


def test_the_held_queue_names_a_new_discussion(app, client, make: Factory, token) -> None:
    w = world(make)
    started = start(make, w)
    login(client, "mod")
    queue = squash(text(client.get(f"/projects/{w.project.slug}/moderation/held")))
    assert f'New discussion by vol: <a href="/comments/{started.comment_id}">{TITLE}</a>' in queue
    rows = client.get(
        f"{API}/projects/{w.project.slug}/moderation/held", headers=token(w.moderator)
    ).get_json()["data"]
    assert [(r["id"], r["discussion_title"], r["opens_discussion"]) for r in rows] == [
        (started.comment_id, TITLE, True)
    ]
    page = words(client.get(f"/discussions/{started.id}"))
    assert "Held for approval: It uses words in the category “insults”" in page
    assert "approving its first comment lists it" in page
    assert f"/comments/{started.comment_id}/approve" in text(
        client.get(f"/discussions/{started.id}")
    )
    # approving from the queue page lists it
    response = submit(
        client,
        f"/projects/{w.project.slug}/moderation/held",
        f"/comments/{started.comment_id}/approve",
    )
    assert response.status_code == 302
    assert f"/discussions/{started.id}" in text(
        app.test_client().get(f"/projects/{w.project.slug}")
    )


def test_an_edit_that_would_be_held_is_refused_saying_why(app, client, make: Factory) -> None:
    project = make.project()
    volunteer = make.user("vol")
    thread = make.discussion(project, volunteer)
    watch(make, project, "scoundrel", action="hold", category="insults")
    with make.context(), pytest.raises(InvalidInput) as refused:
        discussions.edit_comment(
            db.session.get(User, volunteer.id),
            db.session.get(Comment, thread.first_comment_id),
            "Now a scoundrel",
        )
    message = refused.value.message
    assert message.startswith("This edit was not saved: it uses words in the category “insults”")
    assert "your comment stays as it was" in message
    assert "scoundrel" not in message
    with make.context():
        assert db.session.get(Comment, thread.first_comment_id).body == "What is this?"
    login(client, "vol")
    edit = f"/comments/{thread.first_comment_id}/edit"
    response = submit(client, edit, body="Now a scoundrel")
    assert response.status_code == 422
    assert "An edit cannot wait for a moderator" in words(response)
