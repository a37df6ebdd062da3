"""The moderators' thread actions as pages: what a locked, pinned, merged or moderator-edited
discussion shows, and the confirmation merging and splitting ask for before acting."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from talk.extensions import db
from talk.models import Comment, Discussion
from talk.services.counters import counter_mismatches
from tests.conftest import login
from tests.talk.web.pages import outline, squash, submit, text


@pytest.fixture
def place(make: Any) -> SimpleNamespace:
    project = make.project("herbarium")
    make.member(project, "moderator", username="mod")
    volunteer = make.user("vol")
    item = make.item(project, prefix="sheet")
    thread = make.discussion(project, volunteer, item=item, title="Oak", body="An oak #oak")
    reply = make.comment(thread, make.user("writer"), "A leaf #leaf")
    chat = make.discussion(project, volunteer, title="Greetings", body="Hello")
    return SimpleNamespace(project=project, item=item, thread=thread, reply=reply, chat=chat)


def _exact(app: Any) -> None:
    with app.app_context():
        assert counter_mismatches() == []


def test_a_locked_discussion_says_so_and_takes_no_volunteers_replies(app, client, place):
    page = f"/discussions/{place.thread.id}"
    login(client, "mod")
    assert submit(client, page, f"{page}/lock", locked="1").status_code == 302
    html = squash(text(client.get(page)))
    assert "Locked by a moderator" in html and outline(client.get(page)).find("textarea")
    login(client, "vol")
    shown = client.get(page)
    assert "Locked by a moderator" in text(shown) and not outline(shown).find("textarea")
    assert "This discussion is locked by a moderator" in text(shown)
    assert submit(client, page, body="Still there?").status_code == 403
    board = client.get(f"/projects/herbarium/items/{place.item.external_id}")
    assert "Locked" in text(board)


def test_pinned_discussions_come_first_on_the_board_page(app, client, make, place):
    make.discussion(place.project, make.user(), title="Newer chat", body="Hi")
    board = f"/projects/herbarium/boards/{place.chat.board_id}"
    assert text(client.get(board)).index("Newer chat") < text(client.get(board)).index(
        ">Greetings<"
    )
    login(client, "mod")
    submit(client, f"/discussions/{place.chat.id}", f"/discussions/{place.chat.id}/pin", pinned="1")
    html = text(client.get(board))
    assert html.index(">Greetings<") < html.index("Newer chat") and "Pinned" in html


def test_merging_asks_first_then_moves_the_comments_and_redirects(app, client, place):
    login(client, "mod")
    page = f"/discussions/{place.chat.id}/merge"
    assert "Are you sure?" not in text(client.get(page))
    asked = submit(client, page, into=f"http://localhost/discussions/{place.thread.id}")
    assert asked.status_code == 200 and "Are you sure?" in text(asked)
    assert outline(asked).find("input", name="confirm", value="1")
    assert client.get(f"/discussions/{place.chat.id}").status_code == 200  # nothing changed yet
    done = submit(client, page, into=str(place.thread.id), confirm="1")
    assert done.status_code == 302
    moved = client.get(f"/discussions/{place.chat.id}")
    assert moved.status_code == 301
    assert moved.headers["Location"] == f"/discussions/{place.thread.id}"
    assert "Hello" in text(client.get(f"/discussions/{place.thread.id}"))
    late = submit(client, f"/discussions/{place.thread.id}", moved.request.path, body="Late")
    assert late.status_code == 409 and "reply there" in text(late)
    _exact(app)


def test_splitting_asks_first_then_starts_the_new_discussion(app, client, place):
    login(client, "mod")
    page = f"/discussions/{place.thread.id}/split"
    form = client.get(page)
    assert outline(form).find("input", name="comments", value=str(place.reply.id))
    assert not outline(form).find(
        "input", name="comments", value=str(place.thread.first_comment_id)
    )
    asked = submit(client, page, title="Leaves", comments=str(place.reply.id))
    assert asked.status_code == 200 and "Are you sure?" in text(asked)
    with app.app_context():
        assert db.session.get(Comment, place.reply.id).discussion_id == place.thread.id
    done = submit(client, page, title="Leaves", comments=str(place.reply.id), confirm="1")
    assert done.status_code == 302
    with app.app_context():
        split = db.session.get(Comment, place.reply.id).discussion
        assert (split.title, split.item_id) == ("Leaves", place.item.id)
    assert "A leaf" in text(client.get(done.headers["Location"]))
    _exact(app)


def test_a_moderators_edit_shows_its_note_escaped_under_the_comment(app, client, place):
    login(client, "mod")
    page = f"/comments/{place.reply.id}/moderate"
    note = "Removed an address <script>alert(1)</script>"
    assert submit(client, page, body="A leaf (tidied)", note=" ").status_code == 422
    assert submit(client, page, body="A leaf (tidied)", note=note).status_code == 302
    html = text(client.get(f"/discussions/{place.thread.id}"))
    assert "Edited by a moderator:" in html and "A leaf (tidied)" in html
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    history = text(client.get(f"/comments/{place.reply.id}/history"))
    assert "A leaf #leaf" in history or "A leaf" in history
    api = client.get(f"/api/v1/comments/{place.reply.id}").get_json()
    assert api["moderator_note"] == note


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("lock", {"locked": "2"}),
        ("pin", {}),
        ("move", {"board": "x"}),
        ("move", {"item": "no-such-item"}),
        ("merge", {"into": "not a number"}),
        ("merge", {"into": "999999"}),
        ("split", {"title": "", "comments": "1"}),
        ("split", {"title": "Apart", "comments": "999999", "confirm": "1"}),
    ],
)
def test_bad_input_is_a_clear_4xx_and_changes_nothing(app, client, place, action, data):
    login(client, "mod")
    response = submit(client, "/", f"/discussions/{place.thread.id}/{action}", **data)
    assert response.status_code in (404, 422)
    with app.app_context():
        thread = db.session.get(Discussion, place.thread.id)
        assert (thread.locked_at, thread.pinned, thread.item_id) == (None, False, place.item.id)
        assert db.session.get(Comment, place.reply.id).discussion_id == place.thread.id
