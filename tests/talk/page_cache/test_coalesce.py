"""One render per page after a write: requests of a process asking for a page another request
of it is rendering, for the same generation, wait for that render (docs/page-cache.md, "No
stampede"). Real threads and a real app, so these tests commit."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from talk.page_cache import PageCache
from tests.conftest import login

pytestmark = pytest.mark.commits

#: Longest any step of these tests waits for another thread: reached only when a test fails.
BOUND = 10


class Renders:
    """The app behind the cache, counting the renders since :meth:`arm`; the first one after it
    is held, once rendered, until :attr:`release` (a render still under way), then ends as
    :attr:`first_ends`."""

    def __init__(self, behind: Callable[..., Iterable[bytes]]) -> None:
        self.behind = behind
        self.count = 0
        self.lock = threading.Lock()
        self.held = threading.Event()
        self.release = threading.Event()
        self.first_ends = "well"
        self.armed = False

    def arm(self) -> None:
        self.count, self.armed = 0, True

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        with self.lock:
            self.count += 1
            first, self.armed = self.armed, False
        if not first:
            return self.behind(environ, start_response)

        def with_a_cookie(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            return start_response(status, [*headers, ("Set-Cookie", "seen=1")], *exc_info)

        answer = with_a_cookie if self.first_ends == "with a cookie" else start_response
        result = self.behind(environ, answer)
        self.held.set()
        assert self.release.wait(BOUND)
        if self.first_ends == "raising":
            raise RuntimeError("the render failed")
        return result


@pytest.fixture
def renders(cache: PageCache, monkeypatch: pytest.MonkeyPatch) -> Renders:
    counted = Renders(cache.wsgi_app)
    monkeypatch.setattr(cache, "wsgi_app", counted)
    return counted


def _waiting(cache: PageCache, count: int) -> None:
    """Return once ``count`` requests wait for a render."""
    with cache._renders_changed:
        assert cache._renders_changed.wait_for(
            lambda: sum(r.waiting for r in cache._renders.values()) >= count, BOUND
        )


def _get(client: FlaskClient, url: str) -> TestResponse:
    response = client.get(url)
    response.close()
    return response


def _first_then_others(
    pool: ThreadPoolExecutor,
    cache: PageCache,
    renders: Renders,
    clients: list[FlaskClient],
    url: str,
) -> tuple[Future[TestResponse], list[Future[TestResponse]]]:
    """The first client's request renders ``url`` and is held; the others come meanwhile and
    wait for it; then it is released."""
    renders.arm()
    first = pool.submit(_get, clients[0], url)
    assert renders.held.wait(BOUND)
    others = [pool.submit(_get, client, url) for client in clients[1:]]
    _waiting(cache, len(others))
    renders.release.set()
    return first, others


def test_requests_for_a_page_being_rendered_wait_for_it(app: Flask, cache, renders, place, make):
    """Right after a write, eight requests for a page: one render, the same page for all."""
    app.test_client().get(place.url)
    make.comment(place.thread, place.author, "Newer words")  # the generation moves
    with ThreadPoolExecutor(8) as pool:
        first, others = _first_then_others(
            pool, cache, renders, [app.test_client() for _ in range(8)], place.url
        )
        pages = [first.result(BOUND)] + [other.result(BOUND) for other in others]
    assert renders.count == 1
    assert {page.status_code for page in pages} == {200}
    assert len({page.data for page in pages}) == 1 and b"Newer words" in pages[0].data
    assert not cache._renders


def test_a_request_that_read_a_later_generation_never_gets_an_earlier_render(
    app: Flask, cache, renders, place, make, monkeypatch
):
    """A render begun before a write is not waited for by a request that came after it: that
    one renders (and is waited for) on its own."""
    monkeypatch.setattr(cache, "wait_seconds", 60)  # a wrong wait would outlast BOUND
    renders.arm()
    with ThreadPoolExecutor(3) as pool:
        before = pool.submit(_get, app.test_client(), place.url)
        assert renders.held.wait(BOUND)
        make.comment(place.thread, place.author, "Newer words")
        after = pool.submit(_get, app.test_client(), place.url).result(BOUND)
        renders.release.set()
        assert b"Newer words" not in before.result(BOUND).data
    assert b"Newer words" in after.data and renders.count == 2


@pytest.mark.parametrize("ends", ["raising", "with a cookie"])
def test_when_the_render_waited_for_is_not_kept_the_waiters_render(
    app: Flask, cache, renders, place, ends, monkeypatch
):
    """A render that raised, or answered what may not be kept (here a cookie), wakes those
    waiting for it at once; each renders its own page, and none gets that answer."""
    monkeypatch.setattr(cache, "wait_seconds", 60)  # woken only by its end: past BOUND
    renders.first_ends = ends
    with ThreadPoolExecutor(4) as pool:
        first, others = _first_then_others(
            pool, cache, renders, [app.test_client() for _ in range(4)], place.url
        )
        pages = [other.result(BOUND) for other in others]
        if ends == "raising":
            with pytest.raises(RuntimeError):
                first.result(BOUND)
        else:
            assert "Set-Cookie" in first.result(BOUND).headers
    assert renders.count == 4
    assert all(page.status_code == 200 and "Set-Cookie" not in page.headers for page in pages)
    assert all(b"Sheet question" in page.data for page in pages)


def test_a_waiter_renders_itself_once_its_wait_is_over(
    app: Flask, cache, renders, place, monkeypatch
):
    """The wait is bounded: a render that hangs holds nobody past ``wait_seconds``."""
    monkeypatch.setattr(cache, "wait_seconds", 0.01)
    renders.arm()
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(_get, app.test_client(), place.url)
        assert renders.held.wait(BOUND)
        waiter = pool.submit(_get, app.test_client(), place.url).result(BOUND)
        assert not first.done()  # still rendering: the waiter did not wait for it
        renders.release.set()
        assert first.result(BOUND).status_code == 200
    assert waiter.status_code == 200 and b"Sheet question" in waiter.data
    assert renders.count == 2


def test_the_same_logins_requests_wait_for_its_render(app: Flask, cache, renders, place, make):
    """A logged-in page kept per login: requests with the very same credentials wait for the
    render of one of them."""
    ann = app.test_client()
    login(ann, "ann")
    ann.get("/notifications")  # shows the "logged in" flash: not kept
    same = app.test_client()
    for name in ("session", "remember_token"):
        cookie = ann.get_cookie(name, domain="talk.test")
        if cookie is not None:
            same.set_cookie(name, cookie.value, domain="talk.test")
    with ThreadPoolExecutor(2) as pool:
        first, [other] = _first_then_others(pool, cache, renders, [ann, same], "/notifications")
        pages = [first.result(BOUND), other.result(BOUND)]
    assert renders.count == 1
    assert pages[0].data == pages[1].data and b"Ann Author" in pages[0].data
