"""The PostgreSQL engine: the ``tsvector`` column of ``search_documents`` (GIN-indexed), ranked by
``ts_rank_cd()``; a page's words are highlighted by stemming each distinct one once
(:meth:`PostgresSearch.matched`).

Each language in the search gets one ``MATERIALIZED`` CTE holding its configuration
(``talk_search_config(language)``) and the user's query as a ``tsquery``, built from bound
parameters with ``plainto_tsquery``/``phraseto_tsquery`` and combined with ``tsquery_and``,
``tsquery_or`` and ``tsquery_not``. Materialising it means the query is parsed once, not once
per matching row, and the GIN index is probed with its value. Titles carry weight A, bodies B.

``ts_rank_cd`` depends on the document and the query only, not on the rest of the collection,
so a document's score — and so the page cursor — does not move when others are written.

An excluded word also leaves out the documents of a discussion whose title, or of an item whose
text, contains it: the CTE carries the excluded terms as a second ``tsquery`` (``x``), and one
uncorrelated ``NOT IN`` per kind asks the GIN index for those discussions and items once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import cached_property, reduce
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Double,
    Select,
    Text,
    bindparam,
    cast,
    func,
    literal,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.dialects.postgresql import TSQUERY, array

from talk.extensions import db
from talk.search import schema
from talk.search.query import SearchQuery, Term
from talk.search.statement import kept

#: ts_rank_cd normalisation: 0 = none (cover density already rewards close matches).
NORMALISATION = 0

#: The search's conditions on a document alias, testing its id on the second argument.
Where = Callable[[Any, Any], list[ColumnElement[bool]]]

# Built once (constructing an alias and its column proxies is not free); one per language branch.
_DOCUMENTS = [schema.documents.alias(f"d{i}") for i in range(4)]
_CONTEXTS = [schema.documents.alias(f"x{i}") for i in range(4)]


def _documents(i: int) -> Any:
    return _DOCUMENTS[i] if i < len(_DOCUMENTS) else schema.documents.alias(f"d{i}")


def _contexts(i: int) -> Any:
    return _CONTEXTS[i] if i < len(_CONTEXTS) else schema.documents.alias(f"x{i}")


def _term(config: Any, term: Term, parameter: str | None) -> Any:
    make = func.phraseto_tsquery if term.phrase else func.plainto_tsquery
    return make(config, term.text if parameter is None else bindparam(parameter, type_=Text))


def _named(bound: bool, name: str) -> str | None:
    return name if bound else None


def tsquery(query: SearchQuery, language: str, *, bound: bool = False) -> Any:
    """The query as a ``tsquery`` expression in ``language``'s configuration; ``bound``: its
    terms as named parameters (:func:`term_values`), for a statement kept per shape."""
    config = func.talk_search_config(language)
    groups = [
        reduce(
            func.tsquery_or,
            [
                _term(config, term, _named(bound, f"search_term_{g}_{k}"))
                for k, term in enumerate(group)
            ],
        )
        for g, group in enumerate(query.groups)
    ]
    found = reduce(func.tsquery_and, groups)
    for k, term in enumerate(query.excluded):
        not_term = _term(config, term, _named(bound, f"search_not_{k}"))
        found = func.tsquery_and(found, func.tsquery_not(not_term))
    return found


def excluded_tsquery(query: SearchQuery, language: str, *, bound: bool = False) -> Any:
    """Any excluded term, as a ``tsquery`` (``query`` must exclude something)."""
    config = func.talk_search_config(language)
    return reduce(
        func.tsquery_or,
        [
            _term(config, term, _named(bound, f"search_not_{k}"))
            for k, term in enumerate(query.excluded)
        ],
    )


def term_values(query: SearchQuery) -> dict[str, str]:
    """The values of a bound :func:`tsquery`'s parameters."""
    found = {
        f"search_term_{g}_{k}": term.text
        for g, group in enumerate(query.groups)
        for k, term in enumerate(group)
    }
    found.update({f"search_not_{k}": term.text for k, term in enumerate(query.excluded)})
    return found


#: The statement parsing a query's terms in one language, per language and shape (its terms'
#: places and kinds): built once, like the page's (talk.search.statement).
_PARSED: dict[tuple[Any, ...], Any] = {}


def _parsed(query: SearchQuery, language: str, shape: tuple[Any, ...]) -> Any:
    def build() -> Any:
        return select(cast(tsquery(query, language, bound=True), Text))

    return kept(_PARSED, (language, shape[2:]), build, 256)


