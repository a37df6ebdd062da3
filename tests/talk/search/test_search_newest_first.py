"""Newest first (``TALK_SEARCH_NEWEST_SPAN``): a search that first asks only the newest ids and
widens when they hold too few matches gives exactly what one search of every document gives,
on every page; and it does take the steps it claims (a rare word widens, a common one does not).
"""

from __future__ import annotations

import base64
import json
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from talk.extensions import db
from talk.search import floors
from tests.talk.api.conftest import assert_error

QUERIES = ["birch", "oak", "rowan", '"silver birch"', "birch -oak", "oak OR rowan"]


@pytest.fixture
def grove(make):
    """Twelve threads of three comments, oldest first: "birch" in every comment, "oak" in every
    fourth, "silver birch" in every fifth, "rowan" in one old comment only."""
    project = make.project("herbarium")
    alice, bob = make.user("alice"), make.user("bob")
    for t in range(12):
        words = [_body(3 * t)]
        thread = make.discussion(project, alice, title=f"Sheet {t}", body=words[0])
        for k in (1, 2):
            make.comment(thread, bob if k == 1 else alice, _body(3 * t + k))
    return project


def _body(k: int) -> str:
    words = ["birch"]
    if k % 4 == 0:
        words.append("oak")
    if k % 5 == 0:
        words.append("silver birch")
    else:
        words.append("silver")
    if k == 4:
        words.append("rowan")
    return f"Comment {k}: " + ", ".join(words) + "."


def every_page(find, q, **filters):
    """Every page of ``q``, two results at a time: the pairs with their highlighted snippets,
    and the first page's counts."""
    first = find(q, limit=2, **filters)
    seen, cursor = _shown(first), first.next_cursor
    while cursor:
        page = find(q, limit=2, cursor=cursor, **filters)
        assert (page.narrowed_to, page.total) == (first.narrowed_to, first.total)
        seen.extend(_shown(page))
        cursor = page.next_cursor
    return seen, first.narrowed_to, first.total


def _shown(page):
    return [(pair, str(row.snippet_html)) for pair, row in zip(page.pairs, page.rows, strict=True)]


@contextmanager
def counted(app):
    """How many page statements (those that rank a window) run inside the block."""
    statements: list[str] = []

    def note(_conn, _cursor, sql, *_args) -> None:
        if " AS matched" in sql:
            statements.append(sql)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", note)


@pytest.mark.parametrize("window", [2, 7])
def test_newest_first_finds_what_one_search_finds(app, find, grove, window):
    app.config["TALK_PAGE_CACHE"] = False  # settings changed under a running server
    app.config["TALK_SEARCH_RANK_WINDOW"] = window
    for q in QUERIES:
        for filters in ({}, {"kind": "comment"}, {"author": "bob"}):
            app.config["TALK_SEARCH_NEWEST_SPAN"] = 0
            expected = every_page(find, q, project="herbarium", **filters)
            assert expected[0], (q, filters)  # every query finds something
            for span in (1, 2, 5):
                app.config["TALK_SEARCH_NEWEST_SPAN"] = span
                got = every_page(find, q, project="herbarium", **filters)
                assert got == expected, (q, filters, span)


def test_a_common_word_stops_at_the_first_step_and_a_rare_one_widens(app, find, grove):
    app.config["TALK_PAGE_CACHE"] = False
    app.config["TALK_SEARCH_RANK_WINDOW"] = 2
    app.config["TALK_SEARCH_NEWEST_SPAN"] = 1  # the newest 3 ids first
    with counted(app) as statements:
        common = find("birch")
    assert len(statements) == 1
    assert common.narrowed_to == 2
    with counted(app) as statements:
        rare = find("rowan")
    assert len(statements) > 1  # the newest ids hold no "rowan": asked again, wider
    assert rare.total == 1 and rare.narrowed_to is None

    with counted(app) as statements:
        by_bob = find("rowan", author="bob")  # a selective filter: every document at once
    assert len(statements) == 1
    assert by_bob.total == 1

    app.config["TALK_SEARCH_NEWEST_SPAN"] = 0
    with counted(app) as statements:
        assert find("rowan").pairs == rare.pairs
    assert len(statements) == 1


def test_the_floor_widens_until_every_document_is_asked():
    top, floor, window = 1_000_000, 999_000, 2000
    seen = []
    for found in (0, 5, 1999, 2000):
        lower = floors.lower(top, floor, found, window)
        assert lower is None or lower < floor
        seen.append(lower)
    # A step holding all but one of the window still widens (the next must hold window + 1).
    assert seen[2] is not None and top - seen[2] >= 2 * (top - floor)
    # Nothing found: 64 times the span, so a rare word reaches "every document" in few steps.
    assert seen[0] == top - 64 * 1000
    steps, floor2 = 0, floors.first(top, 3)
    while floor2 is not None:
        floor2 = floors.lower(top, floor2, 0, window)
        steps += 1
    assert steps <= 4
    assert floors.first(10, 10) is None and floors.first(None, 5) is None


def _recode(cursor: str, change) -> str:
    fields = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    raw = json.dumps(change(fields), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_later_pages_start_from_the_floor_page_one_settled_on(app, find, grove):
    app.config["TALK_PAGE_CACHE"] = False
    app.config["TALK_SEARCH_RANK_WINDOW"] = 7
    app.config["TALK_SEARCH_NEWEST_SPAN"] = 1  # the newest 8 ids first: too few
    with counted(app) as statements:
        first = find("birch", limit=1)
    assert len(statements) > 1 and first.narrowed_to == 7
    with counted(app) as statements:
        second = find("birch", limit=1, cursor=first.next_cursor)
    assert len(statements) == 1  # the cursor's floor: no steps again
    floor = json.loads(base64.urlsafe_b64decode(first.next_cursor + "==="))[4]
    assert floor > 0

    # A cursor without a floor (made before they were carried), or with a floor too high
    # (altered), gives the same page: the steps are taken again from where it says.
    for change in (lambda f: f[:4], lambda f: [*f[:4], f[3] - 1], lambda f: [*f[:4], 0]):
        again = find("birch", limit=1, cursor=_recode(first.next_cursor, change))
        assert (again.pairs, again.next_cursor is None) == (second.pairs, False)
        assert again.narrowed_to == 7


@pytest.mark.parametrize(
    "change",
    [
        lambda f: [*f[:4], -1],
        lambda f: [*f[:4], f[3]],  # not below the ceiling
        lambda f: [*f[:4], "1"],
        lambda f: [*f[:4], True],
        lambda f: [*f, 1],
    ],
)
def test_a_cursor_with_a_bad_floor_is_refused(app, client, grove, change):
    app.config["TALK_PAGE_CACHE"] = False
    app.config["TALK_SEARCH_RANK_WINDOW"] = 3
    first = client.get("/api/v1/search", query_string={"q": "oak", "limit": 1}).get_json()
    cursor = _recode(first["next_cursor"], change)
    response = client.get("/api/v1/search", query_string={"q": "oak", "cursor": cursor})
    assert_error(response, 422, "invalid", "cursor")
