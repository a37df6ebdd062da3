"""Content warnings through the JSON API: who may write and attach them, where they show,
and that nothing of another project can be reached (issue 10)."""

from __future__ import annotations

import pytest

from tests.moderation.conftest import ROLES

BASE = "/api/v1/projects/asylum/content-warnings"
NOTICE = {"title": "Historic language", "text": "Terms about mental illness from the 1910s."}


def _create(client, headers, body=NOTICE, slug="asylum"):
    return client.post(f"/api/v1/projects/{slug}/content-warnings", json=body, headers=headers)


@pytest.fixture
def warning(client, heritage, token):
    answer = _create(client, token(heritage.people["moderator"]))
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


@pytest.mark.parametrize(
    ("who", "status"),
    [*[(role, 403 if role == "volunteer" else 201) for role in ROLES], ("other", 403)],
)
def test_only_this_projects_staff_write_warnings(client, heritage, token, who, status):
    person = heritage.other_moderator if who == "other" else heritage.people[who]
    answer = _create(client, token(person))
    assert answer.status_code == status, answer.get_json()
    listed = client.get(BASE).get_json()["data"]
    assert [w["title"] for w in listed] == (["Historic language"] if status == 201 else [])


def test_anonymous_cannot_write_a_warning(client, heritage):
    assert _create(client, {}).status_code == 401
    assert client.get(BASE).get_json()["data"] == []


@pytest.mark.parametrize("who", ["volunteer", "other"])
def test_a_volunteer_or_another_projects_moderator_cannot_attach_change_or_delete(
    client, heritage, token, warning, who
):
    headers = token(heritage.other_moderator if who == "other" else heritage.people[who])
    url = f"{BASE}/{warning['id']}"
    target = {"type": "item", "external_id": heritage.item.external_id}
    assert client.post(f"{url}/attachments", json=target, headers=headers).status_code == 403
    assert client.patch(url, json={"text": "changed"}, headers=headers).status_code == 403
    assert client.delete(url, headers=headers).status_code == 403
    assert client.get(url).get_json()["text"] == NOTICE["text"]
    assert client.get(f"{url}/attachments").get_json()["data"] == []


def test_attach_to_item_board_and_discussion_and_read_them_back(client, heritage, token, warning):
    headers = token(heritage.people["team"])
    url = f"{BASE}/{warning['id']}/attachments"
    item_url = f"/api/v1/projects/asylum/items/{heritage.item.external_id}/content-warnings"
    assert client.get(item_url).get_json()["data"] == []
    attached = client.post(
        url, json={"type": "item", "external_id": heritage.item.external_id}, headers=headers
    )
    assert attached.status_code == 201, attached.get_json()
    assert attached.get_json()["type"] == "item"
    shown = client.get(item_url).get_json()["data"]
    assert [(w["title"], w["acknowledged"]) for w in shown] == [("Historic language", False)]
    # The item's discussion shows its item's warning; the board discussion does not.
    thread = client.get(f"/api/v1/discussions/{heritage.thread.id}/content-warnings")
    assert [w["id"] for w in thread.get_json()["data"]] == [warning["id"]]
    chat_url = f"/api/v1/discussions/{heritage.chat.id}/content-warnings"
    assert client.get(chat_url).get_json()["data"] == []
    board_id = heritage.project.boards["Chat"].id
    on_board = client.post(url, json={"type": "board", "id": board_id}, headers=headers)
    assert on_board.status_code == 201
    assert [w["id"] for w in client.get(chat_url).get_json()["data"]] == [warning["id"]]
    board_url = f"/api/v1/boards/{board_id}/content-warnings"
    assert len(client.get(board_url).get_json()["data"]) == 1
    twice = client.post(url, json={"type": "board", "id": board_id}, headers=headers)
    assert twice.status_code == 409
    listed = client.get(url).get_json()["data"]
    assert [a["type"] for a in listed] == ["item", "board"]
    gone = client.delete(url, query_string={"type": "board", "id": board_id}, headers=headers)
    assert gone.status_code == 204
    assert client.get(chat_url).get_json()["data"] == []


def test_acknowledging_is_remembered_for_the_caller_until_the_text_changes(
    client, heritage, token, warning
):
    staff = token(heritage.people["admin"])
    reader = token(heritage.people["volunteer"])
    client.post(
        f"{BASE}/{warning['id']}/attachments",
        json={"type": "discussion", "id": heritage.thread.id},
        headers=staff,
    )
    url = f"/api/v1/discussions/{heritage.thread.id}/content-warnings"

    def read_by(headers):
        return client.get(url, headers=headers).get_json()["data"][0]["acknowledged"]

    assert read_by(reader) is False
    ack = client.put(f"{BASE}/{warning['id']}/acknowledgement", json={}, headers=reader)
    assert ack.status_code == 204
    assert read_by(reader) is True
    assert read_by(staff) is False  # per person
    changed = client.patch(f"{BASE}/{warning['id']}", json={"text": "Reworded."}, headers=staff)
    assert changed.get_json()["version"] == 2
    assert read_by(reader) is False


def test_another_projects_ids_are_not_found(client, heritage, token, warning):
    """Adversarial: a moderator of A names B's item, discussion and board, and A's warning
    under B's address; each is a 404 and nothing is attached."""
    headers = token(heritage.people["moderator"])
    url = f"{BASE}/{warning['id']}/attachments"
    b_board = heritage.other.boards["Chat"].id
    for target in (
        {"type": "item", "external_id": heritage.other_item.external_id},
        {"type": "discussion", "id": heritage.other_thread.id},
        {"type": "board", "id": b_board},
    ):
        answer = client.post(url, json=target, headers=headers)
        assert answer.status_code == 404, (target, answer.get_json())
    assert client.get(url).get_json()["data"] == []
    b_mod = token(heritage.other_moderator)
    crossed = f"/api/v1/projects/parish/content-warnings/{warning['id']}"
    assert client.get(crossed).status_code == 404
    assert client.patch(crossed, json={"text": "x"}, headers=b_mod).status_code == 404
    assert client.delete(crossed, headers=b_mod).status_code == 404
    assert (
        client.post(
            f"{crossed}/attachments", json={"type": "board", "id": b_board}, headers=b_mod
        ).status_code
        == 404
    )


@pytest.mark.parametrize(
    "body",
    [
        {"title": "", "text": "x"},
        {"title": "x" * 121, "text": "x"},
        {"title": "ok", "text": "\x00"},
        {"title": "ok"},
        {"title": "ok", "text": "x", "html": "<b>"},
    ],
)
def test_bad_warnings_are_refused_with_422(client, heritage, token, body):
    answer = _create(client, token(heritage.people["moderator"]), body)
    assert answer.status_code == 422, answer.get_json()
    assert answer.get_json()["error"]["code"] == "invalid"
    assert client.get(BASE).get_json()["data"] == []


@pytest.mark.parametrize(
    "target",
    [{"type": "comment", "id": 1}, {"type": "item"}, {"type": "board"}, {"type": "board", "id": 0}],
)
def test_bad_attachment_targets_are_refused_with_422(client, heritage, token, warning, target):
    headers = token(heritage.people["moderator"])
    answer = client.post(f"{BASE}/{warning['id']}/attachments", json=target, headers=headers)
    assert answer.status_code == 422, answer.get_json()


def test_a_duplicate_title_is_a_conflict(client, heritage, token, warning):
    answer = _create(client, token(heritage.people["moderator"]))
    assert answer.status_code == 409
