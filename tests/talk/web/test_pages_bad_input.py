"""Odd input in URLs, cursors and forms gets a clear 4xx page, never a 500, on every engine."""

import base64
import json

import pytest

from tests.conftest import login
from tests.talk.web.pages import outline, submit


def forged(values):
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.fixture
def site(make):
    project = make.project("herbarium")
    make.item(project)
    discussion = make.discussion(project, make.user("vol"))
    return project, discussion


@pytest.mark.parametrize(
    "path",
    [
        "/discussions/99999999999999999999",
        "/comments/99999999999999999999",
        "/comments/9999999999/edit",
        "/comments/9999999999/history",
        "/projects/herbarium/boards/99999999999999999999",
        "/projects/%00",
        "/projects/herbarium/items/a%00b",
        "/projects/herbarium/new-discussion/a%00",
        "/users/a%00",
        "/projects/" + "x" * 300,
        "/users/" + "x" * 300,
        "/projects/herbarium/items/" + "x" * 3000,
    ],
)
def test_urls_naming_nothing_are_404(client, site, path):
    login(client, "vol")
    response = client.get(path)
    assert response.status_code == 404
    assert len(outline(response).find("h1")) == 1


@pytest.mark.parametrize(
    ("page", "cursor"),
    [
        ("index", "%%%"),
        ("index", forged(["a\u0000", 1])),
        ("board", forged(["2026-03-14T12:00:00", 5])),
        ("board", forged(["9999-12-31T23:59:59-14:00", 5])),
        ("board", forged(["2026-03-14T12:00:00+00:00", 99999999999999])),
        ("board", forged(["2026-03-14T12:00:00+00:00"])),
        ("board", forged([True, 5])),
        ("discussion", forged([-99999999999999999999])),
        ("discussion", forged(["1"])),
        ("discussion", forged({"id": 1})),
        ("items", "bm90IGpzb24"),
    ],
)
def test_forged_cursors_are_422(client, site, page, cursor):
    project, discussion = site
    path = {
        "index": "/",
        "board": f"/projects/herbarium/boards/{project.boards['Chat'].id}",
        "discussion": f"/discussions/{discussion.id}",
        "items": "/projects/herbarium/items",
    }[page]
    response = client.get(f"{path}?cursor={cursor}")
    assert response.status_code == 422
    assert "cursor is not valid" in response.get_data(as_text=True)


def test_huge_or_nul_form_values_are_refused(client, site):
    _, discussion = site
    login(client, "vol")
    thread = f"/discussions/{discussion.id}"
    assert client.get(f"{thread}?reply_to=99999999999").status_code == 422
    assert client.get(f"{thread}?reply_to=%C2%B2").status_code == 422
    assert submit(client, thread, body="x", reply_to="99999999999999999999").status_code == 422
    assert submit(client, thread, body="x\x00y").status_code == 422
    assert submit(client, "/login", login="vol\x00", password="x").status_code == 422
    registered = submit(
        client,
        "/register",
        username="a\x00b",
        email="b@example.org",
        password="p\x00" * 5,
        confirm="p\x00" * 5,
    )
    assert registered.status_code == 422


@pytest.mark.parametrize("digits", ["٣", "３", " 1", "+1", "1_0"])
def test_a_reply_to_not_written_in_digits_0_to_9_is_refused(app, client, site, digits):
    from sqlalchemy import func, select

    from talk.extensions import db
    from talk.models import Comment

    _, discussion = site
    login(client, "vol")
    thread = f"/discussions/{discussion.id}"
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Comment))
    response = submit(client, thread, body="An answer", reply_to=digits)
    assert response.status_code == 422
    assert "digits 0–9" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Comment)) == before
