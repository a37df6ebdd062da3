"""The page cache for the JSON API's public reads: anonymous callers are answered from it, a token
or a login never gets or fills it, and a change is in the very next answer (docs/page-cache.md)."""

from __future__ import annotations

import json

from flask import Flask

from talk import page_cache
from tests.conftest import login
from tests.talk.web.pages import submit

API = "/api/v1"


def _get(count_queries, client, url, **kwargs):
    """(answered from the cache: no SQL at all, the response)."""
    with count_queries() as queries:
        response = client.get(url, **kwargs)
    return queries.count == 0, response


def _bodies(response) -> list[str | None]:
    return [comment["body"] for comment in response.get_json()["data"]]


def test_every_cacheable_api_endpoint_exists(app: Flask):
    """A misspelt name would silently never be cached."""
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    assert endpoints >= page_cache.CACHEABLE_API_ENDPOINTS


def test_each_public_read_is_answered_from_the_cache(count_queries, visitor, place, make):
    item = make.item(place.project)
    make.comment(place.thread, place.author, "A #fern here")
    board_id = place.project.boards["Chat"].id
    urls = [
        "/projects",
        "/projects/herbarium",
        "/projects/herbarium/boards",
        f"/boards/{board_id}",
        f"/boards/{board_id}/discussions",
        "/projects/herbarium/items",
        f"/projects/herbarium/items/{item.external_id}",
        f"/projects/herbarium/items/{item.external_id}/discussions",
        f"/projects/herbarium/items/{item.external_id}/tags",
        f"/discussions/{place.thread.id}",
        f"/discussions/{place.thread.id}/comments",
        f"/comments/{place.reply.id}",
        "/projects/herbarium/tags",
        "/projects/herbarium/tags/fern",
        "/projects/herbarium/groups",
    ]
    for url in urls:
        first = visitor().get(API + url)
        assert first.status_code == 200 and first.mimetype == "application/json", url
        assert "Set-Cookie" not in first.headers, url
        hit, again = _get(count_queries, visitor(), API + url)
        assert hit, url
        assert again.get_json() == first.get_json() and again.mimetype == "application/json"
        assert "ETag" in again.headers


def test_a_refused_or_missing_read_is_not_stored(visitor, place):
    """Only what the cache stored or served carries its validators."""
    missing = f"{API}/discussions/{place.thread.id + 1000}"
    bad = f"{API}/discussions/{place.thread.id}/comments?limit=0"
    for url, status in ((missing, 404), (bad, 422), (missing, 404), (bad, 422)):
        answer = visitor().get(url)
        assert answer.status_code == status and "ETag" not in answer.headers


def test_an_endpoint_not_listed_is_never_cached(count_queries, visitor, place):
    url = f"{API}/projects/herbarium/content-warnings"
    assert visitor().get(url).status_code == 200
    assert not _get(count_queries, visitor(), url)[0]


def test_a_token_never_gets_nor_fills_the_cache(
    count_queries, visitor, place, make, make_board, token
):
    make_board(place.project, "Staff room", read_level="team", write_level="team")
    secret = make.discussion(place.project, place.moderator, board="Staff room", title="Plans")
    url = f"{API}/discussions/{secret.id}"
    staff = token(place.moderator)
    # The token's answer is not stored: a visitor then still gets the 404 it is due.
    assert visitor().get(url, headers=staff).get_json()["title"] == "Plans"
    assert visitor().get(url).status_code == 404
    # A stored visitor's answer is not given to a token either.
    comments = f"{API}/discussions/{place.thread.id}/comments"
    visitor().get(comments)
    assert _get(count_queries, visitor(), comments)[0]
    assert not _get(count_queries, visitor(), comments, headers=staff)[0]
    assert not _get(count_queries, visitor(), comments, headers={"Authorization": "Bearer x"})[0]


def test_a_logged_in_browser_never_gets_nor_fills_the_cache(count_queries, visitor, place):
    url = f"{API}/discussions/{place.thread.id}/comments"
    ann = visitor()
    login(ann, "ann")
    assert ann.get(url).status_code == 200
    assert not _get(count_queries, visitor(), url)[0]  # the login's answer was not stored
    assert _get(count_queries, visitor(), url)[0]
    assert not _get(count_queries, ann, url)[0]


def test_a_hidden_comment_is_gone_from_the_next_anonymous_answer(count_queries, visitor, place):
    url = f"{API}/discussions/{place.thread.id}/comments"
    visitor().get(url)
    hit, cached = _get(count_queries, visitor(), url)
    assert hit and "A secret address, 1 Leaf Lane" in _bodies(cached)
    mod = visitor()
    login(mod, "mod")
    hidden = submit(mod, place.url, f"/comments/{place.reply.id}/hide", reason="Address")
    assert hidden.status_code == 302
    for answer in (visitor().get(url), visitor().get(f"{API}/comments/{place.reply.id}")):
        assert "1 Leaf Lane" not in json.dumps(answer.get_json())


def test_a_deleted_comment_is_gone_from_the_next_anonymous_answer(
    count_queries, visitor, place, token
):
    url = f"{API}/comments/{place.reply.id}"
    visitor().get(url)
    assert _get(count_queries, visitor(), url)[1].get_json()["body"] is not None
    deleted = visitor().delete(url, headers=token(place.author))
    assert deleted.status_code == 200
    answer = visitor().get(url).get_json()
    assert answer["deleted"] and answer["body"] is None
    listed = visitor().get(f"{API}/discussions/{place.thread.id}/comments")
    assert "1 Leaf Lane" not in json.dumps(listed.get_json())


def test_a_new_comment_through_the_api_shows_at_once(visitor, place, token):
    url = f"{API}/discussions/{place.thread.id}/comments"
    assert "A late reply" not in _bodies(visitor().get(url))
    posted = visitor().post(url, json={"body": "A late reply"}, headers=token(place.author))
    assert posted.status_code == 201
    assert "A late reply" in _bodies(visitor().get(url))
