"""The tag endpoints of the JSON API."""

from urllib.parse import quote

API = "/api/v1/projects/herbarium"


def test_project_tags_popular_paged_and_trending(client, make, herbarium, clock):
    author = make.user()
    thread = make.discussion(herbarium, author, body="#census #walk")
    make.comment(thread, author, "#census")
    clock.advance(days=10)
    make.comment(thread, author, "#walk")
    make.comment(thread, author, "#walk #new")

    first = client.get(f"{API}/tags?limit=2")
    assert first.status_code == 200
    body = first.get_json()
    assert [t["name"] for t in body["data"]] == ["walk", "census"]
    walk = body["data"][0]
    assert walk["use_count"] == 3
    assert walk["discussion_count"] == 1 and walk["item_count"] == 0 and walk["user_count"] == 1
    assert walk["curated"] is None and walk["recent_uses"] is None
    assert walk["url"] == "http://talk.test/projects/herbarium/tags/walk"
    assert walk["api_url"] == "http://talk.test/api/v1/projects/herbarium/tags/walk"
    rest = client.get(f"{API}/tags?limit=2&cursor={body['next_cursor']}").get_json()
    assert [t["name"] for t in rest["data"]] == ["new"]
    assert rest["next_cursor"] is None

    trending = client.get(f"{API}/tags?trending=true").get_json()
    assert [(t["name"], t["recent_uses"]) for t in trending["data"]] == [("walk", 2), ("new", 1)]
    assert trending["next_cursor"] is None


def test_a_tag_with_its_items_in_pages_and_related_tags(client, make, herbarium, clock):
    items = make.items(herbarium, 3)
    author = make.user()
    for item in items:
        clock.advance(minutes=1)
        make.discussion(herbarium, author, item=item, body="#Église #orchid")

    response = client.get(f"{API}/tags/{quote('ÉGLISE')}?limit=2")
    assert response.status_code == 200
    tag = response.get_json()
    assert tag["name"] == "église"
    assert (tag["use_count"], tag["item_count"], tag["discussion_count"], tag["user_count"]) == (
        3,
        3,
        3,
        1,
    )
    assert tag["curated"] is None
    assert [i["external_id"] for i in tag["items"]["data"]] == [
        items[2].external_id,
        items[1].external_id,
    ]
    assert tag["related"] == [
        {
            "name": "orchid",
            "shared_items": 3,
            "url": "http://talk.test/projects/herbarium/tags/orchid",
        }
    ]
    more = client.get(f"{API}/tags/église?limit=2&cursor={tag['items']['next_cursor']}")
    assert [i["external_id"] for i in more.get_json()["items"]["data"]] == [items[0].external_id]
    assert more.get_json()["items"]["next_cursor"] is None


def test_unknown_tags_projects_and_bad_cursors_answer_in_the_api_error_shape(
    client, make, herbarium
):
    make.discussion(herbarium, make.user(), body="#moss")
    for url in (f"{API}/tags/nothing", "/api/v1/projects/nowhere/tags", f"{API}/tags/%23"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.get_json()["error"]["code"] == "not_found"
    bad = client.get(f"{API}/tags/moss?cursor=nonsense")
    assert bad.status_code == 422
    assert "cursor" in bad.get_json()["error"]["fields"]
    assert client.get(f"{API}/tags?limit=0").status_code == 422


def test_an_items_tags_with_uses_on_that_item(client, make, herbarium):
    item = make.item(herbarium, prefix="sheet/with/slashes")
    author = make.user()
    thread = make.discussion(herbarium, author, item=item, body="#orchid #fern")
    make.comment(thread, author, "#orchid")

    response = client.get(f"{API}/items/{item.external_id}/tags")
    assert response.status_code == 200
    body = response.get_json()
    assert [(r["tag"]["name"], r["use_count"]) for r in body["data"]] == [
        ("orchid", 2),
        ("fern", 1),
    ]
    assert body["data"][0]["tag"]["use_count"] == 2
    assert body["next_cursor"] is None
    assert client.get(f"{API}/items/no-such-item/tags").status_code == 404


def test_autocomplete_offers_prefix_matches_by_popularity_then_others(client, make, herbarium):
    author = make.user()
    thread = make.discussion(herbarium, author, body="#orchid")
    for body in (
        "#orchid #orchis",
        "#orchid",
        "#wild_orchid #orca",
        "#orchis_mascula #orchis",
        "#orchisa",
    ):
        make.comment(thread, author, body)

    def names(q, **params):
        response = client.get(f"{API}/tags/autocomplete", query_string={"q": q, **params})
        assert response.status_code == 200, response.get_json()
        return [t["name"] for t in response.get_json()["data"]]

    everything = ["orchid", "orchis", "orca", "orchis_mascula", "orchisa", "wild_orchid"]
    assert names("orc") == everything
    assert names("o") == everything
    assert names("#ORCH") == ["orchid", "orchis", "orchis_mascula", "orchisa", "wild_orchid"]
    assert names("orc", limit=2) == ["orchid", "orchis"]
    assert names("orchis_") == ["orchis_mascula"]  # '_' is a letter of the name, not a wildcard
    assert names("mascula") == ["orchis_mascula"]
    assert names("zz") == []

    for params in ({}, {"q": ""}, {"q": "#"}, {"q": "o%"}, {"q": "orc", "limit": 11}):
        response = client.get(f"{API}/tags/autocomplete", query_string=params)
        assert response.status_code == 422, params
        assert response.get_json()["error"]["code"] == "invalid"


def test_the_tag_endpoints_are_documented(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in (
        "/api/v1/projects/{slug}/tags",
        "/api/v1/projects/{slug}/tags/{name}",
        "/api/v1/projects/{slug}/tags/autocomplete",
        "/api/v1/projects/{slug}/items/{external_id}/tags",
    ):
        assert "get" in paths[path], path


def test_tag_endpoints_cost_the_same_with_3_rows_as_with_30(client, make, count_queries):
    sites = []
    for slug, n in (("small", 3), ("large", 30)):
        project = make.project(slug)
        items = make.items(project, n, prefix=slug)
        author = make.user()
        first = make.discussion(project, author, item=items[0], body="#common")
        for i, item in enumerate(items):
            make.discussion(project, author, item=item, body=f"#common #t{i}")
            make.comment(first, author, f"#t{i}")
        base = f"/api/v1/projects/{slug}"
        sites.append(
            {
                "popular": f"{base}/tags",
                "trending": f"{base}/tags?trending=1",
                "tag": f"{base}/tags/common",
                "item tags": f"{base}/items/{items[0].external_id}/tags",
                "autocomplete": f"{base}/tags/autocomplete?q=t",
            }
        )
    for name in sites[0]:
        counts = []
        for site in sites:
            with count_queries() as queries:
                assert client.get(site[name]).status_code == 200
            counts.append(queries.count)
        assert counts[0] == counts[1], (name, counts)


def test_autocomplete_ignores_accents_only_when_none_are_typed(client, make, herbarium):
    author = make.user()
    thread = make.discussion(herbarium, author, body="#église #église #églantier #eglantine")
    make.comment(thread, author, "#église #Zürich")

    def names(q):
        response = client.get(f"{API}/tags/autocomplete", query_string={"q": q})
        assert response.status_code == 200, response.get_json()
        return [t["name"] for t in response.get_json()["data"]]

    assert names("egl") == ["église", "eglantine", "églantier"]  # by uses, then name
    assert names("Égl") == ["église", "églantier"]  # accents typed: exactly what was typed
    assert names("zur") == ["zürich"]
    assert names("lise") == ["église"]  # containing, without accents too
