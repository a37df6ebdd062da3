"""Items: bulk registration by the platform, reading them, and their own discussions."""

from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from talk.extensions import db
from talk.models import Item, Project
from talk.services.items import URL_FIELDS

API = "/api/v1"
ITEMS = f"{API}/projects/herbarium/items"


def _row(n, **extra):
    return {
        "external_id": f"sheet/{n:05d}",
        "title": f"Herbarium sheet {n}",
        "image_url": f"https://images.example.org/{n}.jpg",
        "thumbnail_url": f"https://images.example.org/{n}-thumb.jpg",
        "iiif_manifest_uri": f"https://iiif.example.org/{n}/manifest.json",
        "iiif_canvas_uri": f"https://iiif.example.org/{n}/canvas/1",
        "source_url": f"https://collections.example.org/{n}",
        "metadata": {"collector": "A. Botanist", "year": 1871, "latitude": 51.5},
        **extra,
    }


def _item_count(app):
    with app.app_context():
        stored = db.session.scalar(select(func.count()).select_from(Item))
        counter = db.session.scalar(select(Project.item_count).where(Project.slug == "herbarium"))
        return stored, counter


def test_staff_token_registers_1000_items_in_one_request(app, client, world):
    rows = [_row(n) for n in range(1000)]
    response = client.post(ITEMS, json={"items": rows}, headers=world.team_auth)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()["data"]
    assert len(created) == 1000
    assert created[0]["external_id"] == "sheet/00000"
    assert created[0]["metadata"] == {
        "collector": "A. Botanist",
        "year": "1871",
        "latitude": "51.5",
    }
    assert created[999]["url"] == "http://talk.test/projects/herbarium/items/sheet/00999"
    assert _item_count(app) == (1001, 1001)  # the world's own item plus these


def test_registered_item_reads_back_with_every_field(client, world):
    row = _row(7, external_id="MS 12/f.3 r?#%é")
    assert client.post(ITEMS, json={"items": [row]}, headers=world.owner_auth).status_code == 201
    response = client.get(f"{ITEMS}/{quote(row['external_id'], safe='')}")
    assert response.status_code == 200, response.get_json()
    item = response.get_json()
    for field in ("external_id", "title", *URL_FIELDS):
        assert item[field] == row[field]
    assert item["project"] == "herbarium"
    assert item["discussion_count"] == 0
    assert client.get(item["api_url"]).get_json()["external_id"] == row["external_id"]
    # '/' may also be sent unencoded
    assert client.get(f"{ITEMS}/MS 12/f.3 r%3F%23%25%C3%A9").status_code == 200


def test_optional_fields_may_be_null_or_missing(client, world):
    rows = [{"external_id": "bare"}, {"external_id": "nulls", "title": None, "metadata": None}]
    response = client.post(ITEMS, json={"items": rows}, headers=world.team_auth)
    assert response.status_code == 201, response.get_json()
    bare, nulls = response.get_json()["data"]
    assert (bare["title"], bare["image_url"], bare["metadata"]) == ("bare", "", {})
    assert nulls["title"] == "nulls"


@pytest.mark.parametrize("who", ["volunteer_auth", "outsider_auth"])
def test_volunteers_may_not_register_items(app, client, world, counts, expect_error, who):
    before = counts()
    response = client.post(ITEMS, json={"items": [_row(1)]}, headers=getattr(world, who))
    expect_error(response, 403, "forbidden")
    assert counts() == before


def test_anonymous_may_not_register_items(client, world, counts, expect_error):
    before = counts()
    expect_error(client.post(ITEMS, json={"items": [_row(1)]}), 401, "unauthenticated")
    assert counts() == before


def test_1001_items_are_refused_whole(client, world, counts, expect_error):
    before = counts()
    rows = [_row(n) for n in range(1001)]
    error = expect_error(
        client.post(ITEMS, json={"items": rows}, headers=world.team_auth), 422, "invalid", "items"
    )
    assert "1000" in error["fields"]["items"][0]
    assert counts() == before


def test_empty_batch_is_422(client, world, expect_error):
    expect_error(
        client.post(ITEMS, json={"items": []}, headers=world.team_auth), 422, "invalid", "items"
    )
    expect_error(client.post(ITEMS, json={}, headers=world.team_auth), 422, "invalid", "items")
    not_a_list = {"items": {"external_id": "x"}}
    expect_error(
        client.post(ITEMS, json=not_a_list, headers=world.team_auth), 422, "invalid", "items"
    )


def test_row_problems_are_named_by_index_and_nothing_is_registered(
    client, world, counts, expect_error
):
    before = counts()
    rows = [_row(n) for n in range(6)]
    rows[1]["external_id"] = ""
    rows[2]["title"] = "t" * 301
    rows[3]["image_url"] = "javascript:alert(1)"
    rows[4]["metadata"] = {"flag": True}
    rows[5]["shelfmark"] = "A1"
    response = client.post(ITEMS, json={"items": rows}, headers=world.team_auth)
    named = ["items.1.external_id", "items.2.title", "items.4.metadata.flag.value"]
    error = expect_error(response, 422, "invalid", *named, "items.5.shelfmark")
    assert "items.0.external_id" not in error["fields"]
    assert counts() == before


