"""A page's statement is built once per shape (talk.search.statement) and run with each search's
own values: searches of one shape share one statement object, and no search's words, filters or
cursor stay behind in it for the next."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event
from sqlalchemy.engine.default import CACHE_HIT

from talk.extensions import db


@pytest.fixture
def orchard(make):
    """Four threads: Alice's about apples, Bob's about pears, one comment each about both."""
    project = make.project("herbarium")
    alice, bob = make.user("alice"), make.user("bob")
    for t in range(2):
        apples = make.discussion(project, alice, title=f"Apples {t}", body="A russet apple.")
        make.comment(apples, bob, "A pear next to the apple.")
        make.discussion(project, bob, title=f"Pears {t}", body="A conference pear.")
    return project


@contextmanager
def page_statements(app):
    """The page statements run inside the block (those ranking a window), as (the statement
    object, whether SQLAlchemy's compiled cache held its SQL)."""
    run: list[tuple[object, bool]] = []
    pending: list[object] = []

    def before(_conn, element, *_args) -> None:
        pending.append(element)

    def after(_conn, _cursor, sql, _params, context, _many) -> None:
        element = pending.pop()
        if " AS matched" in sql:
            run.append((element, context.cache_hit is CACHE_HIT))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield run
    finally:
        event.remove(engine, "before_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def test_searches_of_one_shape_share_one_statement_and_its_compiled_sql(app, find, orchard):
    app.config["TALK_SEARCH_NEWEST_SPAN"] = 0  # one statement a search
    with page_statements(app) as run:
        apples = find("russet", project="herbarium")
        pears = find("conference", project="herbarium")
    assert len(apples.pairs) == 2 and len(pears.pairs) == 2
    assert {row.title for row in apples.rows} == {"Apples 0", "Apples 1"}
    assert {row.title for row in pears.rows} == {"Pears 0", "Pears 1"}
    (first, _), (second, cached) = run
    assert second is first
    assert cached


def test_a_kept_statement_keeps_no_search_s_values(app, find, make, orchard):
    """Filters, words and cursors of one shape asked in alternation each get their own answer."""
    app.config["TALK_SEARCH_NEWEST_SPAN"] = 0
    by_author = {name: find("apple", project="herbarium", author=name) for name in ("alice", "bob")}
    assert len(by_author["alice"].pairs) == 2  # the two threads' titles and first comments
    assert {kind for kind, _ in by_author["bob"].pairs} == {"comment"}
    assert set(by_author["alice"].pairs).isdisjoint(by_author["bob"].pairs)
    assert find("apple", project="herbarium", author="alice").pairs == by_author["alice"].pairs

    make.project("archive")
    assert find("apple", project="archive").pairs == []
    assert len(find("apple", project="herbarium").pairs) == 2  # one result a thread

    first = find("pear", project="herbarium", limit=1)
    other = find("apple", project="herbarium", limit=1)
    assert first.next_cursor and other.next_cursor
    second = find("pear", project="herbarium", limit=1, cursor=first.next_cursor)
    assert second.pairs and second.pairs != first.pairs
    assert find("apple", project="herbarium", limit=1, cursor=other.next_cursor).pairs not in (
        [],
        other.pairs,
    )