class PostgresSearch:
    """One search: ``hits()`` ranks the matching documents, ``matched()`` says which words of
    the shown ones to highlight."""

    #: GIN gives every match in no order: reading each match's row is the cost, so
    #: asking the newest ids first bounds it (talk.search._newest_first): the default of
    #: ``TALK_SEARCH_NEWEST_SPAN``.
    newest_span = 32

    @staticmethod
    def tagged(doc: Any, _doc_id: Any, tag: Any) -> ColumnElement[bool]:
        """``doc`` carries ``tag``: its ``tag_ids`` (migration ``0034_talk_search_tag_ids``)
        hold it. The GIN index answers with a bitmap of the tag's documents that PostgreSQL ANDs
        with the words' bitmap, so only documents having both are read (docs/search.md, "Fifth
        round"); an ``IN`` of the tag's ids read the row of every match of the words."""
        return doc.c.tag_ids.op("@>", is_comparison=True)(array([tag]))

    def __init__(self, query: SearchQuery, languages: Sequence[str]) -> None:
        self.query = query
        self.excluding = bool(query.excluded)
        self.languages = sorted(set(languages))
        #: What the statement's form depends on (talk.search.statement keeps one per shape):
        #: the languages, and each term's place and kind (a phrase or words).
        self.shape = (
            "postgresql",
            tuple(self.languages),
            tuple(tuple(term.phrase for term in group) for group in query.groups),
            tuple(term.phrase for term in query.excluded),
        )
        # The query as a tsquery value, parsed once by a query of its own: the match compares
        # the documents with this value, so the planner estimates how many match from the
        # column's statistics (a CTE's value it cannot see) and walks the primary key newest
        # first when the words are common, or reads the GIN index when they are rare.
        terms = term_values(query)
        self.values_by_language = {
            language: db.session.scalar(_parsed(query, language, self.shape), terms)
            for language in self.languages
        }

    def values(self) -> dict[str, Any]:
        """The statement's bound values: each language's parsed query and the terms."""
        found: dict[str, Any] = dict(term_values(self.query))
        for i, language in enumerate(self.languages):
            found[f"search_tsq_{i}"] = self.values_by_language[language]
        return found

    @cached_property
    def queries(self) -> dict[str, CTE]:
        """Per language, its configuration and the query (built only for a new shape)."""
        return {
            language: select(
                func.talk_search_config(language).label("config"),
                tsquery(self.query, language, bound=True).label("q"),
                *(
                    [excluded_tsquery(self.query, language, bound=True).label("x")]
                    if self.excluding
                    else []
                ),
            )
            .cte(f"search_q{i}")
            .prefix_with("MATERIALIZED")
            for i, language in enumerate(self.languages)
        }

    def _not_in_excluded_context(self, i: int, q: CTE, doc: Any) -> list[ColumnElement[bool]]:
        """``doc`` is neither in a discussion titled with, nor about an item containing, an
        excluded term."""
        if not self.excluding:
            return []
        context = _contexts(i)

        def excluded(kind: str) -> Select[Any]:
            return (
                select(context.c.source_id)
                .select_from(q.join(context, context.c.tsv.op("@@", is_comparison=True)(q.c.x)))
                .where(context.c.kind == kind)
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

        ``ORDER BY id DESC LIMIT n`` lets the planner walk the primary key backwards and
        recheck the ``tsquery`` on each row when the words are common (it stops after ``n``),
        or read the GIN index's few matches when they are rare. ``ts_rank_cd`` is computed
        outside the limit, for those ``n`` rows only.
        """
        branches = []
        for i, (language, q) in enumerate(self.queries.items()):
            doc = _documents(i)
            value = cast(bindparam(f"search_tsq_{i}", type_=Text), TSQUERY)
            matches = doc.c.tsv.op("@@", is_comparison=True)(value)
            below = [] if ceiling is None else [doc.c.id <= ceiling]
            above = [] if floor is None else [doc.c.id > floor]
            window = (
                select(
                    doc.c.id.label("doc_id"),
                    doc.c.tsv,
                    doc.c.kind,
                    doc.c.source_id,
                    doc.c.discussion_id,
                )
                .select_from(q.join(doc, matches))
                .where(
                    doc.c.language == language,
                    *below,
                    *above,
                    *where(doc, doc.c.id),
                    *self._not_in_excluded_context(i, q, doc),
                )
                .order_by(doc.c.id.desc())
                .limit(newest)
                .subquery(f"w{i}")
            )
            branches.append(
                select(
                    window.c.doc_id,
                    # float8: the cursor's copy of the score must compare equal to it, and a
                    # float4 read back into Python as its shortest decimal text would not.
                    cast(func.ts_rank_cd(window.c.tsv, q.c.q, NORMALISATION), Double).label(
                        "score"
                    ),
                    window.c.kind,
                    window.c.source_id,
                    window.c.discussion_id,
                ).select_from(window.join(q, literal(True)))
            )
        if len(branches) == 1:
            return branches[0]
        both = union_all(*branches).subquery("both")
        return select(both).order_by(both.c.doc_id.desc()).limit(newest)

    @staticmethod
    def marked(doc: Any) -> ColumnElement[str]:
        """What :meth:`matched` needs of a page's row: its language."""
        return doc.c.language

    def matched(
        self, languages: Sequence[str], pieces: Sequence[Sequence[str]]
    ) -> list[frozenset[str]]:
        """The words to highlight in each result, case-folded: of the words of its ``pieces``
        (:func:`talk.search.snippets.split` of what the reader sees), those having a lexeme of
        the query in its language's configuration.

        ``ts_headline()`` over each shown document parsed and stemmed every word of it (~1.3
        ms a long comment); this stems each distinct word of the page once, in one statement a
        language. Like ``HighlightAll``, a word of the query is marked wherever it is, within a
        phrase or not, and so is every word of a query's address or number (``www.example.org``,
        ``3.5``: one lexeme) where the text holds it whole (docs/search.md, "Seventh round").
        """
        words = [found[1::2] for found in pieces]
        asked: dict[str, set[str]] = {}
        for language, found in zip(languages, words, strict=True):
            asked.setdefault(language, set()).update(found)
        terms = list(term_values(self.query).values())
        marked = {
            language: set(
                db.session.scalars(
                    _MARKED, {"language": language, "words": " ".join(each), "terms": terms}
                )
            )
            for language, each in asked.items()
            if each
        }
        results = []
        for language, found, shown in zip(languages, words, pieces, strict=True):
            of_language = marked.get(language, set())
            highlighted = {word.casefold() for word in set(found) if word in of_language}
            if composites := self._composites.get(language):
                folded = "".join(shown).casefold()
                for lexeme, whole in composites:
                    if whole.search(folded):
                        highlighted.update(_WORDS.findall(lexeme))
            results.append(frozenset(highlighted))
        return results

    @cached_property
    def _composites(self) -> dict[str, list[tuple[str, re.Pattern[str]]]]:
        """Per language, the query's lexemes of more than one word (an address, a path, a
        number with a point), each with a pattern finding it whole in case-folded text."""
        found: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
        for language, parsed in self.values_by_language.items():
            for quoted in _OPERAND.findall(parsed or ""):
                lexeme = _UNQUOTE.sub(lambda m: m.group(0)[1], quoted)
                if len(_WORDS.findall(lexeme)) > 1:
                    whole = re.compile(rf"(?<![^\W_]){re.escape(lexeme)}(?![^\W_])")
                    found.setdefault(language, []).append((lexeme, whole))
        return found


#: A ``tsquery``'s operands as PostgreSQL writes them ('lexeme', quotes and backslashes doubled).
_OPERAND = re.compile(r"'((?:[^'\\]|''|\\.)*)'")
_UNQUOTE = re.compile(r"''|\\.")
_WORDS = re.compile(r"[^\W_]+")

#: Of ``words`` (joined by spaces, which no word holds: a third of the client CPU of a list),
#: those having a lexeme of ``terms`` (the query's words, excluded ones too, as
#: ``ts_headline`` marks those too) in ``language``'s configuration.
_MARKED = text(
    """
    WITH q AS MATERIALIZED (
      SELECT c.config, ARRAY(
          SELECT unnest(tsvector_to_array(to_tsvector(c.config, t)))
          FROM unnest(CAST(:terms AS text[])) AS t) AS lexemes
      FROM (SELECT talk_search_config(:language) AS config) AS c)
    SELECT w FROM q, unnest(string_to_array(:words, ' ')) AS w
    WHERE tsvector_to_array(to_tsvector(q.config, w)) && q.lexemes
    """
)
