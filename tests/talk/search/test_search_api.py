"""``GET /api/v1/search``: the list envelope, each result's shape, filters, errors and cost."""

from __future__ import annotations

import pytest

from tests.talk.api.conftest import assert_error

API = "/api/v1/search"


@pytest.fixture
def corpus(make):
    project = make.project("herbarium")
    alice = make.user("alice")
    bob = make.user("bob")
    item = make.item(project, prefix="sheet")
    chat = make.discussion(project, alice, title="An oak", body="Old oak leaves, I think.")
    about = make.discussion(project, bob, item=item, title="Ink", body="Oak gall ink #gall")
    return project, alice, bob, item, chat, about


def test_results_have_the_documented_shape(client, corpus):
    _project, _alice, _bob, _item, chat, _about = corpus
    response = client.get(f"{API}?q=oak&project=herbarium")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"data", "next_cursor", "total", "narrowed_to"}
    assert body["next_cursor"] is None and body["narrowed_to"] is None
    # One result per thread: its title and first comment both say "oak".
    assert len(body["data"]) == 2 and body["total"] == 2
    for result in body["data"]:
        assert set(result) == {
            "kind",
            "id",
            "title",
            "discussion_id",
            "snippet_html",
            "url",
            "project",
            "author",
            "created_at",
            "score",
        }
        assert result["project"] == "herbarium"
        assert isinstance(result["score"], float) and result["score"] > 0
        assert result["url"].startswith("http://talk.test/")
        assert "<mark>" in result["snippet_html"].lower()
    by_id = {(r["kind"], r["id"]): r for r in body["data"]}
    comment = by_id[("comment", chat.first_comment_id)]
    assert comment["url"] == f"http://talk.test/comments/{chat.first_comment_id}"
    assert comment["title"] == "An oak" and comment["author"] == "alice"
    assert comment["discussion_id"] == chat.id
    assert comment["created_at"] == "2026-03-14T12:00:00+00:00"
    (title,) = client.get(f"{API}?q=oak&kind=discussion").get_json()["data"]
    assert title["url"] == f"http://talk.test/discussions/{chat.id}"
    assert (title["kind"], title["id"], title["discussion_id"]) == ("discussion", chat.id, chat.id)
    scores = [r["score"] for r in body["data"]]
    assert scores == sorted(scores, reverse=True)


def test_items_and_tags_are_found(client, corpus):
    _project, _alice, _bob, item, _chat, _about = corpus
    (found,) = client.get(f"{API}?q=botanist&project=herbarium").get_json()["data"]
    assert found["kind"] == "item" and found["id"] == item.id and found["author"] is None
    assert found["url"] == f"http://talk.test/projects/herbarium/items/{item.external_id}"
    tags = client.get(f"{API}?q=gall&project=herbarium&kind=tag").get_json()["data"]
    assert [(t["kind"], t["title"]) for t in tags] == [("tag", "gall")]
    assert tags[0]["url"] == "http://talk.test/projects/herbarium/tags/gall"


def test_filters_are_query_parameters(client, clock, make, corpus):
    project, _alice, bob, item, chat, about = corpus
    clock.advance(days=2)
    make.comment(chat, bob, "Oak again, two days later.")

    def ids(query):
        response = client.get(f"{API}?q=oak&{query}")
        assert response.status_code == 200, response.get_json()
        return {(r["kind"], r["id"]) for r in response.get_json()["data"]}

    # One result per thread: each shows the better of its comments saying "oak".
    threads = client.get(f"{API}?q=oak&project=herbarium").get_json()["data"]
    assert sorted(r["discussion_id"] for r in threads) == sorted([chat.id, about.id])
    assert {r["kind"] for r in threads} == {"comment"}
    assert ids(f"project=herbarium&item={item.external_id}") == {
        ("comment", about.first_comment_id)
    }
    assert len(ids(f"board={project.boards['Chat'].id}")) == 1
    assert {kind for kind, _ in ids("author=bob")} == {"comment"} and len(ids("author=bob")) == 2
    assert ids("kind=discussion") == {("discussion", chat.id)}
    assert len(ids("from=2026-03-16")) == 1 and len(ids("to=2026-03-15")) == 2
    assert ids("project=herbarium&tag=gall") == {("comment", about.first_comment_id)}


