"""The ranking window (``TALK_SEARCH_RANK_WINDOW``): a search ranks only its newest matches, says
so, and pages through that same window."""

from __future__ import annotations

import pytest

from tests.talk.web.pages import text

API = "/api/v1/search"


@pytest.fixture
def maples(make):
    """Five threads that mention maple, oldest first; the oldest matches best by far."""
    project = make.project("herbarium")
    alice = make.user("alice")
    bodies = [
        "Maple maple maple maple, a maple.",
        "A maple leaf, I think, pressed with some grasses and a label.",
        "Perhaps a maple, or a sycamore: the fruit is missing from the sheet.",
        "The collector wrote maple in pencil beside the stem and the date.",
        "Is this a maple? The veins look palmate to me, but it is faint.",
    ]
    threads = [
        make.discussion(project, alice, title=f"Sheet {i}", body=body)
        for i, body in enumerate(bodies)
    ]
    return project, alice, threads


def test_only_the_newest_matches_are_ranked(app, find, maples):
    _project, _alice, threads = maples
    everything = find("maple")
    assert everything.narrowed_to is None
    assert everything.total == 5
    assert everything.pairs[0] == ("comment", threads[0].first_comment_id)  # the best match

    # A setting changed under a running server (the page cache would answer as before).
    app.config["TALK_PAGE_CACHE"] = False
    app.config["TALK_SEARCH_RANK_WINDOW"] = 3
    narrowed = find("maple")
    assert narrowed.narrowed_to == 3
    assert narrowed.total == 3
    newest = {("comment", t.first_comment_id) for t in threads[2:]}
    assert set(narrowed.pairs) == newest  # the older two, the best one too, are not ranked

    app.config["TALK_SEARCH_RANK_WINDOW"] = 5
    exactly = find("maple")
    assert exactly.narrowed_to is None  # every match fits: not narrowed
    assert exactly.total == 5


def all_pages(find, q, cursor=None, between=None):
    """Every page of ``q`` one result at a time (calling ``between()`` after the first)."""
    first = find(q, limit=1, cursor=cursor)
    seen, cursor = list(first.pairs), first.next_cursor
    if between is not None:
        between()
    while cursor:
        page = find(q, limit=1, cursor=cursor)
        assert page.narrowed_to == first.narrowed_to
        seen.extend(page.pairs)
        cursor = page.next_cursor
    return seen


def test_pages_of_a_narrowed_search_stay_in_its_window(app, make, find, maples):
    project, alice, threads = maples
    # A setting changed under a running server (the page cache would answer as before).
    app.config["TALK_PAGE_CACHE"] = False
    app.config["TALK_SEARCH_RANK_WINDOW"] = 3
    window = {("comment", t.first_comment_id) for t in threads[2:]}
    seen = all_pages(find, "maple")
    assert len(seen) == len(set(seen)) == 3
    assert set(seen) == window

    # A newer match written between pages does not move this search's window. (On SQLite it
    # moves every bm25() score a little, so a result may show twice: see talk.search.)
    def write() -> None:
        make.discussion(project, alice, title="Later", body="Another maple.")

    assert set(all_pages(find, "maple", between=write)) == window
    # A new search starts from the newest matches again.
    assert len(find("maple").pairs) == 3
    assert ("comment", threads[2].first_comment_id) not in find("maple").pairs


def test_the_api_says_when_a_search_was_narrowed(app, client, maples):
    body = client.get(f"{API}?q=maple").get_json()
    assert body["narrowed_to"] is None
    assert body["total"] == 5
    # A setting changed under a running server (the page cache would answer as before).
    app.config["TALK_PAGE_CACHE"] = False
    app.config["TALK_SEARCH_RANK_WINDOW"] = 2
    body = client.get(f"{API}?q=maple").get_json()
    assert body["narrowed_to"] == 2
    assert body["total"] == 2
    assert len(body["data"]) == 2


def test_the_results_page_says_when_a_search_was_narrowed(app, client, maples):
    page = text(client.get("/search?q=maple&project=herbarium"))
    assert "5 results" in page
    assert "newest" not in page
    # A setting changed under a running server (the page cache would answer as before).
    app.config["TALK_PAGE_CACHE"] = False
    app.config["TALK_SEARCH_RANK_WINDOW"] = 3
    page = text(client.get("/search?q=maple&project=herbarium"))
    assert "More than 3 matches" in page
    assert "the best of the 3 newest" in page
    assert "5 results" not in page


def test_a_common_word_is_ranked_in_its_newest_window_whatever_the_filters(app, make, find):
    """Many matches: the newest are ranked, and a filter that leaves out the newest still
    finds the older."""
    project = make.project("herbarium")
    alice, bob = make.user("alice"), make.user("bob")
    threads = [
        make.discussion(project, bob if i < 3 else alice, title=f"Sheet {i}", body=f"Birch {i}.")
        for i in range(24)
    ]
    # A setting changed under a running server (the page cache would answer as before).
    app.config["TALK_PAGE_CACHE"] = False
    app.config["TALK_SEARCH_RANK_WINDOW"] = 2
    found = find("birch")
    assert found.narrowed_to == 2
    assert set(found.pairs) == {("comment", t.first_comment_id) for t in threads[-2:]}
    by_bob = find("birch", author="bob")
    assert by_bob.narrowed_to == 2
    assert set(by_bob.pairs) == {("comment", t.first_comment_id) for t in threads[1:3]}
    # A setting changed under a running server (the page cache would answer as before).
    app.config["TALK_PAGE_CACHE"] = False
    app.config["TALK_SEARCH_RANK_WINDOW"] = 3
    assert find("birch", author="bob").narrowed_to is None
