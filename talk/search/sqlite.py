"""The SQLite engine: FTS5 over ``search_documents``, ranked by ``bm25()``.

Two FTS5 tables index the documents (``search_stemmed`` for English projects, ``search_plain``
for every other language); a search reads the ones its projects' languages need. Titles weigh
more than bodies. ``bm25()`` is lower for better matches, so the score is its negation: higher
is better on both engines.

An excluded word also leaves out the documents of a discussion whose title, or of an item whose
text, contains it: their ids come from one more MATCH of the excluded terms on the same FTS5
table (a project's documents are all in one of them), computed once per search, not per row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    bindparam,
    case,
    func,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.sql.expression import TableClause

from talk.search import schema
from talk.search.query import SearchQuery
from talk.search.snippets import START, STOP, matched_words

TITLE_WEIGHT = 4.0
BODY_WEIGHT = 1.0

#: The search's conditions on a document alias, testing its id on the second argument.
Where = Callable[[Any, Any], list[ColumnElement[bool]]]

# Built once: constructing an alias (and its column proxies) costs more than running a search on
# a small project.
_DOCUMENTS = {
    fts.name: schema.documents.alias(f"d_{fts.name}") for fts in (schema.STEMMED, schema.PLAIN)
}
_CONTEXTS = {
    fts.name: schema.documents.alias(f"x_{fts.name}") for fts in (schema.STEMMED, schema.PLAIN)
}


class SqliteSearch:
    """One search: ``hits()`` ranks the matching documents, ``marked()`` highlights one."""

    #: FTS5 already walks its matches newest first and stops: one step is enough (the default
    #: of ``TALK_SEARCH_NEWEST_SPAN``).
    newest_span = 0

    def __init__(self, query: SearchQuery, languages: Sequence[str]) -> None:
        self.match = query.fts5()
        self.excluded = query.fts5_excluded()
        stemmed = schema.STEMMED_LANGUAGE in languages
        plain = any(language != schema.STEMMED_LANGUAGE for language in languages)
        self.tables: list[TableClause] = [
            t for t, used in ((schema.STEMMED, stemmed), (schema.PLAIN, plain)) if used
        ]
        #: What the statement's form depends on (talk.search.statement keeps one per shape).
        self.shape = ("sqlite", tuple(t.name for t in self.tables), self.excluded is not None)

    def values(self) -> dict[str, str]:
        """The statement's bound values: the FTS5 query, and the excluded terms' if any."""
        found = {"search_match": self.match}
        if self.excluded is not None:
            found["search_excluded"] = self.excluded
        return found

    @staticmethod
    def _matches(fts: TableClause, parameter: str = "search_match") -> ColumnElement[bool]:
        return literal_column(fts.name).op("MATCH")(bindparam(parameter, type_=String))

    def _not_in_excluded_context(self, fts: TableClause, doc: Any) -> list[ColumnElement[bool]]:
        """``doc`` is neither in a discussion titled with, nor about an item containing, an
        excluded term."""
        if self.excluded is None:
            return []
        context = _CONTEXTS[fts.name]

        def excluded(kind: str) -> Select[Any]:
            return (
                select(context.c.source_id)
                .select_from(fts.join(context, context.c.id == fts.c.rowid))
                .where(self._matches(fts, "search_excluded"), context.c.kind == kind)
                .correlate(None)
            )

        return [
            or_(doc.c.discussion_id.is_(None), doc.c.discussion_id.not_in(excluded("discussion"))),
            or_(doc.c.item_id.is_(None), doc.c.item_id.not_in(excluded("item"))),
        ]

    def hits(
        self, where: Where, *, newest: int, ceiling: int | None = None, floor: int | None = None
    ) -> Select[Any]:
        """The ``newest`` readable, filtered documents that match (of id above ``floor`` and
        at most ``ceiling``), newest first: ``doc_id``, ``score`` and what groups it into a
        result (``kind``, ``source_id``, ``discussion_id``).

        FTS5 walks its doclists in rowid order, so ``ORDER BY rowid DESC LIMIT n`` stops after
        the first ``n`` that pass the filters, and ``bm25()`` is computed for those rows only.
        """
        branches = []
        for fts in self.tables:
            doc = _DOCUMENTS[fts.name]
            score = -func.bm25(literal_column(fts.name), TITLE_WEIGHT, BODY_WEIGHT)
            below = [] if ceiling is None else [fts.c.rowid <= ceiling]
            above = [] if floor is None else [fts.c.rowid > floor]
            branches.append(
                select(
                    doc.c.id.label("doc_id"),
                    score.label("score"),
                    doc.c.kind,
                    doc.c.source_id,
                    doc.c.discussion_id,
                )
                .select_from(fts.join(doc, doc.c.id == fts.c.rowid))
                .where(
                    self._matches(fts),
                    *below,
                    *above,
                    # "+ 0": tested on each match in rowid order, never a list of rowids to
                    # look up one by one (SQLite's choice otherwise, many times slower).
                    *where(doc, fts.c.rowid + 0),
                    *self._not_in_excluded_context(fts, doc),
                )
                .order_by(fts.c.rowid.desc())
                .limit(newest)
            )
        if len(branches) == 1:
            return branches[0]
        # SQLite takes no LIMIT inside a compound select: each branch is a subquery.
        parts = [select(branch.subquery(f"b{i}")) for i, branch in enumerate(branches)]
        both = union_all(*parts).subquery("both")
        return select(both).order_by(both.c.doc_id.desc()).limit(newest)

    @staticmethod
    def newest(hits: Select[Any], window: int) -> Any:
        """The ``window`` newest of ``hits`` (which holds at most one more), as
        :func:`talk.search.statement._newest` gives them, without its window functions: ``hits`` is
        materialized once, and one pass over it counts the matches (``matched``), finds the
        newest id (``ceiling``) and, when there is one too many, the oldest to leave out.
        Numbering 2,001 rows to drop the last cost SQLite a sort and ~2.5 ms of a search's
        CPU at 1M comments (docs/search.md, "Fifth round")."""
        found = hits.cte("found").prefix_with("MATERIALIZED")
        count = func.count()
        stats = (
            select(
                count.label("matched"),
                func.max(found.c.doc_id).label("ceiling"),
                case((count > window, func.min(found.c.doc_id)), else_=0).label("oldest"),
            )
            .cte("stats")
            .prefix_with("MATERIALIZED")
        )
        return (
            select(
                found.c.doc_id,
                found.c.score,
                found.c.kind,
                found.c.source_id,
                found.c.discussion_id,
                stats.c.matched,
                stats.c.ceiling,
            )
            .select_from(found.join(stats, found.c.doc_id > stats.c.oldest))
            .subquery("hits")
        )

    def marked(self, doc: Any) -> ColumnElement[str]:
        """``doc``'s title and body (a row of the final page), every match between markers.

        A correlated subquery: FTS5 seeks the one row by rowid, so only the page's rows pay
        for it, not every match.
        """
        per_table = {
            fts.name: select(
                func.highlight(literal_column(fts.name), 0, START, STOP)
                .concat(" ")
                .concat(func.highlight(literal_column(fts.name), 1, START, STOP))
            )
            .select_from(fts)
            .where(self._matches(fts), fts.c.rowid == doc.c.id)
            .scalar_subquery()
            for fts in self.tables
        }
        if len(per_table) == 1:
            return next(iter(per_table.values()))
        return case(
            (doc.c.language == schema.STEMMED_LANGUAGE, per_table[schema.STEMMED.name]),
            else_=per_table[schema.PLAIN.name],
        )

    @staticmethod
    def matched(
        marks: Sequence[str | None], _pieces: Sequence[Sequence[str]]
    ) -> list[frozenset[str]]:
        """The words to highlight in each result: those ``highlight()`` marked (:meth:`marked`)."""
        return [matched_words(marked) for marked in marks]
