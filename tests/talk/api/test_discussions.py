"""Boards' discussions, discussions, and comments: reading, posting, editing, deleting."""

import pytest

API = "/api/v1"


def test_board_discussions_start_and_list(client, world):
    board_id = world.project.boards["Help"].id
    response = client.post(
        f"{API}/boards/{board_id}/discussions",
        json={"title": "How do I start?", "body": "Hello!"},
        headers=world.volunteer_auth,
    )
    assert response.status_code == 201, response.get_json()
    discussion = response.get_json()
    assert discussion["board"] == {
        "id": board_id,
        "title": "Help",
        "kind": "general",
        "url": f"http://talk.test/projects/herbarium/boards/{board_id}",
    }
    assert discussion["item"] is None
    assert discussion["author"] == {
        "username": "volunteer",
        "display_name": "volunteer",
        "url": "http://talk.test/users/volunteer",
    }
    listed = client.get(f"{API}/boards/{board_id}/discussions").get_json()
    assert [d["id"] for d in listed["data"]] == [discussion["id"]]
    board = client.get(f"{API}/boards/{board_id}").get_json()
    assert (board["discussion_count"], board["comment_count"]) == (1, 1)


def test_items_board_takes_discussions_only_through_items(client, world, counts, expect_error):
    before = counts()
    response = client.post(
        f"{API}/boards/{world.project.boards['Item discussions'].id}/discussions",
        json={"title": "Loose", "body": "Not about an item"},
        headers=world.volunteer_auth,
    )
    expect_error(response, 422, "invalid", "item")
    assert counts() == before


def test_discussion_detail_has_board_item_and_counts(client, make, world):
    on_item = make.discussion(world.project, world.volunteer, item=world.item, title="Leaf")
    make.comment(on_item, world.team, "An oak.")
    detail = client.get(f"{API}/discussions/{on_item.id}").get_json()
    assert detail["title"] == "Leaf"
    assert detail["project"] == "herbarium"
    assert detail["board"]["kind"] == "items"
    assert detail["item"]["external_id"] == world.item.external_id
    assert detail["item"]["url"].startswith("http://talk.test/projects/herbarium/items/")
    assert detail["comment_count"] == 2
    assert detail["api_url"] == f"http://talk.test/api/v1/discussions/{on_item.id}"


def test_comments_post_reply_and_list_in_order(client, world):
    url = f"{API}/discussions/{world.discussion.id}/comments"
    first = client.post(url, json={"body": "An *oak*."}, headers=world.team_auth).get_json()
    reply = client.post(
        url, json={"body": "Thanks!", "reply_to": first["id"]}, headers=world.volunteer_auth
    )
    assert reply.status_code == 201, reply.get_json()
    reply = reply.get_json()
    assert reply["reply_to"] == first["id"]
    assert first["body"] == "An *oak*."
    assert first["body_html"] == "<p>An <em>oak</em>.</p>"
    assert first["deleted"] is False
    assert first["edited_at"] is None
    assert first["url"] == f"http://talk.test/comments/{first['id']}"
    listed = client.get(url).get_json()
    assert [c["id"] for c in listed["data"]] == [
        world.discussion.first_comment_id,
        first["id"],
        reply["id"],
    ]
    assert client.get(f"{API}/discussions/{world.discussion.id}").get_json()["comment_count"] == 3


def test_reply_to_unknown_or_foreign_comment_is_422(client, make, world, counts, expect_error):
    other = make.discussion(world.project, world.team, title="Elsewhere")
    url = f"{API}/discussions/{world.discussion.id}/comments"
    before = counts()
    for reply_to in (999999, other.first_comment_id):
        response = client.post(
            url, json={"body": "Hi", "reply_to": reply_to}, headers=world.team_auth
        )
        expect_error(response, 422, "invalid", "reply_to")
    assert counts() == before


def test_comment_body_is_sanitised(client, world):
    url = f"{API}/discussions/{world.discussion.id}/comments"
    body = '<script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror="alert(3)">'
    comment = client.post(url, json={"body": body}, headers=world.team_auth).get_json()
    assert comment["body"] == body
    html = comment["body_html"]
    assert html.startswith("<p>&lt;script&gt;")  # shown as text, never as a tag
    assert "<script" not in html
    assert "<img" not in html
    assert 'href="javascript' not in html


def test_author_edits_their_comment(client, world):
    comment_id = world.discussion.first_comment_id
    response = client.patch(
        f"{API}/comments/{comment_id}",
        json={"body": "A **leaf**, surely."},
        headers=world.volunteer_auth,
    )
    assert response.status_code == 200, response.get_json()
    edited = response.get_json()
    assert edited["body"] == "A **leaf**, surely."
    assert edited["body_html"] == "<p>A <strong>leaf</strong>, surely.</p>"
    assert edited["edited_at"] is not None
    assert client.get(f"{API}/comments/{comment_id}").get_json() == edited


