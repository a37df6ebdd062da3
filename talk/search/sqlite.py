"""The SQLite engine: FTS5 over ``search_documents``, ranked by ``bm25()``.

Two FTS5 tables index the documents (``search_stemmed`` for English projects, ``search_plain``
for every other language); a search reads the ones its projects' languages need. Titles weigh
more than bodies. ``bm25()`` is lower for better matches, so the score is its negation: higher
is better on both engines.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    bindparam,
    case,
    func,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.sql.expression import TableClause

from talk.search import schema
from talk.search.query import SearchQuery
from talk.search.snippets import START, STOP

TITLE_WEIGHT = 4.0
BODY_WEIGHT = 1.0
SNIPPET_TOKENS = 16
ELLIPSIS = "…"

Where = Callable[[Any], list[ColumnElement[bool]]]

# Built once: constructing an alias (and its column proxies) costs more than running a search on
# a small project.
_DOCUMENTS = {
    fts.name: schema.documents.alias(f"d_{fts.name}") for fts in (schema.STEMMED, schema.PLAIN)
}


class SqliteSearch:
    """One search: ``hits()`` ranks the matching documents, ``snippet()`` highlights one."""

    def __init__(self, query: SearchQuery, languages: Sequence[str]) -> None:
        self.match = query.fts5()
        stemmed = schema.STEMMED_LANGUAGE in languages
        plain = any(language != schema.STEMMED_LANGUAGE for language in languages)
        self.tables: list[TableClause] = [
            t for t, used in ((schema.STEMMED, stemmed), (schema.PLAIN, plain)) if used
        ]

    def _matches(self, fts: TableClause) -> ColumnElement[bool]:
        return literal_column(fts.name).op("MATCH")(bindparam(None, self.match))

    def hits(self, where: Where) -> Select[Any]:
        """``(doc_id, score)`` of every readable, filtered document that matches."""
        branches = []
        for fts in self.tables:
            doc = _DOCUMENTS[fts.name]
            score = -func.bm25(literal_column(fts.name), TITLE_WEIGHT, BODY_WEIGHT)
            branches.append(
                select(doc.c.id.label("doc_id"), score.label("score"))
                .select_from(fts.join(doc, doc.c.id == fts.c.rowid))
                .where(self._matches(fts), *where(doc))
            )
        return branches[0] if len(branches) == 1 else union_all(*branches)  # type: ignore[return-value]

    def snippet(self, doc: Any) -> ColumnElement[str]:
        """The best fragment of ``doc`` (a row of the final page), matches between markers.

        A correlated subquery: FTS5 seeks the one row by rowid, so only the page's rows pay
        for a snippet, not every match.
        """
        per_table = {
            fts.name: select(
                func.snippet(literal_column(fts.name), -1, START, STOP, ELLIPSIS, SNIPPET_TOKENS)
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
