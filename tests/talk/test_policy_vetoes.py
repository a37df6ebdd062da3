"""Vetoes and content checks: how other packages refuse writes without the core importing them.

A veto is asked about every rule not declared ``read=True`` (reads are never vetoed); a content
check sees every place user text enters, with the kind of write and its target.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from talk import policy
from talk.errors import InvalidInput, PermissionDenied
from talk.extensions import db
from talk.models import Board, Comment, Discussion, PendingRegistration, User
from tests.conftest import csrf_token, login

API = "/api/v1"


@pytest.fixture
def veto() -> Iterator[Callable[[Any], None]]:
    """``veto(fn)`` registers ``fn`` for this test only."""
    added: list[Any] = []

    def register(fn: Any) -> None:
        added.append(policy.register_veto(fn))

    yield register
    for fn in added:
        policy._VETOES.remove(fn)


@pytest.fixture
def content_check() -> Iterator[list[tuple[str, str, int | None, str]]]:
    """Refuses any text containing "forbidden"; records (kind, target's type and id, text) of
    every check."""
    seen: list[tuple[str, str, int | None, str]] = []

    def check(actor: Any, kind: str, target: Any, text: str) -> None:
        seen.append((kind, type(target).__name__, getattr(target, "id", None), text))
        if "forbidden" in text:
            raise InvalidInput("That word is not allowed here.", {"body": ["Watched word."]})

    policy.register_content_check(check)
    yield seen
    policy._CONTENT_CHECKS.remove(check)


@pytest.fixture
def fake_rules() -> Iterator[None]:
    policy.rule("test.write")(lambda user, target: True)
    policy.rule("test.read", read=True)(lambda user, target: True)
    yield
    for name in ("test.write", "test.read"):
        policy._RULES.pop(name)
        policy._READ_RULES.discard(name)


def test_a_veto_refuses_write_rules_with_its_reason_and_never_reads(
    app: Any, veto: Any, fake_rules: None
) -> None:
    asked: list[tuple[Any, str, Any]] = []

    def suspended(actor: Any, action: str, target: Any) -> str | None:
        asked.append((actor, action, target))
        return "You are suspended until 1 April."

    veto(suspended)
    with app.app_context():
        assert policy.may(policy.OPERATOR, "test.read", "t")
        assert not policy.may(policy.OPERATOR, "test.write", "t")
        assert (
            policy.refusal(policy.OPERATOR, "test.write", "t") == "You are suspended until 1 April."
        )
        assert policy.refusal(policy.OPERATOR, "test.read", "t") is None
        with pytest.raises(PermissionDenied, match="suspended until 1 April"):
            policy.require(policy.OPERATOR, "test.write", "t")
        policy.require(policy.OPERATOR, "test.read", "t")
    assert {action for _, action, _ in asked} == {"test.write"}
    assert asked[0] == (policy.OPERATOR, "test.write", "t")


def test_a_veto_is_not_asked_when_the_rule_already_refuses(app: Any, make: Any, veto: Any) -> None:
    project = make.project()
    volunteer = make.user()
    asked: list[str] = []
    veto(lambda actor, action, target: asked.append(action))  # returns None: allows
    with app.app_context():
        from talk.models import Project

        user = db.session.get(User, volunteer.id)
        stored = db.session.get(Project, project.id)
        assert not policy.may(user, "project.manage", stored)
        assert policy.may(user, "tag_group.create", stored)
    assert asked == ["tag_group.create"]


def test_only_reading_rules_escape_the_vetoes() -> None:
    reads = {name for name in policy.rule_names() if name in policy._READ_RULES}
    assert reads <= {
        "members.view",
        "board.read",
        "discussion.read",
        "comment.read_hidden",
        "comment.read_held",  # an author still sees their own comment waiting for approval
        "comment.read_history",
        "token.manage",  # listing and revoking one's own tokens: no veto may keep a token alive
        "account.settings",  # one's own password and address: no veto keeps an account unsafe
        "follows.manage",  # listing and undoing one's own follows and mutes (notifications)
        "user.mute",  # muting a person is a safety tool: no veto may keep anyone from it
        "user.block",  # so is blocking one (talk.services.blocks)
        "notifications.read",  # reading and marking read one's own notifications
        "email.manage",  # one's own email choices and log: no veto keeps mail coming
        "updates.answer",  # one's own consent to a project's updates: no veto keeps them coming
        "moderation.person.view",  # a person's moderation page: moderators reading
        "moderation.appeals.view",  # a project's appeals: moderators reading
        "bans.view",  # the site's bans in force: site admins reading
        "content_warning.acknowledge",  # having read a warning: no veto keeps a record blurred
        "workflow.review",  # reading the staff's review list (moderation)
        "moderation.queue",  # reading a project's cases (acting on one, case.act, is a write)
        "moderation.audit",  # reading a project's audit log
        "case.read",  # reading one case
        "newsletter.read",  # a sent update is public; a draft is its composers' (notifications)
    }
    writes = set(policy.rule_names()) - reads
    assert {
        "account.register",
        "board.start_discussion",
        "item.start_discussion",
        "discussion.reply",
        "comment.edit",
        "comment.delete",
        "items.register",
        "tags.curate",
        "tags.verify",
        "tag_group.create",
        "members.manage",
    } <= writes


def _suspend(username: str) -> Callable[[Any, str, Any], str | None]:
    def suspended(actor: Any, action: str, target: Any) -> str | None:
        if getattr(actor, "username", None) == username:
            return f"{username} is suspended from this project until 1 April."
        return None

    return suspended


def test_a_vetoed_reply_is_refused_on_the_api_and_the_page_and_changes_nothing(
    app: Any, client: Any, make: Any, token: Any, veto: Any
) -> None:
    project = make.project()
    author = make.user("author")
    troll = make.user("troll")
    discussion = make.discussion(project, author)
    item = make.item(project)
    veto(_suspend("troll"))

    response = client.post(
        f"{API}/discussions/{discussion.id}/comments", json={"body": "hi"}, headers=token(troll)
    )
    assert response.status_code == 403
    assert "suspended from this project until 1 April" in response.get_json()["error"]["message"]
    ok = client.post(
        f"{API}/discussions/{discussion.id}/comments", json={"body": "hi"}, headers=token(author)
    )
    assert ok.status_code == 201

    login(client, "troll")
    for path in (
        f"/projects/{project.slug}",
        f"/projects/{project.slug}/boards/{discussion.board_id}",
    ):
        shown = client.get(path)
        assert shown.status_code == 200
    board_page = client.get(f"/projects/{project.slug}/boards/{discussion.board_id}")
    assert "suspended from this project until 1 April" in board_page.get_data(as_text=True)
    assert "Start a discussion" not in board_page.get_data(as_text=True)
    item_page = client.get(f"/projects/{project.slug}/items/{item.external_id}")
    assert "suspended from this project until 1 April" in item_page.get_data(as_text=True)
    assert "Start a new discussion" not in item_page.get_data(as_text=True)
    page = client.get(f"/discussions/{discussion.id}")
    assert page.status_code == 200  # reading is never vetoed
    html = page.get_data(as_text=True)
    assert "suspended from this project until 1 April" in html
    assert "Post reply" not in html
    posted = client.post(
        f"/discussions/{discussion.id}",
        data={
            "body": "let me in",
            "csrf_token": csrf_token(client, f"/discussions/{discussion.id}"),
        },
    )
    assert posted.status_code == 403
    with app.app_context():
        bodies = db.session.scalars(
            select(Comment.body).where(Comment.discussion_id == discussion.id)
        ).all()
    assert sorted(bodies) == ["What is this?", "hi"]


def test_content_checks_see_comments_discussions_and_registrations(
    app: Any, client: Any, make: Any, token: Any, content_check: list[Any]
) -> None:
    project = make.project()
    author = make.user("author")
    item = make.item(project)
    headers = token(author)
    with app.app_context():
        board_id = db.session.scalar(select(Board.id).where(Board.title == "Chat"))

    made = make.discussion(project, author, item=item, title="Leaf", body="What leaf?")
    assert content_check[-1] == ("discussion", "Item", item.id, "Leaf\nWhat leaf?")
    make.discussion(project, author, title="Hello", body="General")
    assert content_check[-1] == ("discussion", "Board", board_id, "Hello\nGeneral")

    url = f"{API}/discussions/{made.id}/comments"
    refused = client.post(url, json={"body": "a forbidden word"}, headers=headers)
    assert refused.status_code == 422
    assert refused.get_json()["error"]["message"] == "That word is not allowed here."
    assert content_check[-1] == ("comment", "Discussion", made.id, "a forbidden word")

    created = client.post(url, json={"body": "fine"}, headers=headers).get_json()
    edit = client.patch(
        f"{API}/comments/{created['id']}", json={"body": "now forbidden"}, headers=headers
    )
    assert edit.status_code == 422
    assert content_check[-1] == ("comment", "Comment", created["id"], "now forbidden")

    start = client.post(
        f"{API}/projects/{project.slug}/items/{item.external_id}/discussions",
        json={"title": "forbidden title", "body": "ok"},
        headers=headers,
    )
    assert start.status_code == 422

    form = {
        "username": "forbidden",
        "email": "new@example.org",
        "password": "long enough pw",
        "confirm": "long enough pw",
        "csrf_token": csrf_token(client, "/register"),
    }
    registered = client.post("/register", data=form)
    assert registered.status_code == 422
    assert "That word is not allowed here." in registered.get_data(as_text=True)
    assert content_check[-1] == ("registration", "str", None, "forbidden\nforbidden")

    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).select_from(User).where(User.username == "forbidden")
            )
            == 0
        )
        assert db.session.get(Comment, created["id"]).body == "fine"
        assert db.session.scalar(select(func.count()).select_from(Discussion)) == 2
        bodies = db.session.scalars(select(Comment.body)).all()
    assert not any("forbidden" in body for body in bodies)


def test_a_veto_closes_sign_ups_with_its_reason_or_refuses_one_address(
    app: Any, client: Any, veto: Any
) -> None:
    closed = {"on": True}

    def sign_ups(actor: Any, action: str, target: Any) -> str | None:
        if action != "account.register":
            return None
        if closed["on"]:
            return "Sign-ups are closed until the new season."
        if str(target).endswith("@spam.example"):
            return "Addresses at spam.example cannot register."
        return None

    veto(sign_ups)

    def register(username: str, email: str) -> Any:
        form = {
            "username": username,
            "email": email,
            "password": "long enough pw",
            "confirm": "long enough pw",
            "csrf_token": csrf_token(client, "/register"),
        }
        return client.post("/register", data=form)

    refused = register("ada", "ada@example.org")
    assert refused.status_code == 403  # not a redirect to log in
    assert "Sign-ups are closed until the new season." in refused.get_data(as_text=True)
    closed["on"] = False
    spam = register("bot", "Bot@SPAM.example")
    assert spam.status_code == 403
    assert "Addresses at spam.example cannot register." in spam.get_data(as_text=True)
    welcome = register("ada", "ada@example.org")
    assert welcome.status_code == 200  # "check your email": the account waits for the link
    with app.app_context():
        usernames = db.session.scalars(select(PendingRegistration.username)).all()
    assert usernames == ["ada"]
