"""Counts shown to a viewer count only what that viewer may read: a visitor or a volunteer must
not learn from a project's, a person's or an item's numbers how busy a team-only board is."""

from __future__ import annotations

import re

import pytest

from talk.extensions import db
from talk.models import Board
from tests.conftest import login
from tests.talk.web.pages import text


@pytest.fixture
def busy_staff_room(make, make_board):
    """One public discussion with two comments; a team-only board with two discussions and
    five comments, all by the same staff member."""
    project = make.project("herbarium")
    staff = make.member(project, "team", username="staffer")
    make_board(project, "Staff room", read_level="team", write_level="team")
    public = make.discussion(project, staff, board="Chat", title="Open chat")
    make.comment(public, staff, "Open reply")
    for title in ("Secret one", "Secret two"):
        secret = make.discussion(project, staff, board="Staff room", title=title)
        make.comment(secret, staff, "Hidden reply")
    make.comment(secret, staff, "Hidden again")
    return project, staff


# what each viewer may read: (discussions, comments)
SEEN = {"anonymous": (1, 2), "volunteer": (1, 2), "team": (3, 7)}


def _as(client, make, viewer):
    if viewer == "volunteer":
        login(client, make.user("vol").username)
    elif viewer == "team":
        login(client, "staffer")


@pytest.mark.parametrize("viewer", SEEN)
def test_project_counts_are_over_the_boards_the_viewer_may_read(
    client, make, busy_staff_room, viewer
):
    _as(client, make, viewer)
    discussions, comments = SEEN[viewer]
    index = re.sub(r"\s+", " ", text(client.get("/")))
    shown = f"{discussions} discussion{'s' * (discussions != 1)} · {comments} comments"
    assert f"0 items · {shown}" in index
    listed = client.get("/api/v1/projects").get_json()["data"][0]
    detail = client.get("/api/v1/projects/herbarium").get_json()
    for body in (listed, detail):
        assert (body["discussion_count"], body["comment_count"]) == (discussions, comments)
    assert sum(b["comment_count"] for b in detail["boards"]) == comments


@pytest.mark.parametrize("viewer", SEEN)
def test_a_persons_comment_count_is_what_the_viewer_may_read(client, make, busy_staff_room, viewer):
    _as(client, make, viewer)
    comments = SEEN[viewer][1]
    profile = re.sub(r"\s+", "", text(client.get("/users/staffer")))
    assert f"<dt>Comments</dt><dd>{comments}</dd>" in profile
    assert client.get("/api/v1/users/staffer").get_json()["comment_count"] == comments


@pytest.mark.parametrize("viewer", SEEN)
def test_an_items_thread_activity_is_empty_for_who_may_not_read_item_threads(
    app, client, make, viewer
):
    project = make.project("herbarium")
    make.member(project, "team", username="staffer")
    item = make.item(project)
    make.discussion(project, project.owner, item=item, board="Item discussions")
    with app.app_context():
        db.session.get(Board, project.boards["Item discussions"].id).read_level = "team"
        db.session.commit()
    _as(client, make, viewer)
    shown = client.get(f"/api/v1/projects/herbarium/items/{item.external_id}").get_json()
    listed = client.get("/api/v1/projects/herbarium/items").get_json()["data"][0]
    readable = viewer == "team"
    for body in (shown, listed):
        assert body["discussion_count"] == (1 if readable else 0)
        assert body["comment_count"] == (1 if readable else 0)
        assert (body["last_activity_at"] is not None) is readable
