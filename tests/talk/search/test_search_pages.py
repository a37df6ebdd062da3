"""The search page and the search box on every project page."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import login
from tests.talk.web.pages import outline, text


@pytest.fixture
def site(make):
    project = make.project("herbarium")
    alice = make.user("alice")
    item = make.item(project, prefix="sheet")
    chat = make.discussion(
        project, alice, title="Identifying an oak", body="The leaves of an old English oak."
    )
    about = make.discussion(project, alice, item=item, title="Label", body="Oak gall ink?")
    return project, alice, item, chat, about


def result_links(response):
    """The results' links, in order."""
    html = text(response)
    section = html.split('id="results-heading"', 1)[1] if 'id="results-heading"' in html else ""
    return re.findall(r'<a class="title" href="([^"]+)"', section)


def test_every_project_page_has_the_projects_search_box(client, site):
    project, _alice, item, chat, _about = site
    pages = [
        "/projects/herbarium",
        f"/projects/herbarium/boards/{project.boards['Chat'].id}",
        "/projects/herbarium/items",
        f"/projects/herbarium/items/{item.external_id}",
        f"/discussions/{chat.id}",
        "/projects/herbarium/comments",
    ]
    for path in pages:
        page = outline(client.get(path))
        # (The item list has a search of its own, for items: role="search" too.)
        (form,) = page.find("form", role="search", action="/search")
        assert form["method"] == "get", path
        assert page.find("input", type="hidden", name="project", value="herbarium"), path
        (box,) = page.find("input", type="search", name="q", id="project-search-q")
        assert page.find("label", **{"for": box["id"]}), path
    assert not outline(client.get("/")).find("form", role="search")


def test_an_empty_search_shows_the_form(client, site):
    response = client.get("/search?project=herbarium")
    assert response.status_code == 200
    page = outline(response)
    assert page.find("input", type="search", name="q", value="")
    assert "Search Herbarium sheets" in text(response)
    assert "results-heading" not in text(response)
    assert client.get("/search").status_code == 200


def test_results_say_what_they_are_where_and_link_to_it(client, site):
    _project, _alice, item, chat, about = site
    response = client.get("/search?q=oak&project=herbarium")
    assert response.status_code == 200
    links = result_links(response)
    # One result per thread (the title "Identifying an oak" is not a second one), linking to
    # the comment that matched.
    assert set(links) == {
        f"/comments/{chat.first_comment_id}",
        f"/comments/{about.first_comment_id}",
    }
    html = re.sub(r"\s+", " ", text(response))
    assert "<mark>oak</mark>" in html.lower()
    assert "Comment" in html and "in Chat" in html
    assert '<p class="result-count" role="status">2 results</p>' in html
    assert f"about {item.title}" in html
    page = outline(response)
    assert page.find("input", type="search", name="q", value="oak")
    assert page.find("input", type="hidden", name="project", value="herbarium")
    item_page = client.get(f"/search?q={item.external_id}&project=herbarium")
    assert result_links(item_page) == [f"/projects/herbarium/items/{item.external_id}"]


def test_nothing_found_says_so(client, site):
    response = client.get("/search?q=pineapple&project=herbarium")
    assert response.status_code == 200
    assert "Nothing found" in text(response)


def test_snippets_show_markup_as_text(client, make, site):
    project, alice, *_ = site
    make.discussion(
        project,
        alice,
        title="Odd",
        body='<script>alert("wombat")</script> **wombat** & wombat <img src=x onerror="alert(1)">',
    )
    response = client.get("/search?q=wombat")
    html = text(response)
    results = html.split('id="results-heading"', 1)[1]
    assert "<script" not in results and "<img" not in results
    # The rendered comment's text: the tags typed show as text, the Markdown is gone.
    assert "&lt;script&gt;alert(&#34;<mark>wombat</mark>&#34;)&lt;/script&gt;" in results
    assert "<mark>wombat</mark> &amp; <mark>wombat</mark>" in results and "**" not in results


