"""Every list endpoint: cursor pages walk the whole list once, at a cost that does not grow
with the number of rows."""

from types import SimpleNamespace

import pytest

API = "/api/v1"


def _projects(make, world, n):
    for _ in range(n):
        make.project(owner=world.owner)
    # every project but the world's, so the 3-row and 30-row lists differ only in length
    return f"{API}/projects", n + 1


def _items(make, world, n):
    project = make.project(owner=world.owner)
    make.items(project, n)
    return f"{API}/projects/{project.slug}/items", n


def _boards(make, world, n):
    from talk.extensions import db
    from talk.models import Project, User
    from talk.services import projects

    project = make.project(owner=world.owner)
    with make.context():
        for i in range(n - 4):  # every project starts with four boards, open to everyone
            projects.create_board(
                db.session.get(User, world.owner.id),
                db.session.get(Project, project.id),
                f"Board {i}",
                read_level=("everyone", "logged-in")[i % 2],
                write_level="team",
            )
    return f"{API}/projects/{project.slug}/boards", n


def _board_discussions(make, world, n):
    project = make.project(owner=world.owner)
    item = make.item(project)
    for i in range(n):
        make.discussion(project, world.volunteer, title=f"T{i}")
        if i % 2:
            make.discussion(project, world.team, item=item)  # not on this board
    return f"{API}/boards/{project.boards['Chat'].id}/discussions", n


def _item_discussions(make, world, n):
    project = make.project(owner=world.owner)
    item = make.item(project, prefix="box/sheet")
    authors = [world.volunteer, world.team, world.outsider]
    for i in range(n):
        make.discussion(project, authors[i % 3], item=item, title=f"T{i}")
    return f"{API}/projects/{project.slug}/items/{item.external_id}/discussions", n


def _comments(make, world, n):
    from talk.extensions import db
    from talk.models import Comment, User
    from talk.services import discussions

    project = make.project(owner=world.owner)
    discussion = make.discussion(project, world.volunteer)
    authors = [world.volunteer, world.team, world.outsider]
    previous = discussion.first_comment_id
    for i in range(n - 1):
        comment = make.comment(discussion, authors[i % 3], f"Reply {i}", reply_to=previous)
        previous = comment.id
        if i % 4 == 0:  # deleted comments stay in the list
            with make.context():
                discussions.delete_comment(
                    db.session.get(User, authors[i % 3].id), db.session.get(Comment, comment.id)
                )
    return f"{API}/discussions/{discussion.id}/comments", n


def _members(make, world, n):
    project = make.project(owner=world.owner)
    roles = ["volunteer", "team", "expert", "moderator", "admin"]
    for i in range(n - 1):  # plus the owner
        make.member(project, roles[i % 5])
    return f"{API}/projects/{project.slug}/members", n


LISTS = {
    "projects": _projects,
    "items": _items,
    "boards": _boards,
    "board discussions": _board_discussions,
    "item discussions": _item_discussions,
    "comments": _comments,
    "members": _members,
}


def _key(row):
    return row.get("id") or row.get("slug") or row.get("external_id") or row["user"]["username"]


@pytest.mark.parametrize("build", LISTS.values(), ids=LISTS.keys())
def test_cursor_pages_walk_the_list_completely_without_repeats(client, make, world, build):
    url, expected = build(make, world, 7)
    full = client.get(f"{url}?limit=100", headers=world.team_auth).get_json()
    assert full["next_cursor"] is None
    everything = [_key(row) for row in full["data"]]
    assert len(everything) == expected
    seen, cursor, pages = [], None, 0
    while True:
        query = "limit=3" + (f"&cursor={cursor}" if cursor else "")
        response = client.get(f"{url}?{query}", headers=world.team_auth)
        assert response.status_code == 200, response.get_json()
        page = response.get_json()
        pages += 1
        seen += [_key(row) for row in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert len(page["data"]) == 3
        assert len(page["next_cursor"]) < 200
    assert seen == everything
    assert len(set(seen)) == len(seen)
    # boards are one short list, never paged; every other list comes in pages of 3
    assert pages == (1 if url.endswith("/boards") else -(-expected // 3))


@pytest.mark.parametrize("build", LISTS.values(), ids=LISTS.keys())
@pytest.mark.parametrize("as_", ["anonymous", "team"])
def test_list_query_count_does_not_grow_with_rows(client, make, world, count_queries, build, as_):
    headers = world.team_auth if as_ == "team" else {}
    costs = []
    for rows in (3, 30):
        url, _ = build(make, world, rows)
        with count_queries() as queries:
            response = client.get(f"{url}?limit=100", headers=headers)
        assert response.status_code == 200
        assert len(response.get_json()["data"]) >= (3 if rows == 3 else 10)
        costs.append(queries.count)
    assert costs[0] == costs[1], costs


def test_page_default_size_is_talk_page_size(app, client, make, world):
    app.config["TALK_PAGE_SIZE"] = 4
    project = make.project(owner=world.owner)
    make.items(project, 6)
    page = client.get(f"{API}/projects/{project.slug}/items").get_json()
    assert len(page["data"]) == 4
    assert page["next_cursor"]
    assert SimpleNamespace(**page).next_cursor == page["next_cursor"]
