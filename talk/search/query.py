"""What people type into the search box, parsed once and rendered for each engine.

The syntax is the one search engines taught everybody:

- ``oak leaf`` — every word must be found (in any order, stemmed in English projects);
- ``"old oak"`` — the words as a phrase, in that order;
- ``-beech`` / ``-"copper beech"`` — nothing containing the word or phrase, nor anything in a
  discussion whose title, or about an item whose title, identifier or metadata, contains it
  (``"quite faded" -Ranunculus`` leaves out the comments on Ranunculus sheets);
- ``oak OR beech`` — either (``OR`` in capitals binds tighter than the implicit AND, so
  ``acorn oak OR beech`` is ``acorn AND (oak OR beech)``).

Nothing the user types is ever spliced into SQL or into an engine's own query language as
syntax: FTS5 gets every term as a double-quoted string (its tokenizer splits it, so ``o'brien``
is the phrase "o brien"), PostgreSQL gets every term as a bound parameter of
``plainto_tsquery``/``phraseto_tsquery``. A query of only exclusions, or with nothing a word
could be made of, is refused with a message saying so.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from talk.errors import InvalidInput

MAX_QUERY_LENGTH = 500
MAX_TERMS = 16


@dataclass(frozen=True)
class Term:
    """A word, or a phrase (``phrase``: the words must appear together, in order)."""

    text: str
    phrase: bool = False

    def fts5(self) -> str:
        """The term as an FTS5 string: quoted, so operators and column names are just text."""
        return '"' + self.text.replace('"', '""') + '"'

    def __str__(self) -> str:
        return f'"{self.text}"' if self.phrase else self.text


@dataclass(frozen=True)
class SearchQuery:
    """``groups`` must all match, each by any one of its terms; ``excluded`` must not."""

    groups: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...] = ()

    def fts5(self) -> str:
        """The FTS5 MATCH expression."""
        required = " AND ".join(
            "(" + " OR ".join(term.fts5() for term in group) + ")" for group in self.groups
        )
        return f"({required})" + "".join(f" NOT {term.fts5()}" for term in self.excluded)

    def fts5_excluded(self) -> str | None:
        """An FTS5 expression matching any excluded term (None when nothing is excluded)."""
        return " OR ".join(term.fts5() for term in self.excluded) or None

    def canonical(self) -> str:
        """One spelling per meaning (ties a page cursor to the search it came from)."""
        parts = [" OR ".join(str(t) for t in group) for group in self.groups]
        parts += [f"-{term}" for term in self.excluded]
        return " ".join(parts)

    def fingerprint(self, *extra: object) -> str:
        raw = "\x1f".join([self.canonical(), *map(str, extra)])
        return hashlib.sha256(raw.encode()).hexdigest()[:12]


def _has_word(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _problem(message: str, detail: str) -> InvalidInput:
    return InvalidInput(message, {"q": [detail]})


def _tokens(text: str) -> list[tuple[str, Term | None, bool]]:
    """``("term", Term, negated)`` and ``("or", None, False)`` in the order typed."""
    tokens: list[tuple[str, Term | None, bool]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        negated = False
        if text[i] == "-" and i + 1 < n and not text[i + 1].isspace():
            negated = True
            i += 1
        if text[i] == '"':
            end = text.find('"', i + 1)
            end = n if end == -1 else end
            phrase = " ".join(text[i + 1 : end].split())
            tokens.append(("term", Term(phrase, phrase=" " in phrase), negated))
            i = end + 1
            continue
        start = i
        while i < n and not text[i].isspace() and text[i] != '"':
            i += 1
        word = text[start:i]
        if word == "OR" and not negated:
            tokens.append(("or", None, False))
        else:
            tokens.append(("term", Term(word), negated))
    return tokens


def parse(text: str) -> SearchQuery:
    """Parse the search box's text; :class:`InvalidInput` (naming ``q``) when it cannot be
    searched for."""
    if "\x00" in text:
        raise _problem("The search contains a NUL character.", "Contains a NUL character.")
    text = text.strip()
    if not text:
        raise _problem("Type something to search for.", "Must not be blank.")
    if len(text) > MAX_QUERY_LENGTH:
        raise _problem("The search is too long.", f"At most {MAX_QUERY_LENGTH} characters, please.")
    groups: list[tuple[Term, ...]] = []
    excluded: list[Term] = []
    either = False
    count = 0
    for kind, term, negated in _tokens(text):
        if kind == "or":
            either = bool(groups)
            continue
        assert term is not None
        if not _has_word(term.text):
            continue
        count += 1
        if negated:
            excluded.append(term)
            either = False
        elif either:
            groups[-1] = (*groups[-1], term)
            either = False
        else:
            groups.append((term,))
    if count > MAX_TERMS:
        raise _problem("The search has too many words.", f"At most {MAX_TERMS} words or phrases.")
    if not groups:
        if excluded:
            raise _problem(
                "Say what to look for, not only what to leave out.",
                "Add a word without '-' in front.",
            )
        raise _problem("There is nothing to search for.", "Use letters or digits.")
    return SearchQuery(tuple(groups), tuple(excluded))
