"""Full-text search over a project's comments, discussion titles, items and tags.

One interface, two engines: :func:`search` parses the query (:mod:`talk.search.query`), resolves
the filters, and asks the engine of the database in use — FTS5 on SQLite
(:mod:`talk.search.sqlite`), ``tsvector`` + GIN on PostgreSQL (:mod:`talk.search.postgres`) —
for one page of ranked, highlighted results. The index itself is kept by database triggers
(migration ``0003_search``), so no service has to remember to update it.

One result per thing. A discussion's title and its comments are one result (ranked by the
best of them, shown by the best-matching comment, else by the title); items and tags are their
own. The page's one query groups them with window functions and counts them (``total``).

The ranking window. A search ranks only the newest ``TALK_SEARCH_RANK_WINDOW`` matching
documents (default 2,000): each engine finds them newest first through its index and stops there,
so a search costs the same whether a word matches ten documents or half a million (a herbarium's
"leaf"). When more match, :attr:`Results.narrowed_to` says so and ``total`` counts the results
among the ranked ones only; pages say "the best of the 2,000 newest matches". docs/search.md
has the why and the measurements.

Ranking and pages. Results are ordered by score (higher is better: ``-bm25()`` on SQLite,
``ts_rank_cd()`` on PostgreSQL), ties by document id, newest first. A page cursor carries the
last row's ``(score, id)`` — keyset pagination, so page N costs what page 1 costs — plus a
fingerprint of the query and filters, so a cursor cannot be replayed against another search, and
the newest document id of page 1's window, so later pages rank the same window even when new
matches are written meanwhile.
Page N never repeats nor skips a result of the same search while the index is unchanged. On
PostgreSQL ``ts_rank_cd`` depends on the document alone, so writes elsewhere do not move
anything across a page boundary either; on SQLite ``bm25()`` uses collection statistics, so a
write between two page requests can nudge scores and, rarely, move a near-tie across the
boundary.

Who sees what. Comments and discussions are found only on boards the viewer may read
(:func:`talk.policy.readable_boards_filter`, the SQL twin of ``board.read``); items and tags are
public, like their pages. Deleted comments and tags nobody uses have no document at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import current_app, url_for
from markupsafe import Markup
from sqlalchemy import func, select

from talk.errors import InvalidInput
from talk.extensions import db
from talk.models import Board, Project
from talk.search import cursors, floors, schema, scope
from talk.search.filters import KINDS, Filters
from talk.search.query import SearchQuery, parse
from talk.search.scope import parse_day, search_scope
from talk.search.snippets import cut, split
from talk.search.statement import page_statement
from talk.services import accounts
from talk.text import plain_text

__all__ = [
    "KINDS",
    "Results",
    "SearchRequest",
    "SearchResult",
    "parse",
    "parse_day",
    "search",
    "search_scope",
]

_NEWEST_DOCUMENT = select(func.max(schema.documents.c.id))


@dataclass(frozen=True)
class SearchRequest:
    """What was asked, as typed (names, not ids); :func:`search` checks and resolves it."""

    q: str
    project: str | None = None
    board: int | None = None
    item: str | None = None
    author: str | None = None
    tag: str | None = None
    kind: str | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True)
class SearchResult:
    """One thing found, with what a results list shows about it."""

    kind: str
    id: int
    title: str
    snippet_html: Markup
    score: float
    created_at: datetime
    project_slug: str
    project_title: str
    discussion_id: int | None = None
    board_title: str | None = None
    item_external_id: str | None = None
    item_title: str | None = None
    author_username: str | None = None
    author_name: str | None = None

    @property
    def project(self) -> str:
        return self.project_slug

    @property
    def author(self) -> str | None:
        return self.author_username

    def url(self, *, external: bool = False) -> str:
        """The page showing it: a comment's permalink, a discussion, an item, a tag."""
        if self.kind == "comment":
            return url_for("discussions.comment", comment_id=self.id, _external=external)
        if self.kind == "discussion":
            return url_for("discussions.show", discussion_id=self.id, _external=external)
        if self.kind == "item":
            return url_for(
                "projects.item",
                slug=self.project_slug,
                external_id=self.item_external_id,
                _external=external,
            )
        if "tags.show" in current_app.view_functions:
            return url_for("tags.show", slug=self.project_slug, name=self.title, _external=external)
        return url_for("projects.home", slug=self.project_slug, _external=external)


@dataclass
class Results:
    """A page of results, and what the search was resolved to (for the page around it)."""

    rows: list[SearchResult]
    next_cursor: str | None
    query: SearchQuery
    project: Project | None = None
    board: Board | None = None
    filters: Filters = field(default_factory=Filters)
    #: How many results the search has on all its pages (exact: counted by the page's own
    #: query); None for a page past the end, which has no row to carry it. When
    #: ``narrowed_to`` is set, only the results among the ranked matches (so: at least).
    total: int | None = None
    #: The ranking window (``TALK_SEARCH_RANK_WINDOW``) when more documents matched than it
    #: holds, so only the newest that many were ranked; None when every match was ranked.
    narrowed_to: int | None = None


# --------------------------------------------------------------------------- searching


def _engine(query: SearchQuery, languages: list[str]) -> Any:
    if db.session.get_bind().dialect.name == "postgresql":
        from talk.search.postgres import PostgresSearch

        return PostgresSearch(query, languages)
    from talk.search.sqlite import SqliteSearch

    return SqliteSearch(query, languages)