def test_more_results_pages_through_everything_once(client, make, site, app):
    project, alice, *_ = site
    app.config["TALK_PAGE_SIZE"] = 4
    thread = make.discussion(project, alice, title="Yews", body="yew")
    for i in range(10):
        make.discussion(project, alice, title=f"Tree {i}", body=f"yew {i}")
        make.comment(thread, alice, f"yew again {i}")  # the same thread: still one result
    seen, url, pages = [], "/search?q=yew&project=herbarium", 0
    while url:
        response = client.get(url)
        assert response.status_code == 200
        assert "11 results, best first" in text(response)
        seen.extend(result_links(response))
        pages += 1
        more = outline(response).find("a", rel="next")
        url = more[0]["href"] if more else None
        if url:
            args = parse_qs(urlsplit(url).query)
            assert args["q"] == ["yew"] and args["project"] == ["herbarium"] and args["cursor"]
    assert pages == 3
    assert len(seen) == len(set(seen)) == 11


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("q=oak&project=nowhere", 404, "No project 'nowhere'."),
        ("q=&project=nowhere", 404, "No project 'nowhere'."),
        ("q=oak&from=2026-13-01", 422, "from must be a date written YYYY-MM-DD."),
        ("q=oak&to=14/03/2026", 422, "to must be a date written YYYY-MM-DD."),
        ("q=oak&from=2026-03-02&to=2026-03-01", 422, "The search period ends before it starts."),
        ("q=oak&board=abc", 422, "board must be a number."),
        ("q=oak&board=99999", 404, "No board 99999."),
        ("q=oak&kind=pages", 422, "Unknown kind of result."),
        ("q=oak&author=nobody", 404, "No user named 'nobody'."),
        ("q=oak&item=sheet-1", 422, "Searching one item needs its project."),
        ("q=oak&project=herbarium&item=nope", 404, "No item 'nope'"),
        ("q=-oak", 422, "Say what to look for, not only what to leave out."),
        ("q=oak&cursor=garbage", 422, "The page cursor is not valid."),
    ],
)
def test_bad_requests_answer_4xx_naming_the_problem(client, site, query, status, message):
    response = client.get(f"/search?{query}")
    assert response.status_code == status, text(response)
    assert message in text(response).replace("&#39;", "'")
    assert outline(response).find("div", role="alert")
    assert outline(response).find("input", type="search", name="q")


def test_restricted_boards_show_only_to_those_who_may_read_them(client, make, site, staff_room):
    project, _alice, *_ = site
    team = make.member(project, "team", username="staffer")
    room = staff_room(project, team)
    anonymous = client.get("/search?q=zebra")
    assert result_links(anonymous) == [] and "result-count" not in text(anonymous)
    login(client, "alice")
    assert result_links(client.get("/search?q=zebra&project=herbarium")) == []
    client.post("/logout", data={"csrf_token": csrf(client)})
    login(client, "staffer")
    assert result_links(client.get("/search?q=zebra&project=herbarium")) == [
        f"/comments/{room.comment_id}"
    ]


def csrf(client):
    from tests.conftest import csrf_token

    return csrf_token(client, "/")


def test_a_search_page_costs_the_same_with_3_or_30_results(client, make, count_queries):
    project = make.project("herbarium")
    make.grant(project, make.user("viewer"), "team")
    people = [make.user(f"person{i}") for i in range(3)]
    items = make.items(project, 3, prefix="sheet")
    for word, n in (("rare", 3), ("common", 30)):
        for i in range(n):
            author = people[i % 3]
            if i % 3 == 0:
                make.discussion(project, author, item=items[i % 3], title=f"{word} {i}", body=word)
            else:
                make.discussion(project, author, title=f"Chat {i}", body=f"{word} words")
    login(client, "viewer")
    counts = []
    for word in ("rare", "common"):
        url = f"/search?q={word}&project=herbarium&author=person0&kind=discussion"
        for path in (url, f"/search?q={word}&project=herbarium"):
            with count_queries() as queries:
                response = client.get(path)
            assert response.status_code == 200
            counts.append(queries.count)
    assert counts[0] == counts[2] and counts[1] == counts[3], counts
    assert max(counts) <= 10, counts
