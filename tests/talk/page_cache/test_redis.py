"""The page cache on Redis (``TALK_PAGE_CACHE_URL``): shared by servers, and harmless when Redis
is down. Needs Redis on 127.0.0.1:6379 (database 13); skipped without it."""

from __future__ import annotations

import os

import pytest

from talk.page_cache import RedisBackend
from talk.page_cache_people import make_personal_backend
from talk.page_cache_stores import RedisGeneration
from tests.conftest import login
from tests.talk.web.pages import submit, text

URL = "redis://127.0.0.1:6379/13"


def _reachable() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(URL, socket_connect_timeout=0.5).ping())
    except Exception:
        return False


@pytest.fixture
def redis_backend(cache):
    if not _reachable():
        pytest.skip("no Redis on 127.0.0.1:6379")
    prefix = f"talk-test:{os.environ.get('PYTEST_XDIST_WORKER', 'main')}:{os.getpid()}:"
    backend = RedisBackend(URL, prefix=prefix)
    original = cache.backend
    cache.backend = backend
    yield backend
    cache.backend = original
    for key in backend.client.scan_iter(prefix + "*"):
        backend.client.delete(key)


def _queries(count_queries, client, url):
    with count_queries() as queries:
        response = client.get(url)
    assert response.status_code == 200
    return queries.count, text(response)


def test_a_page_stored_by_one_server_is_served_by_another(
    count_queries, visitor, place, cache, redis_backend
):
    visitor().get(place.url)
    cache.backend = RedisBackend(URL, prefix=redis_backend.PREFIX)  # another server
    assert _queries(count_queries, visitor(), place.url)[0] == 0


def test_a_hide_on_one_server_empties_every_servers_cache(
    count_queries, visitor, place, cache, redis_backend
):
    visitor().get(place.url)
    assert "1 Leaf Lane" in _queries(count_queries, visitor(), place.url)[1]
    mod = visitor()
    login(mod, "mod")
    assert submit(mod, place.url, f"/comments/{place.reply.id}/hide").status_code == 302
    cache.backend = RedisBackend(URL, prefix=redis_backend.PREFIX)  # another server
    count, html = _queries(count_queries, visitor(), place.url)
    assert count > 0 and "1 Leaf Lane" not in html


def test_redis_down_serves_every_page_uncached(count_queries, visitor, place, cache):
    original = cache.backend
    cache.backend = RedisBackend("redis://127.0.0.1:1/0")  # nothing listens there
    try:
        for _ in range(2):
            count, html = _queries(count_queries, visitor(), place.url)
            assert count > 0 and "First words" in html
        author = visitor()
        login(author, "ann")
        assert submit(author, place.url, body="Written while Redis is down").status_code == 302
        assert cache.unsynced  # the bump failed: this process serves uncached
        assert "Written while Redis is down" in text(visitor().get(place.url))
    finally:
        cache.backend = original
        cache.bump()
    assert not cache.unsynced


@pytest.fixture
def redis_personal(app, cache, redis_backend):
    """Logged-in pages kept in this process, their private generation in Redis."""
    original = cache.personal.backend
    cache.personal.backend = make_personal_backend(app, redis_backend)
    yield cache.personal.backend
    cache.personal.backend = original


def _logged_in(visitor, username):
    client = visitor()
    login(client, username)
    for _ in range(2):  # the first view shows the "Logged in" flash: not kept
        client.get("/notifications")
    return client


def test_a_logged_in_page_is_kept_and_a_write_on_another_server_drops_it(
    app, count_queries, visitor, place, redis_backend, redis_personal
):
    ann = _logged_in(visitor, "ann")
    assert _queries(count_queries, ann, "/notifications")[0] == 0
    # Another server's write moves the private generation they share in Redis.
    RedisGeneration(RedisBackend(URL, prefix=redis_backend.PREFIX), "private-generation").bump()
    assert _queries(count_queries, ann, "/notifications")[0] > 0
    assert _queries(count_queries, ann, "/notifications")[0] == 0
    mod = visitor()
    login(mod, "mod")
    assert submit(mod, place.url, f"/comments/{place.reply.id}/hide").status_code == 302
    assert _queries(count_queries, ann, "/notifications")[0] > 0


def test_redis_down_serves_logged_in_pages_uncached(app, count_queries, visitor, place, cache):
    original = cache.personal.backend
    cache.personal.backend = make_personal_backend(app, RedisBackend("redis://127.0.0.1:1/0"))
    try:
        ann = _logged_in(visitor, "ann")
        for _ in range(2):
            count, html = _queries(count_queries, ann, place.url)
            assert count > 0 and "First words" in html
    finally:
        cache.personal.backend = original
        cache.personal.bump()
    assert not cache.personal.unsynced


def test_each_persons_generation_is_shared_in_redis(
    app, count_queries, visitor, place, redis_backend, redis_personal
):
    """Another server's write for Ann drops her kept page; one for Mo keeps it."""
    from talk.page_cache_people import RedisPeople

    ann = _logged_in(visitor, "ann")
    assert _queries(count_queries, ann, "/notifications")[0] == 0
    elsewhere = RedisPeople(RedisBackend(URL, prefix=redis_backend.PREFIX))
    elsewhere.bump([place.moderator.id])
    assert _queries(count_queries, ann, "/notifications")[0] == 0
    elsewhere.bump([place.author.id])
    assert _queries(count_queries, ann, "/notifications")[0] > 0
    assert _queries(count_queries, ann, "/notifications")[0] == 0


def test_a_generation_never_comes_back_after_its_key_is_lost(redis_backend):
    """Redis restarted, or evicted a generation's key while pages kept under it live on: no
    later read may give a value already used (a counter, or "0" for a missing key, would)."""
    from talk.page_cache_people import RedisPeople

    generation = RedisGeneration(redis_backend, "generation")
    people = RedisPeople(redis_backend)
    used = {generation.read()}, {people.read(7)}  # before any bump: pages kept under these
    assert (generation.read(), people.read(7)) == (min(used[0]), min(used[1]))  # stable
    for _ in range(2):
        generation.bump()
        people.bump([7])
        used[0].add(generation.read())
        used[1].add(people.read(7))
        redis_backend.client.delete(generation.key, people.key)
        assert generation.read() not in used[0]
        assert people.read(7) not in used[1]
        used[0].add(generation.read())
        used[1].add(people.read(7))
