"""The tag group endpoints of the JSON API: create, list, read, change, delete, items; refusals
answer the API's error shape and change nothing."""

import pytest

from tests.talk.api.conftest import assert_error
from tests.talk.tag_groups.conftest import group_count, ids

API = "/api/v1/projects/herbarium/groups"


@pytest.fixture
def people(make, herbarium, token):
    creator, other = make.user("creator"), make.user("other")
    moderator = make.member(herbarium, "moderator", username="moddy")
    return {
        "creator": token(creator),
        "other": token(other),
        "moderator": token(moderator),
    }


def test_create_read_list_change_and_delete_a_group(app, client, shelf, herbarium, people, synonym):
    synonym(herbarium, "sister", "nurse")
    created = client.post(
        API,
        json={"title": "Nurses", "query": "#Sister AND NOT #smallpox OR #nobody"},
        headers=people["creator"],
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["slug"] == "nurses"
    assert body["project"] == "herbarium"
    assert body["query"] == "#Sister AND NOT #smallpox OR #nobody"
    assert (body["description"], body["verified_only"]) == ("", False)
    assert body["created_by"]["username"] == "creator"
    assert body["item_count"] == 2
    assert body["not_on_items"] == ["#nobody"]
    assert body["tags"] == [
        {
            "written": "#Sister",
            "name": "nurse",
            "on_items": True,
            "url": "http://talk.test/projects/herbarium/tags/nurse",
        },
        {
            "written": "#smallpox",
            "name": "smallpox",
            "on_items": True,
            "url": "http://talk.test/projects/herbarium/tags/smallpox",
        },
        {"written": "#nobody", "name": None, "on_items": False, "url": None},
    ]
    assert body["url"] == "http://talk.test/projects/herbarium/groups/nurses"
    assert body["api_url"] == f"http://talk.test{API}/nurses"
    assert body["items_url"] == f"http://talk.test{API}/nurses/items"
    assert body["export_csv_url"] == "http://talk.test/projects/herbarium/groups/nurses/export.csv"

    assert client.get(f"{API}/nurses").get_json() == body
    listed = client.get(API).get_json()
    assert [g["slug"] for g in listed["data"]] == ["nurses"]
    assert listed["next_cursor"] is None
    assert "item_count" not in listed["data"][0]

    changed = client.patch(
        f"{API}/nurses",
        json={"query": "#nurse", "verified_only": True, "description": "Checked."},
        headers=people["creator"],
    )
    assert changed.status_code == 200
    body = changed.get_json()
    assert (body["slug"], body["title"], body["query"]) == ("nurses", "Nurses", "#nurse")
    assert (body["verified_only"], body["description"], body["item_count"]) == (
        True,
        "Checked.",
        0,
    )

    deleted = client.delete(f"{API}/nurses", headers=people["creator"])
    assert deleted.status_code == 204
    assert_error(client.get(f"{API}/nurses"), 404, "not_found")
    assert group_count(app) == 0


def test_a_groups_items_come_in_cursor_pages_with_the_groups_tags(
    client, shelf, herbarium, group, make, verdict
):
    verdict(herbarium, shelf[4], "nurse", "verified")
    group(herbarium, make.user(), title="Nurses", query="#nurse OR #army")
    first = client.get(f"{API}/nurses/items?limit=2")
    assert first.status_code == 200
    page = first.get_json()
    assert [i["external_id"] for i in page["data"]] == ids(shelf, 6, 4)
    assert page["data"][0]["group_tags"] == [{"name": "army", "verified": False}]
    assert page["data"][1]["group_tags"] == [
        {"name": "nurse", "verified": True},
        {"name": "army", "verified": False},
    ]
    assert page["data"][1]["url"] == (
        f"http://talk.test/projects/herbarium/items/{shelf[4].external_id}"
    )
    rest = client.get(f"{API}/nurses/items?limit=2&cursor={page['next_cursor']}").get_json()
    assert [i["external_id"] for i in rest["data"]] == ids(shelf, 2, 1)
    assert rest["next_cursor"] is None


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, ("title", "query")),
        ({"title": "T"}, ("query",)),
        ({"title": "", "query": "#nurse"}, ("title",)),
        ({"title": "T" * 201, "query": "#nurse"}, ("title",)),
        ({"title": "T", "query": "#nurse", "colour": "red"}, ("colour",)),
        ({"title": "T", "query": "#nurse", "verified_only": "maybe"}, ("verified_only",)),
        ({"title": "T", "query": "x" * 501}, ("query",)),
        ({"title": "T", "query": "#nurse AND"}, ("query",)),
        ({"title": "T", "query": "NOT #nurse"}, ("query",)),
        ({"title": "   ", "query": "#nurse"}, ("title",)),
        ({"title": "T\x00", "query": "#nurse"}, ("title",)),
    ],
)
def test_bad_new_groups_are_refused_with_the_fields_named(
    app, client, herbarium, people, body, fields
):
    response = client.post(API, json=body, headers=people["creator"])
    assert_error(response, 422, "invalid", *fields)
    assert group_count(app) == 0


