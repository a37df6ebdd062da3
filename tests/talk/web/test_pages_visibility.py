"""A board closed to the team stays closed: not listed, 403, and nothing leaks into lists."""

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
    board = client.get(f"/projects/herbarium/boards/{room.id}")
    thread = client.get(f"/discussions/{secret.id}")
    permalink = client.get(f"/comments/{secret.first_comment_id}")
    history = client.get(f"/comments/{secret.first_comment_id}/history")
    if viewer == "anonymous":
        for response in (board, thread, permalink, history):
            assert response.status_code == 302
            assert response.headers["Location"].startswith("/login?next=")
    else:
        assert [r.status_code for r in (board, thread, permalink, history)] == [403] * 4
        assert "Hidden words" not in text(thread)


def test_volunteer_cannot_post_in_a_team_board(client, make, staff_room):
    _, room, secret, _ = staff_room
    login(client, make.user("vol").username)
    reply = submit(client, "/", f"/discussions/{secret.id}", body="Let me in")
    start = submit(client, "/", f"/projects/herbarium/boards/{room.id}/new", title="x", body="y")
    assert (reply.status_code, start.status_code) == (403, 403)
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