def search(viewer: Any, request: SearchRequest, *, cursor: str | None, limit: int) -> Results:
    """One page of what ``viewer`` may read that matches ``request``, best first.

    Raises :class:`InvalidInput` for a query or filter that cannot be searched (naming it) and
    :class:`NotFound` for a project, board, item, author or tag that does not exist — or, for a
    board, that the viewer may not read.
    """
    query = parse(request.q)
    if request.kind is not None and request.kind not in KINDS:
        raise InvalidInput(
            "Unknown kind of result.", {"kind": [f"Use one of: {', '.join(KINDS)}."]}
        )
    project = search_scope(request.project) if request.project else None
    board = scope.board(viewer, request.board, project) if request.board is not None else None
    if board is not None and project is None:
        project = board.project
    item_name = scope.check_text(request.item, "item")
    author_name = scope.check_text(request.author, "author")
    tag_name = scope.check_text(request.tag, "tag")
    since, before = scope.period(request.date_from, request.date_to)
    filters = Filters(
        project_id=project.id if project else None,
        board_id=board.id if board else None,
        item_id=scope.item(project, item_name).id if item_name else None,
        author_id=accounts.get_user(author_name).id if author_name else None,
        tag_id=scope.tag_id(project, tag_name) if tag_name else None,
        kind=request.kind,
        since=since,
        before=before,
    )
    fingerprint = query.fingerprint(*filters.key())
    after = cursors.decode(cursor, fingerprint) if cursor else None

    engine = _engine(query, scope.languages(project))
    window = int(current_app.config["TALK_SEARCH_RANK_WINDOW"])
    ceiling = after[2] if after is not None else None
    rows, floor = _newest_first(engine, viewer, filters, window, ceiling, after, limit)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = cursors.encode(
            float(rows[-1][0]), rows[-1][1], fingerprint, rows[0][4], floor
        )
    if rows:
        total: int | None = int(rows[0][2])
    else:
        total = None if after is not None else 0
    narrowed = bool(rows) and int(rows[0][3]) > window
    pieces = [split(_shown_text(row[5:])) for row in rows]
    words = engine.matched([row[-1] for row in rows], pieces)
    return Results(
        [
            _result(row[:3] + row[5:], cut(shown, marked))
            for row, shown, marked in zip(rows, pieces, words, strict=True)
        ],
        next_cursor,
        query,
        project=project,
        board=board,
        filters=filters,
        total=total,
        narrowed_to=window if narrowed else None,
    )


def _newest_first(
    engine: Any,
    viewer: Any,
    filters: Filters,
    window: int,
    ceiling: int | None,
    after: tuple[float, int, int, int | None] | None,
    limit: int,
) -> tuple[list[Any], int | None]:
    """The page's rows, asking first among the newest documents only (ids above a floor), and
    the floor that answered (None: every document), which the next page's cursor carries so
    that page starts there.

    When that range holds more than ``window`` matches, the newest ``window`` overall are all
    in it, so the answer is the one a search of every document gives; otherwise the floor is
    lowered (from how many the range held) and the page asked again, the last time with no
    floor. On PostgreSQL this reads the heap pages of the newest matches only, not of every
    match (docs/search.md, "Fourth round"). FTS5 already walks its matches newest first, so
    SQLite asks once unless ``TALK_SEARCH_NEWEST_SPAN`` says otherwise, and so does a search
    with a selective filter (:attr:`Filters.selective`: measured, a tag's first step only added
    to the full one).
    """
    factor = current_app.config.get("TALK_SEARCH_NEWEST_SPAN")
    if factor is None:
        factor = engine.newest_span
    floor = None
    top = ceiling
    hint = after[3] if after is not None else None
    if hint is not None:
        floor = hint or None  # page 1 settled on it (0: no floor)
    elif factor and not filters.selective:
        if top is None:
            top = db.session.scalar(_NEWEST_DOCUMENT)
        floor = floors.first(top, factor * (window + 1))
    while True:
        statement, values = page_statement(
            engine, viewer, filters, window, ceiling, floor, after, limit
        )
        rows = list(db.session.execute(statement, values).all())
        found = int(rows[0][3]) if rows else 0
        if floor is None or found > window:
            return rows, floor
        floor = floors.lower(top or 0, floor, found, window)


def _shown_text(row: Any) -> str:
    """The text a result's snippet is cut from (``row`` from its ``kind`` on): what the reader
    sees of a comment, a thing's title and text."""
    kind, doc_title, doc_body, body_html = row[0], row[3], row[4], row[-2]
    if kind == "comment":
        # A comment written by plain SQL may have no rendering: its source is the next best.
        return plain_text(body_html or "") or doc_body
    return " · ".join(part for part in (doc_title, doc_body) if part)


def _result(row: Any, snippet_html: Markup) -> SearchResult:
    (
        score,
        _doc_id,
        _total,
        kind,
        source_id,
        created_at,
        doc_title,
        _doc_body,
        discussion_id,
        project_slug,
        project_title,
        discussion_title,
        board_title,
        item_external_id,
        item_title,
        username,
        display_name,
        _body_html,
        _marked,
    ) = row
    title = discussion_title if kind == "comment" else doc_title
    return SearchResult(
        kind=kind,
        id=source_id,
        title=title or "",
        snippet_html=snippet_html,
        score=float(score),
        created_at=created_at,
        project_slug=project_slug,
        project_title=project_title,
        discussion_id=discussion_id,
        board_title=board_title,
        item_external_id=item_external_id,
        item_title=item_title,
        author_username=username,
        author_name=display_name,
    )


def count_documents() -> int:
    """How many documents the index holds (operators' and tests' sanity check)."""
    return int(db.session.scalar(select(func.count()).select_from(schema.documents)) or 0)
