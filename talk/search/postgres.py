"""The PostgreSQL engine: the ``tsvector`` column of ``search_documents`` (GIN-indexed), ranked by
``ts_rank_cd()`` and highlighted by ``ts_headline()``.

Each language in the search gets one ``MATERIALIZED`` CTE holding its configuration
(``talk_search_config(language)``) and the user's query as a ``tsquery``, built from bound
parameters with ``plainto_tsquery``/``phraseto_tsquery`` and combined with ``tsquery_and``,
``tsquery_or`` and ``tsquery_not``. Materialising it means the query is parsed once, not once
per matching row, and the GIN index is probed with its value. Titles carry weight A, bodies B.

``ts_rank_cd`` depends on the document and the query only, not on the rest of the collection,
so a document's score — and so the page cursor — does not move when others are written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import reduce
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Double,
    Select,
    case,
    cast,
    func,
    literal,
    select,
    union_all,
)

from talk.search import schema
from talk.search.query import SearchQuery, Term
from talk.search.snippets import START, STOP

#: ts_rank_cd normalisation: 0 = none (cover density already rewards close matches).
NORMALISATION = 0
HEADLINE_OPTIONS = (
    f"StartSel={START}, StopSel={STOP}, MaxWords=24, MinWords=10, ShortWord=2, "
    'MaxFragments=2, FragmentDelimiter=" … "'
)

Where = Callable[[Any], list[ColumnElement[bool]]]

# Built once (constructing an alias and its column proxies is not free); one per language branch.
_DOCUMENTS = [schema.documents.alias(f"d{i}") for i in range(4)]


def _documents(i: int) -> Any:
    return _DOCUMENTS[i] if i < len(_DOCUMENTS) else schema.documents.alias(f"d{i}")


def _term(config: Any, term: Term) -> Any:
    make = func.phraseto_tsquery if term.phrase else func.plainto_tsquery
    return make(config, term.text)


def tsquery(query: SearchQuery, language: str) -> Any:
    """The query as a ``tsquery`` expression in ``language``'s configuration."""
    config = func.talk_search_config(language)
    groups = [
        reduce(func.tsquery_or, [_term(config, term) for term in group]) for group in query.groups
    ]
    found = reduce(func.tsquery_and, groups)
    for term in query.excluded:
        found = func.tsquery_and(found, func.tsquery_not(_term(config, term)))
    return found


class PostgresSearch:
    """One search: ``hits()`` ranks the matching documents, ``snippet()`` highlights one."""

    def __init__(self, query: SearchQuery, languages: Sequence[str]) -> None:
        self.queries: dict[str, CTE] = {
            language: select(
                func.talk_search_config(language).label("config"),
                tsquery(query, language).label("q"),
            )
            .cte(f"search_q{i}")
            .prefix_with("MATERIALIZED")
            for i, language in enumerate(sorted(set(languages)))
        }

    def hits(self, where: Where) -> Select[Any]:
        """``(doc_id, score)`` of every readable, filtered document that matches."""
        branches = []
        for i, (language, q) in enumerate(self.queries.items()):
            doc = _documents(i)
            matches = doc.c.tsv.op("@@", is_comparison=True)(q.c.q)
            branches.append(
                select(
                    doc.c.id.label("doc_id"),
                    # float8: the cursor's copy of the score must compare equal to it, and a
                    # float4 read back into Python as its shortest decimal text would not.
                    cast(func.ts_rank_cd(doc.c.tsv, q.c.q, NORMALISATION), Double).label("score"),
                )
                .select_from(q.join(doc, matches))
                .where(doc.c.language == language, *where(doc))
            )
        return branches[0] if len(branches) == 1 else union_all(*branches)  # type: ignore[return-value]

    def snippet(self, doc: Any) -> ColumnElement[str]:
        """The best fragments of ``doc``'s title and body, matches between markers (computed
        for the page's rows only)."""
        text = func.concat_ws(" · ", func.nullif(doc.c.title, ""), func.nullif(doc.c.body, ""))
        per_language = {
            language: select(func.ts_headline(q.c.config, text, q.c.q, HEADLINE_OPTIONS))
            .select_from(q)
            .scalar_subquery()
            for language, q in self.queries.items()
        }
        if len(per_language) == 1:
            return next(iter(per_language.values()))
        return case(
            *((doc.c.language == language, s) for language, s in per_language.items()),
            else_=literal(""),
        )
