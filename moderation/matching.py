"""Matching watched words: Unicode-aware, case- and accent-insensitive, and safe.

Text and words are normalised alike (:func:`normalise`: NFKD, combining marks dropped,
casefolded), so "Lunátic", "LUNATIC" and "ｌｕｎａｔｉｃ" are one word. A ``word`` matches
whole words; a ``wildcard`` is a word where ``*`` stands for any letters (``spam*``); a
``regex`` is a regular expression matched against the normalised text, ignoring case. Regular
expressions run on the ``regex`` module with a time limit, so a pattern that backtracks
catastrophically cannot stall a request: one that runs out of time counts as matched (the
comment waits for a moderator) rather than letting anything through.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import regex

from talk.errors import InvalidInput

#: Seconds one regular expression may search one text.
TIMEOUT = 0.05
_FLAGS = regex.IGNORECASE | regex.UNICODE | regex.VERSION1


def normalise(text: str) -> str:
    """``text`` without accents or case: compatibility-decomposed, combining marks dropped,
    casefolded (and decomposed again, as casefolding can make new marks: "İ")."""
    folded = _strip(text).casefold()
    return _strip(folded)


def _strip(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def source(pattern: str, kind: str) -> str:
    """The regular expression a watched word stands for."""
    if kind == "regex":
        return pattern
    word = normalise(pattern).strip()
    if kind == "wildcard":
        body = r"\w*".join(regex.escape(part) for part in word.split("*"))
    else:
        body = regex.escape(word)
    return rf"(?<!\w){body}(?!\w)"


@lru_cache(maxsize=1024)
def compiled(pattern: str, kind: str) -> regex.Pattern[str]:
    """The compiled rule; :class:`InvalidInput` naming the pattern if it is not valid."""
    if kind in {"word", "wildcard"} and not normalise(pattern).replace("*", "").strip():
        raise InvalidInput(
            f"The word {pattern!r} has no letters to match.", {"pattern": ["Empty."]}
        )
    try:
        return regex.compile(source(pattern, kind), _FLAGS)
    except (regex.error, OverflowError, RecursionError) as exc:
        raise InvalidInput(
            f"The regular expression {pattern!r} is not valid: {exc}.",
            {"pattern": [f"Not a valid regular expression: {exc}."]},
        ) from None


#: Texts a new regular expression is tried on: one that cannot search them in time is refused.
_PROBES = (*(c * 40 + "!" for c in "a1 ."), "ab" * 30 + "!")


def check_speed(pattern: str, kind: str) -> None:
    """Refuse a regular expression that backtracks catastrophically on simple text."""
    rule = compiled(pattern, kind)
    try:
        for probe in _PROBES:
            rule.search(probe, timeout=TIMEOUT)
    except TimeoutError:
        raise InvalidInput(
            f"The regular expression {pattern!r} takes too long to search (nested or "
            "overlapping repeats): simplify it.",
            {"pattern": ["Too slow: simplify the repeats."]},
        ) from None


@dataclass(frozen=True)
class Rule:
    """A watched word as the matcher needs it."""

    id: int
    pattern: str
    kind: str
    action: str
    category: str
    url: str = ""


def matches(rule: Rule, normalised: str) -> bool:
    """Whether ``rule`` matches the normalised text (True when it runs out of time)."""
    try:
        return compiled(rule.pattern, rule.kind).search(normalised, timeout=TIMEOUT) is not None
    except TimeoutError:
        return True


def mask(normalised: str, terms: Iterable[str]) -> str:
    """``normalised`` with each historical term (normalised) blanked out as a whole word."""
    for term in terms:
        if term:
            normalised = regex.sub(
                rf"(?<!\w){regex.escape(term)}(?!\w)", " ", normalised, flags=_FLAGS
            )
    return normalised


def matching_rules(
    rules: Sequence[Rule], own: str, quoted: str, terms: Iterable[str]
) -> list[Rule]:
    """The rules that match a text: its own words as written, its quoted words without the
    historical terms (which a quotation or transcription of the record may hold)."""
    text = normalise(own) + "\n" + mask(normalise(quoted), [normalise(t) for t in terms])
    return [rule for rule in rules if matches(rule, text)]
