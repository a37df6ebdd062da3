"""Anonymous searches (the page and the API) through the page cache: a visitor's search is
answered from it; a login's or a token's search, which may show a team-only board, is never
stored nor served to a visitor; a new, hidden, deleted or approved comment is in the very next
anonymous search (docs/page-cache.md)."""

from __future__ import annotations

from tests.conftest import login
from tests.moderation.prevention_helpers import decide, post, watch
from tests.talk.web.pages import submit, text

PAGE = "/search?project=herbarium&q="
API = "/api/v1/search?project=herbarium&q="


def _get(count_queries, client, url, **kwargs):
    """(answered from the cache: no SQL at all, the response)."""
    with count_queries() as queries:
        response = client.get(url, **kwargs)
    assert response.status_code == 200, url
    return queries.count == 0, response


def _found(response) -> set[int]:
    """The comments a search page or API answer shows (their ids)."""
    if response.mimetype == "application/json":
        return {row["id"] for row in response.get_json()["data"] if row["kind"] == "comment"}
    html = text(response)
    return {int(part.split('"', 1)[0]) for part in html.split('href="/comments/')[1:]}


def test_a_visitors_search_is_answered_from_the_cache(count_queries, visitor, place):
    for url in (PAGE + "leaf+lane", API + "leaf+lane"):
        first = visitor().get(url)
        assert first.status_code == 200 and "Set-Cookie" not in first.headers, url
        assert _found(first) == {place.reply.id}, url
        hit, again = _get(count_queries, visitor(), url)
        assert hit and again.data == first.data and "ETag" in again.headers, url
        # Another search (or page of it) is another key.
        assert not _get(count_queries, visitor(), url + "&kind=comment")[0], url


def test_a_search_that_cannot_be_run_is_not_stored(visitor, place):
    for url, status in (
        ("/search?q=leaf&project=nowhere", 404),
        ("/search?q=leaf&project=herbarium&from=yesterday", 422),
        ("/api/v1/search?q=leaf&project=nowhere", 404),
        ("/api/v1/search?q=leaf&project=herbarium&cursor=forged", 422),
    ):
        for _ in range(2):
            answer = visitor().get(url)
            assert answer.status_code == status and "ETag" not in answer.headers, url


def test_a_team_members_search_is_neither_stored_nor_given_to_a_visitor(
    count_queries, visitor, place, make, make_board, token
):
    make_board(place.project, "Staff room", read_level="team", write_level="team")
    secret = make.discussion(
        place.project, place.moderator, board="Staff room", title="Plans", body="Zebra rota"
    )
    mod = visitor()
    login(mod, "mod")
    staff = token(place.moderator)
    for url in (PAGE + "zebra", API + "zebra"):
        headers = staff if url.startswith("/api") else {}
        client = visitor() if headers else mod
        assert _found(_get(count_queries, client, url, headers=headers)[1]) == {
            secret.first_comment_id
        }, url
        # Not stored: the visitor's search runs, and finds nothing.
        hit, seen = _get(count_queries, visitor(), url)
        assert not hit and _found(seen) == set() and "Zebra" not in text(seen), url
        # The visitor's answer is stored now, and is never given to the team member.
        assert _get(count_queries, visitor(), url)[0], url
        hit, theirs = _get(count_queries, client, url, headers=headers)
        assert not hit and _found(theirs) == {secret.first_comment_id}, url


def test_a_held_comment_is_found_by_no_visitor_until_approved_then_at_once(
    count_queries, visitor, place, make
):
    watch(make, place.project, "scoundrel", action="hold")
    held = post(make, place.thread, place.author, "Zanzibarquill the scoundrel")
    assert held.held
    author = visitor()
    login(author, "ann")
    for url in (PAGE + "zanzibarquill", API + "zanzibarquill"):
        # Its author's own search (held comments are found by nobody) is not stored either.
        assert _found(author.get(url)) == set()
        assert not _get(count_queries, visitor(), url)[0]
        hit, seen = _get(count_queries, visitor(), url)
        assert hit and _found(seen) == set()
    decide(make, place.moderator, held.id)
    for url in (PAGE + "zanzibarquill", API + "zanzibarquill"):
        assert _found(visitor().get(url)) == {held.id}, url


def test_a_hidden_new_or_deleted_comment_shows_in_the_next_anonymous_search(
    count_queries, visitor, place
):
    urls = (PAGE + "leaf+lane", API + "leaf+lane")
    for url in urls:
        visitor().get(url)
        hit, seen = _get(count_queries, visitor(), url)
        assert hit and _found(seen) == {place.reply.id}
    mod = visitor()
    login(mod, "mod")
    hidden = submit(mod, place.url, f"/comments/{place.reply.id}/hide", reason="Address")
    assert hidden.status_code == 302
    for url in urls:
        assert _found(visitor().get(url)) == set(), url
        assert _get(count_queries, visitor(), url)[0], url
    author = visitor()
    login(author, "ann")
    assert submit(author, place.url, body="Leaf Lane again, sorry").status_code == 302
    new = {_found(visitor().get(url)).pop() for url in urls}
    assert len(new) == 1 and new != {place.reply.id}
    assert submit(author, place.url, f"/comments/{new.pop()}/delete").status_code == 302
    for url in urls:
        assert _found(visitor().get(url)) == set(), url
