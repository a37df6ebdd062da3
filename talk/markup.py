"""What counts as a hashtag, a mention or an item reference in a run of plain text.

This module knows nothing about Markdown: :mod:`talk.markdown` hands it only the text a reader
sees as prose (never code, link text, link targets or URLs) and turns the spans found here into
links. Keeping the rules here, as plain string functions, keeps them small enough to test
exhaustively.

The rules, and the edge cases decided for them:

Where a marker may start
    ``#``, ``@`` and ``^`` only start something at the start of the text or after a separating
    character: whitespace or punctuation, but not a letter, digit, combining mark or ``_``
    (so ``a#b``, ``C#``, ``page#section`` and ``me@example.org`` are nothing), and not one of
    ``# @ ^ / \\ . - + = &`` (so ``##x``, ``path/#x``, ``x.org/@bob`` and ``bob-@x.org`` are
    nothing either: those are paths, URL pieces and e-mail addresses that no linkifier caught).
    A marker written escaped (``\\#1914``, ``&#35;1914``) is never a marker: that is how a writer
    opts out. Whatever follows must not continue the word: ``@bobé`` is not a mention of ``bob``
    and ``@bob@mastodon.social`` (a fediverse handle) is not a mention at all.

Hashtags: ``#`` + name
    The name is Unicode letters, combining marks, decimal digits, ``-`` and ``_``, starting with
    a letter or digit; trailing ``-``/``_`` are not part of it (``#nurse-`` is ``nurse``), and
    neither is sentence punctuation (``#nurse.``, ``(#nurse)``). It is normalised with Unicode
    NFKC and then case-folded, so ``#Église``, ``#église``, ``#ÉGLISE`` and the decomposed
    ``#e\\u0301glise`` are one tag; accents are kept (``église`` is not ``eglise``) and ``ß``
    folds to ``ss``. The normalised name must be 2–64 characters: ``#1`` is not a tag, but
    purely numeric names of two or more digits are (``#1914``, like Zooniverse's Talk), and so
    are colour-like ``#fff``. A name longer than 64 is not a tag at all (never truncated).
    Emoji, joiners and other symbols are not allowed (``#❤`` is nothing).

Mentions: ``@`` + username
    Usernames follow ``talk.services.accounts.USERNAME_RE`` (3–40 ASCII letters, digits, ``_``,
    ``.``, ``-``; not starting or ending with ``.``/``-``); a trailing ``.``/``-`` is sentence
    punctuation (``thanks @bob.``). Mentions are lower-cased, like ``User.username_key``.
    ``@moderators``, ``@experts``, ``@team`` and ``@admins`` (any case) are group mentions and
    never user mentions, even if someone registered that username.

Item references: ``^`` + external id
    The id is ``[A-Za-z0-9][A-Za-z0-9_.:/-]*`` (at most 200 characters, the column size), kept as
    written (ids are case-sensitive); trailing ``.`` and ``:`` are punctuation (``see ^K0001.``).
    An id that looks like a web address (``^abc.de``, ``^www.example.org``) is still an item
    reference: the caret says so.

Next to other Markdown
    Only prose counts: nothing in code spans, code blocks, link text, link targets, image
    descriptions or URLs. The characters before and after are those a reader sees, across
    emphasis: ``**#nurse**`` is a tag, ``[see](…)#nurse`` reads "see#nurse" and is not, and a
    tag followed directly by emphasised letters (``#tag**s**``) is not either. A hashtag
    written like a domain (``#abc.de``) is a web address, not a tag.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from talk.limits import MAX_ITEM_EXTERNAL_ID, MAX_TAG_NAME, MAX_USERNAME, MIN_TAG_NAME

GROUPS = ("moderators", "experts", "team", "admins")

# The pattern of talk.services.accounts.USERNAME_RE (a test keeps the two identical; importing
# it here would make rendering depend on the models).
USERNAME_RE = re.compile(rf"^[A-Za-z0-9_][A-Za-z0-9_.-]{{1,{MAX_USERNAME - 2}}}[A-Za-z0-9_]$")
_USERNAME_RUN = re.compile(r"[A-Za-z0-9_.-]*")
_ITEM_ID_RUN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/-]*")
_MARKERS = re.compile(r"[#@^]")
_NOT_BEFORE_A_MARKER = frozenset("#@^/\\.-+=&")

Kind = Literal["hashtag", "mention", "group", "item"]


@dataclass(frozen=True)
class Span:
    """One thing found in a text: ``text[start:end]`` is what the writer typed, marker included."""

    kind: Kind
    start: int
    end: int
    value: str  # the normalised tag, lower-cased username or group, or the external id


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_" or unicodedata.category(char).startswith("M")


def _is_tag_char(char: str) -> bool:
    if char in "-_":
        return True
    category = unicodedata.category(char)
    return category.startswith(("L", "M")) or category == "Nd"


def _is_valid_tag(name: str) -> bool:
    if not MIN_TAG_NAME <= len(name) <= MAX_TAG_NAME:
        return False
    first, last = unicodedata.category(name[0]), name[-1]
    return (
        (first.startswith("L") or first == "Nd")
        and last not in "-_"
        and all(_is_tag_char(char) for char in name)
    )


def normalise_tag(raw: str) -> str | None:
    """The canonical name of a tag as a writer typed it (``"#Église"`` → ``"église"``), or None.

    Accepts what a reader types into a search box too: surrounding whitespace and one leading
    ``#`` are ignored, and trailing ``-``/``_`` dropped, exactly as in running text. None when the
    result is not a valid tag (see the module docstring).
    """
    name = raw.strip()
    name = name.removeprefix("#").rstrip("-_")
    # NFKC and case folding do not commute for a few characters; repeat to a fixed point so that
    # normalise_tag(normalise_tag(x)) == normalise_tag(x) always holds.
    for _ in range(4):
        folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
        if folded == name:
            break
        name = folded
    else:
        return None
    return name if _is_valid_tag(name) else None


def _hashtag(text: str, start: int, after: str | None) -> tuple[int, str] | None:
    end = start
    while end < len(text) and _is_tag_char(text[end]):
        end += 1
    following = text[end] if end < len(text) else after
    if following is not None and following.isalnum():  # e.g. '²': the word goes on
        return None
    written = text[start:end].rstrip("-_")
    name = normalise_tag(written) if written else None
    return (start + len(written), name) if name else None


def _username(text: str, start: int, after: str | None) -> tuple[int, str] | None:
    end = _USERNAME_RUN.match(text, start).end()  # type: ignore[union-attr]
    following = text[end] if end < len(text) else after
    if following is not None and (_is_word_char(following) or following == "@"):
        return None
    written = text[start:end].rstrip(".-")
    if not USERNAME_RE.match(written):
        return None
    return start + len(written), written.lower()


def _item_id(text: str, start: int, after: str | None) -> tuple[int, str] | None:
    match = _ITEM_ID_RUN.match(text, start)
    if match is None:
        return None
    following = text[match.end()] if match.end() < len(text) else after
    if following is not None and _is_word_char(following):
        return None
    written = match.group().rstrip(".:")
    if len(written) > MAX_ITEM_EXTERNAL_ID:
        return None
    return start + len(written), written


def may_start_after(char: str | None) -> bool:
    """Whether a marker may follow ``char`` (None: start of text, or a line break)."""
    return char is None or not (_is_word_char(char) or char in _NOT_BEFORE_A_MARKER)


def scan(
    text: str,
    *,
    before: str | None = None,
    after: str | None = None,
    escaped: frozenset[int] = frozenset(),
) -> list[Span]:
    """Hashtags, mentions and item references in ``text``, left to right, not overlapping.

    ``before``/``after`` are the characters a reader sees just before and after ``text`` (None
    for none); ``escaped`` holds positions of characters the writer escaped, which never start
    anything.
    """
    spans: list[Span] = []
    position = 0
    while match := _MARKERS.search(text, position):
        marker = match.start()
        position = marker + 1
        if marker in escaped or not may_start_after(text[marker - 1] if marker else before):
            continue
        char = text[marker]
        if char == "#":
            found = _hashtag(text, marker + 1, after)
            kind: Kind = "hashtag"
        elif char == "@":
            found = _username(text, marker + 1, after)
            kind = "group" if found and found[1] in GROUPS else "mention"
        else:
            found = _item_id(text, marker + 1, after)
            kind = "item"
        if found:
            end, value = found
            spans.append(Span(kind, marker, end, value))
            position = end
    return spans
