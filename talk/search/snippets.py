"""Highlighted snippets that are safe to put in a page, cut from the text a reader sees.

A comment is indexed as its Markdown source, but a results list must not show ``| Field |`` or
``> quoted`` syntax: its snippet is cut from the plain text of the rendered, sanitised HTML
(:func:`talk.text.plain_text`). Which words to highlight comes from the engine itself, so
stemming and accent folding are exactly the engine's: FTS5 ``highlight()`` marks the matches in
the stored text with two control characters (:func:`matched_words` reads them); PostgreSQL
stems the plain text's distinct words in the search's configuration and keeps those sharing a
lexeme with the query (``PostgresSearch.matched``: cheaper than ``ts_headline()`` over every
shown document). Those words are then highlighted wherever they appear in the plain text
(:func:`cut`). Everything is HTML-escaped and the only tags made are ``<mark>``/``</mark>``:
a comment holding ``<script>`` or raw Markdown shows as that text, never as markup.
"""

from __future__ import annotations

import re
from itertools import accumulate, compress

from markupsafe import Markup, escape

START = "\x02"
STOP = "\x03"
ELLIPSIS = "…"
#: Words a snippet shows at most, and how many it keeps before the first highlighted one.
SNIPPET_WORDS = 30
LEAD_WORDS = 4

_WORDS = re.compile(r"([^\W_]+)")
_MARKED = re.compile(f"{START}([^{START}{STOP}]*){STOP}")
_MARKERS = re.compile(f"[{START}{STOP}]")


def matched_words(marked: str | None) -> frozenset[str]:
    """The words an engine put between START and STOP in ``marked``, case-folded."""
    found: set[str] = set()
    for span in _MARKED.findall(marked or ""):
        found.update(word.casefold() for word in _WORDS.findall(span))
    return frozenset(found)


def _window(marks: list[bool], size: int) -> int:
    """The first word of the ``size`` words showing the most highlighted ones (earliest wins)."""
    best, best_count = 0, 0
    before = list(accumulate(marks, initial=0))  # before[i]: highlighted words before word i
    last = len(marks)
    for position in compress(range(last), marks):
        start = max(0, position - LEAD_WORDS)
        shown = before[min(start + size, last)] - before[start]
        if shown > best_count:
            best, best_count = start, shown
    return best


def split(text: str) -> list[str]:
    """``text`` without markers, its spaces collapsed, in pieces alternating separator and word
    (separator, word, separator, …, separator): ``split(text)[1::2]`` are its words."""
    return _WORDS.split(" ".join(_MARKERS.sub("", text).split()))


def cut(pieces: list[str], words: frozenset[str], *, size: int = SNIPPET_WORDS) -> Markup:
    """Up to ``size`` words of the text ``pieces`` (:func:`split`) were split from, around its
    best cluster of ``words``, escaped, each of those words in ``<mark>``; an ellipsis where
    the text was cut."""
    shown = pieces[1::2]
    folded = {word: word.casefold() in words for word in set(shown)}  # once a distinct word
    marks = [folded[word] for word in shown]
    start = max(0, min(_window(marks, size), len(marks) - size))  # no room left unused
    end = min(len(marks), start + size)
    # Built with the markers around highlighted words (the text has none left), escaped once,
    # then the markers become tags: cheaper than escaping word by word.
    parts: list[str] = [ELLIPSIS + " "] if start > 0 else [pieces[0]]
    for n in range(start, end):
        word = pieces[2 * n + 1]
        parts.append(f"{START}{word}{STOP}" if marks[n] else word)
        if n + 1 < end or end == len(marks):
            parts.append(pieces[2 * n + 2])
    if end < len(marks):
        parts.append(" " + ELLIPSIS)
    html = str(escape("".join(parts).strip()))
    return Markup(html.replace(START, "<mark>").replace(STOP, "</mark>"))  # noqa: S704 - escaped
