"""Blocking a person from the pages: their comments fold away for the blocker on every page
that lists comments (``<details>``, no JavaScript), for nobody else; the list in settings."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from talk.extensions import db
from talk.models import UserBlock
from tests.conftest import login
from tests.talk.web.pages import squash, submit, text

FOLDED = re.compile(
    r'<details class="blocked-comment">\s*<summary>You blocked Otto Other — show comment</summary>'
    r"(.*?)</details>",
    re.S,
)


@pytest.fixture
def world(make: Any) -> SimpleNamespace:
    """Otto and Ann reply in a thread on the herbarium's Chat board; Val reads it."""
    project = make.project("herbarium")
    make.user("val", display_name="Val Volunteer")
    otto = make.user("otto", display_name="Otto Other")
    ann = make.user("ann", display_name="Ann Archivist")
    thread = make.discussion(project, make.user("asker"), title="A fern?")
    make.comment(thread, otto, "Zanzibar quarrel, from Otto")
    make.comment(thread, ann, "Zanzibar calm, from Ann")
    return SimpleNamespace(thread=thread)


def listing_pages(world: SimpleNamespace) -> list[str]:
    """Every page that lists Otto's comment."""
    return [
        f"/discussions/{world.thread.id}",
        "/projects/herbarium/comments",
        "/users/otto",
        "/search?q=quarrel&project=herbarium",
    ]


def block_otto(client: Any) -> Any:
    return submit(client, "/users/otto", "/users/otto/block")


def test_blocked_comments_fold_on_every_page_that_lists_them(client, world):
    login(client, "val")
    assert block_otto(client).headers["Location"] == "/users/otto"
    for page in listing_pages(world):
        html = text(client.get(page))
        folded = FOLDED.findall(html)
        assert len(folded) == 1, page
        assert "from Otto" in folded[0], page  # there, one click away
        if "otto" not in page and "search" not in page:  # the pages that list Ann's too
            assert "calm, from Ann" in html and "calm, from Ann" not in folded[0], page


def test_nobody_else_sees_the_fold(app, client, world):
    login(client, "val")
    block_otto(client)
    other = app.test_client()
    login(other, "ann")
    for viewer in (other, app.test_client()):  # another person, and a visitor
        for page in listing_pages(world):
            html = text(viewer.get(page))
            assert "blocked-comment" not in html and "from Otto" in html, page


def test_unblock_from_settings_unfolds_and_the_list_empties(app, client, world):
    login(client, "val")
    block_otto(client)
    assert "You blocked Otto Other." in squash(text(client.get("/users/otto")))
    settings = text(client.get("/settings"))
    assert "People you blocked" in settings and 'action="/users/otto/unblock"' in settings
    back = submit(client, "/settings", "/users/otto/unblock", next="/settings")
    assert back.headers["Location"] == "/settings"
    assert "blocked-comment" not in text(client.get(f"/discussions/{world.thread.id}"))
    assert "Nobody." in text(client.get("/settings"))
    with app.app_context():
        assert db.session.scalars(select(UserBlock)).all() == []


def test_one_cannot_block_oneself_nobody_or_twice(app, client, world):
    login(client, "val")
    assert 'action="/users/val/block"' not in text(client.get("/users/val"))
    assert submit(client, "/users/val", "/users/val/block").status_code == 422
    assert submit(client, "/users/otto", "/users/nobody/block").status_code == 404
    block_otto(client)
    assert block_otto(client).status_code == 409
    assert submit(client, "/users/ann", "/users/ann/unblock").status_code == 404
    with app.app_context():
        assert [b.blocked_user.username for b in db.session.scalars(select(UserBlock))] == ["otto"]


def test_a_visitor_is_sent_to_log_in_and_nothing_is_blocked(app, client, world):
    assert 'action="/users/otto/block"' not in text(client.get("/users/otto"))
    response = submit(client, "/users/otto", "/users/otto/block")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    with app.app_context():
        assert db.session.scalars(select(UserBlock)).all() == []