def test_a_bad_query_says_where_the_problem_is(client, herbarium, people):
    response = client.post(
        API, json={"title": "T", "query": "#nurse #army"}, headers=people["creator"]
    )
    error = assert_error(response, 422, "invalid", "query")
    assert error["fields"]["query"] == ["Put AND or OR between '#nurse' and '#army' (character 8)."]


def test_who_may_write(app, client, herbarium, group, make, people):
    assert_error(client.post(API, json={"title": "T", "query": "#nurse"}), 401, "unauthenticated")
    group(herbarium, make.user("someone"), title="Nurses")
    assert_error(
        client.patch(f"{API}/nurses", json={"title": "Mine"}, headers=people["other"]),
        403,
        "forbidden",
    )
    assert_error(client.delete(f"{API}/nurses", headers=people["other"]), 403, "forbidden")
    assert_error(client.delete(f"{API}/nurses"), 401, "unauthenticated")
    moderated = client.patch(f"{API}/nurses", json={"title": "Ours"}, headers=people["moderator"])
    assert moderated.status_code == 200
    assert moderated.get_json()["title"] == "Ours"
    assert client.delete(f"{API}/nurses", headers=people["moderator"]).status_code == 204
    assert group_count(app) == 0


def test_bad_changes_cursors_and_names_are_refused(app, client, herbarium, group, make, people):
    creator = make.user("maker")
    group(herbarium, creator, title="Nurses")
    auth = people["moderator"]
    assert_error(client.patch(f"{API}/nurses", json={}, headers=auth), 422, "invalid", "_schema")
    assert_error(
        client.patch(f"{API}/nurses", json={"query": "#a"}, headers=auth), 422, "invalid", "query"
    )
    assert_error(
        client.patch(f"{API}/nurses", json={"slug": "x"}, headers=auth), 422, "invalid", "slug"
    )
    assert_error(client.get(f"{API}/nurses/items?cursor=forged"), 422, "invalid", "cursor")
    assert_error(client.get(f"{API}/nurses/items?limit=0"), 422, "invalid", "limit")
    assert_error(client.get(f"{API}/nobody"), 404, "not_found")
    assert_error(client.get(f"{API}/nobody/items"), 404, "not_found")
    assert_error(client.get("/api/v1/projects/nowhere/groups"), 404, "not_found")
    assert_error(
        client.post(API, data="title=T", headers=auth, content_type="text/plain"),
        415,
        "unsupported_media_type",
    )
    assert client.get(f"{API}/nurses").get_json()["query"] == "#nurse"


def test_the_openapi_document_lists_the_group_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert set(paths["/api/v1/projects/{slug}/groups"]) >= {"get", "post"}
    assert set(paths["/api/v1/projects/{slug}/groups/{group_slug}"]) >= {"get", "patch", "delete"}
    assert "get" in paths["/api/v1/projects/{slug}/groups/{group_slug}/items"]
