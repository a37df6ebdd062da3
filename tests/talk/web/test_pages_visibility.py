"""A board closed to the team stays closed: not listed, not counted, and not found — answered
exactly as for something that does not exist — and nothing leaks into lists."""

import re

import pytest

from tests.conftest import login
from tests.talk.web.pages import outline, submit, text


@pytest.fixture
def staff_room(make, make_board):
    """A project with a team-only board holding a discussion, and a public one."""
    project = make.project("herbarium")
    staff = make.member(project, "team", username="staffer")
    room = make_board(project, "Staff room", read_level="team", write_level="team")
    secret = make.discussion(
        project, staff, board="Staff room", title="Secret plans", body="Hidden words"
    )
    make.comment(secret, staff, "More hidden words")
    public = make.discussion(project, staff, board="Chat", title="Open chat", body="Open words")
    return project, room, secret, public


def visible_pages(project, secret):
    return [
        "/projects/herbarium",
        "/projects/herbarium/comments",
        "/users/staffer",
        f"/projects/herbarium/boards/{project.boards['Chat'].id}",
    ]


@pytest.mark.parametrize("viewer", ["anonymous", "volunteer"])
def test_team_board_is_hidden_from_volunteers_and_visitors(client, make, staff_room, viewer):
    project, room, secret, _ = staff_room
    if viewer == "volunteer":
        login(client, make.user("vol").username)
    for path in visible_pages(project, secret):
        html = text(client.get(path))
        assert "Open" in html, path
        for hidden in ("Secret plans", "Hidden words", "Staff room"):
            assert hidden not in html, (path, hidden)
    for private, missing in private_and_missing(room, secret):
        found = client.get(private)
        assert found.status_code == 404, private
        assert _without_ids(found) == _without_ids(client.get(missing)), private


MISSING = 999_999


def private_and_missing(room, secret):
    """Each page of the team's board, beside the same page of a board, thread or comment that
    does not exist."""
    comment = secret.first_comment_id
    return [
        (f"/projects/herbarium/boards/{room.id}", f"/projects/herbarium/boards/{MISSING}"),
        (f"/projects/herbarium/boards/{room.id}/new", f"/projects/herbarium/boards/{MISSING}/new"),
        (f"/discussions/{secret.id}", f"/discussions/{MISSING}"),
        (f"/comments/{comment}", f"/comments/{MISSING}"),
        (f"/comments/{comment}/history", f"/comments/{MISSING}/history"),
        (f"/comments/{comment}/edit", f"/comments/{MISSING}/edit"),
    ]


def _without_ids(response):
    """The page with its ids and the session's CSRF token taken out, to compare two 404s."""
    html = re.sub(r'name="csrf-token" content="[^"]*"', "", text(response))
    html = re.sub(r'name="csrf_token" (type="hidden" )?value="[^"]*"', "", html)
    return re.sub(r"\b\d+\b", "N", html)


@pytest.mark.parametrize("viewer", ["anonymous", "volunteer"])
def test_writing_to_a_team_board_is_not_found_either(client, make, staff_room, viewer):
    _, room, secret, _ = staff_room
    if viewer == "volunteer":
        login(client, make.user("vol").username)
    comment = secret.first_comment_id
    for action in (
        f"/discussions/{secret.id}",
        f"/projects/herbarium/boards/{room.id}/new",
        f"/comments/{comment}/edit",
        f"/comments/{comment}/delete",
        f"/comments/{comment}/hide",
        f"/comments/{comment}/unhide",
    ):
        refused = submit(client, "/", action, body="Let me in", title="x")
        assert refused.status_code == 404, action


def test_a_visitor_is_asked_to_log_in_for_a_board_open_to_every_account(client, make, make_board):
    project = make.project("herbarium")
    make_board(project, "Members", read_level="logged-in")
    author = make.user("author")
    thread = make.discussion(project, author, board="Members", title="For members")
    response = client.get(f"/discussions/{thread.id}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    login(client, make.user("reader").username)
    assert "For members" in text(client.get(f"/discussions/{thread.id}"))


def test_volunteer_cannot_post_in_a_team_board(client, make, staff_room):
    _, room, secret, _ = staff_room
    login(client, make.user("vol").username)
    reply = submit(client, "/", f"/discussions/{secret.id}", body="Let me in")
    start = submit(client, "/", f"/projects/herbarium/boards/{room.id}/new", title="x", body="y")
    assert (reply.status_code, start.status_code) == (404, 404)
    login(client, "staffer")
    assert "Let me in" not in text(client.get(f"/discussions/{secret.id}"))


@pytest.mark.parametrize("viewer", ["team", "site admin"])
def test_team_and_site_admins_see_the_team_board(client, make, staff_room, viewer):
    _, room, secret, _ = staff_room
    if viewer == "team":
        login(client, "staffer")
    else:
        login(client, make.admin().username)
    home = client.get("/projects/herbarium")
    assert outline(home).find("a", href=f"/projects/herbarium/boards/{room.id}")
    assert "Secret plans" in text(home)
    assert "More hidden words" in text(client.get("/projects/herbarium/comments"))
    assert "More hidden words" in text(client.get("/users/staffer"))
    assert "Secret plans" in text(client.get(f"/projects/herbarium/boards/{room.id}"))
    thread = client.get(f"/discussions/{secret.id}")
    assert thread.status_code == 200
    assert outline(thread).find("textarea", name="body")