def test_cursor_pages_are_complete_without_repeats(client, make, corpus):
    project, alice, bob, _item, chat, _about = corpus
    for i in range(8):
        body = "oak" if i % 2 else f"oak number {i}"
        make.discussion(project, alice if i % 2 else bob, title=f"Tree {i}", body=body)
        make.comment(chat, bob, body)  # the same thread: still one result
    seen, cursor, pages = [], None, 0
    while True:
        url = f"{API}?q=oak&limit=3" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url).get_json()
        assert body["total"] == 10
        seen.extend((r["kind"], r["id"]) for r in body["data"])
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert pages == 4
    assert len(seen) == len(set(seen)) == 10


@pytest.mark.parametrize(
    ("query", "status", "code", "field"),
    [
        ("", 422, "invalid", "q"),
        ("q=", 422, "invalid", "q"),
        ("q=-oak", 422, "invalid", "q"),
        ("q=oak%00", 422, "invalid", "q"),
        ("q=oak&from=2026-02-30", 422, "invalid", "from"),
        ("q=oak&to=yesterday", 422, "invalid", "to"),
        ("q=oak&from=2026-03-02&to=2026-03-01", 422, "invalid", "to"),
        ("q=oak&kind=page", 422, "invalid", "kind"),
        ("q=oak&board=x", 422, "invalid", "board"),
        ("q=oak&limit=0", 422, "invalid", "limit"),
        ("q=oak&cursor=abc", 422, "invalid", "cursor"),
        ("q=oak&item=sheet-1", 422, "invalid", "project"),
        ("q=oak&project=nowhere", 404, "not_found", None),
        ("q=oak&author=nobody", 404, "not_found", None),
        ("q=oak&board=424242", 404, "not_found", None),
        ("q=oak&project=herbarium&tag=nope", 404, "not_found", None),
    ],
)
def test_bad_parameters_are_refused(client, corpus, query, status, code, field):
    response = client.get(f"{API}?{query}")
    assert_error(response, status, code, *([field] if field else []))


def test_private_boards_are_searched_only_by_who_may_read_them(
    client, make, token, corpus, staff_room
):
    project, alice, *_ = corpus
    team = make.member(project, "team", username="staffer")
    room = staff_room(project, team)
    for headers in ({}, token(alice)):
        assert client.get(f"{API}?q=zebra", headers=headers).get_json() == {
            "data": [],
            "next_cursor": None,
            "total": 0,
            "narrowed_to": None,
        }
        board = client.get(f"{API}?q=zebra&board={room.id}", headers=headers)
        assert_error(board, 404, "not_found")
    found = client.get(f"{API}?q=zebra", headers=token(team)).get_json()["data"]
    assert [(r["kind"], r["id"]) for r in found] == [("comment", room.comment_id)]


def test_a_search_costs_the_same_with_3_or_30_results(client, make, token, count_queries):
    project = make.project("herbarium")
    viewer = make.member(project, "team", username="viewer")
    people = [make.user(f"person{i}") for i in range(3)]
    for word, n in (("rare", 3), ("common", 30)):
        for i in range(n):
            make.discussion(project, people[i % 3], title=f"{word} {i}", body=f"{word} words")
    headers = token(viewer)
    costs = []
    for word in ("rare", "common"):
        with count_queries() as queries:
            response = client.get(
                f"{API}?q={word}&project=herbarium&author=person1&limit=100", headers=headers
            )
        assert response.status_code == 200
        assert len(response.get_json()["data"]) in (1, 10)
        costs.append(queries.count)
    assert costs[0] == costs[1], costs
    assert costs[0] <= 8, costs


def test_the_openapi_document_describes_search(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/search"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"q", "project", "board", "item", "author", "tag", "kind", "from", "to"} <= names
    assert {"cursor", "limit"} <= names
    result = spec["components"]["schemas"]["SearchResult"]["properties"]
    assert set(result) >= {"kind", "id", "title", "snippet_html", "url", "project", "score"}
    page = spec["components"]["schemas"]["SearchPage"]["properties"]
    assert set(page) == {"data", "next_cursor", "total", "narrowed_to"}