@pytest.mark.parametrize("who", ["outsider_auth", "moderator_auth", "owner_auth"])
def test_nobody_else_edits_a_comment(client, world, counts, expect_error, who):
    before = counts()
    response = client.patch(
        f"{API}/comments/{world.discussion.first_comment_id}",
        json={"body": "Vandalised"},
        headers=getattr(world, who),
    )
    expect_error(response, 403, "forbidden")
    assert counts() == before
    assert (
        client.get(f"{API}/comments/{world.discussion.first_comment_id}").get_json()["body"]
        == "A *leaf*?"
    )


def test_invalid_edit_is_422(client, app, world, counts, expect_error):
    before = counts()
    url = f"{API}/comments/{world.discussion.first_comment_id}"
    too_long = "x" * (app.config["TALK_MAX_COMMENT_LENGTH"] + 1)
    for body in (
        {},
        {"body": ""},
        {"body": too_long},
        {"body": "a\u0000b"},
        {"body": "ok", "title": "x"},
    ):
        expect_error(client.patch(url, json=body, headers=world.volunteer_auth), 422, "invalid")
    assert counts() == before


def test_author_deletes_their_comment(client, world):
    url = f"{API}/comments/{world.discussion.first_comment_id}"
    response = client.delete(url, headers=world.volunteer_auth)
    assert response.status_code == 200, response.get_json()
    deleted = response.get_json()
    assert (deleted["deleted"], deleted["body"], deleted["body_html"]) == (True, None, "")
    assert client.get(url).get_json()["deleted"] is True
    listed = client.get(f"{API}/discussions/{world.discussion.id}/comments").get_json()["data"]
    assert [(c["id"], c["body"]) for c in listed] == [(world.discussion.first_comment_id, None)]
    assert client.get(f"{API}/discussions/{world.discussion.id}").get_json()["comment_count"] == 0


def test_moderator_deletes_anothers_comment_but_a_volunteer_may_not(
    client, world, counts, expect_error
):
    url = f"{API}/comments/{world.discussion.first_comment_id}"
    before = counts()
    expect_error(client.delete(url, headers=world.outsider_auth), 403, "forbidden")
    expect_error(client.delete(url, headers=world.team_auth), 403, "forbidden")
    expect_error(client.delete(url), 401, "unauthenticated")
    assert counts() == before
    assert client.delete(url, headers=world.moderator_auth).status_code == 200
    # deleting twice is refused
    expect_error(client.delete(url, headers=world.moderator_auth), 403, "forbidden")


def test_private_board_is_404_to_those_who_may_not_read_it(
    client, world, staff_board, counts, expect_error
):
    paths = [
        f"/boards/{staff_board.id}",
        f"/boards/{staff_board.id}/discussions",
        f"/discussions/{staff_board.discussion_id}",
        f"/discussions/{staff_board.discussion_id}/comments",
        f"/comments/{staff_board.comment_id}",
    ]
    for path in paths:
        expect_error(client.get(API + path), 404, "not_found")
        expect_error(client.get(API + path, headers=world.volunteer_auth), 404, "not_found")
        assert client.get(API + path, headers=world.team_auth).status_code == 200
    before = counts()
    auth = world.volunteer_auth
    discussion = {"title": "t", "body": "b"}
    writes = [
        client.post(f"{API}/boards/{staff_board.id}/discussions", json=discussion, headers=auth),
        client.post(
            f"{API}/discussions/{staff_board.discussion_id}/comments",
            json={"body": "b"},
            headers=auth,
        ),
        client.patch(f"{API}/comments/{staff_board.comment_id}", json={"body": "b"}, headers=auth),
        client.delete(f"{API}/comments/{staff_board.comment_id}", headers=auth),
    ]
    for response in writes:
        expect_error(response, 404, "not_found")
    assert counts() == before


def test_board_write_level_is_enforced_with_403(client, world, counts, expect_error):
    response = client.post(
        f"{API}/projects/herbarium/boards",
        json={"title": "Announcements", "read_level": "everyone", "write_level": "team"},
        headers=world.admin_auth,
    )
    board_id = response.get_json()["id"]
    before = counts()
    response = client.post(
        f"{API}/boards/{board_id}/discussions",
        json={"title": "Me too", "body": "?"},
        headers=world.volunteer_auth,
    )
    expect_error(response, 403, "forbidden")
    assert counts() == before
    response = client.post(
        f"{API}/boards/{board_id}/discussions",
        json={"title": "News", "body": "!"},
        headers=world.team_auth,
    )
    assert response.status_code == 201