def test_bad_url_is_refused_by_the_service_with_row_index(client, world, counts, expect_error):
    before = counts()
    rows = [_row(0), _row(1, image_url="javascript:alert(1)")]
    response = client.post(ITEMS, json={"items": rows}, headers=world.team_auth)
    expect_error(response, 422, "invalid", "items.1.image_url")
    assert counts() == before


def test_duplicate_external_ids_in_the_batch_are_409(client, world, counts, expect_error):
    before = counts()
    rows = [_row(0), _row(1), _row(0)]
    response = client.post(ITEMS, json={"items": rows}, headers=world.team_auth)
    error = expect_error(response, 409, "conflict", "items.2.external_id")
    assert "items.0.external_id" not in error["fields"]
    assert counts() == before


def test_already_registered_external_id_is_409(client, world, counts, expect_error):
    before = counts()
    rows = [_row(0), {"external_id": world.item.external_id}]
    response = client.post(ITEMS, json={"items": rows}, headers=world.team_auth)
    expect_error(response, 409, "conflict", "items.1.external_id")
    assert counts() == before


def test_item_list_pages(client, make, world):
    make.items(world.project, 4, prefix="more")
    first = client.get(f"{ITEMS}?limit=3").get_json()
    second = client.get(f"{ITEMS}?limit=3&cursor={first['next_cursor']}").get_json()
    assert len(first["data"]) == 3
    assert len(second["data"]) == 2
    assert second["next_cursor"] is None
    ids = [i["external_id"] for i in first["data"] + second["data"]]
    assert ids[0] == world.item.external_id
    assert len(set(ids)) == 5


def test_item_discussions_start_and_list(client, world):
    url = f"{ITEMS}/{world.item.external_id}/discussions"
    response = client.post(
        url,
        json={"title": "Collector?", "body": "Who collected **this**?"},
        headers=world.volunteer_auth,
    )
    assert response.status_code == 201, response.get_json()
    discussion = response.get_json()
    assert discussion["item"]["external_id"] == world.item.external_id
    assert discussion["board"]["kind"] == "items"
    assert discussion["comment_count"] == 1
    assert discussion["url"] == f"http://talk.test/discussions/{discussion['id']}"
    listed = client.get(url).get_json()
    assert [d["id"] for d in listed["data"]] == [discussion["id"]]
    item = client.get(f"{ITEMS}/{world.item.external_id}").get_json()
    assert (item["discussion_count"], item["comment_count"]) == (1, 1)
    first = client.get(discussion["comments_url"]).get_json()["data"][0]
    assert first["body_html"] == "<p>Who collected <strong>this</strong>?</p>"


def test_item_discussions_of_an_external_id_with_slashes(client, world):
    rows = [{"external_id": "box 3/folder 2/sheet 1"}]
    assert client.post(ITEMS, json={"items": rows}, headers=world.team_auth).status_code == 201
    url = f"{ITEMS}/box 3/folder 2/sheet 1/discussions"
    response = client.post(url, json={"title": "Folder", "body": "?"}, headers=world.volunteer_auth)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["item"]["external_id"] == "box 3/folder 2/sheet 1"
    assert client.get(f"{ITEMS}/box 3/folder 2/sheet 1").get_json()["discussion_count"] == 1


def test_item_threads_on_a_hidden_items_board_are_404(app, client, world, counts, expect_error):
    from talk.models import Board, BoardKind

    with app.app_context():
        board = db.session.scalar(
            select(Board).where(Board.project_id == world.project.id, Board.kind == BoardKind.ITEMS)
        )
        board.read_level = "team"  # no service changes levels yet; set it as an admin would
        db.session.commit()
    url = f"{ITEMS}/{world.item.external_id}/discussions"
    before = counts()
    expect_error(client.get(url, headers=world.volunteer_auth), 404, "not_found")
    expect_error(
        client.post(url, json={"title": "t", "body": "b"}, headers=world.volunteer_auth),
        404,
        "not_found",
    )
    assert counts() == before
    assert client.get(url, headers=world.team_auth).status_code == 200


def test_invalid_discussion_is_422(client, world, counts, expect_error):
    before = counts()
    url = f"{ITEMS}/{world.item.external_id}/discussions"
    for body, field in (
        ({"body": "b"}, "title"),
        ({"title": "t" * 201, "body": "b"}, "title"),
        ({"title": "t"}, "body"),
    ):
        expect_error(
            client.post(url, json=body, headers=world.volunteer_auth), 422, "invalid", field
        )
    assert counts() == before
