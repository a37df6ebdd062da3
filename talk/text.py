"""The text a reader sees of rendered HTML (search snippets, quotations), and quoting a comment
in a reply."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from itertools import chain

# Elements whose start or end separates words in the text a reader sees.
_BREAKS = frozenset(
    {
        *("address", "article", "aside", "blockquote", "br", "dd", "details", "div", "dl"),
        *("dt", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6"),
        *("header", "hr", "img", "li", "main", "nav", "ol", "p", "pre", "section"),
        *("summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"),
    }
)
_SKIPPED = frozenset({"script", "style", "template"})
# A start or end tag as html.parser reads one (quoted attribute values may hold ">").
_TAG = re.compile(r"""<(/?)([a-zA-Z][^\t\n\r\f />\x00]*)(?:[^>"']|"[^"]*"|'[^']*')*>""")
# Elements whose content html.parser reads raw, or that it may in a later Python.
_RAW = frozenset({"iframe", "noembed", "noframes", "noscript", "plaintext", "textarea", "title"})
_RAW |= {"xmp"} | _SKIPPED


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag in _BREAKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BREAKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def plain_text(html: str) -> str:
    """What a reader sees of ``html``: its text, entities decoded, one space between words of
    different blocks (table cells, paragraphs, list items), no markup.

    Sanitised HTML (what Talk renders) is read by one regular expression, twice as fast as
    ``html.parser`` on a search page's long comments (docs/search.md, "Fifth round"); anything
    else — comments, declarations, raw-text elements, a stray ``<`` — by ``html.parser``. Both
    give the same text (tests/talk/test_text.py)."""
    simple = _simple_text(html)
    return _parsed_text(html) if simple is None else simple


def _simple_text(html: str) -> str | None:
    """:func:`plain_text` of HTML made of tags, text and entities only; None for other HTML."""
    if "<!" in html or "<?" in html:
        return None
    # split() gives the text between tags and each tag's two groups: [text, "/", name, text, …].
    pieces = _TAG.split(html)
    texts = pieces[0::3]
    names = [name.lower() for name in pieces[2::3]]
    if not _RAW.isdisjoint(names) or "<" in "".join(texts):
        return None
    # Each piece of text on its own: an entity is never read across a tag.
    parts = [unescape(part) if "&" in part else part for part in texts]
    breaks = [" " if name in _BREAKS else "" for name in names]
    joined = "".join(chain.from_iterable(zip(parts[:-1], breaks, strict=True)))
    return _collapsed(joined + parts[-1])


def _collapsed(text: str) -> str:
    """``text`` with one space for each run of white space, none at its ends: ``str.split``
    splits on what ``\\s`` matches, five times as fast as a substitution on a long comment."""
    return " ".join(text.split())


def _parsed_text(html: str) -> str:
    """:func:`plain_text` by ``html.parser``, for any HTML."""
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    return _collapsed("".join(collector.parts))


QUOTE_EXCERPT = 300  # characters of the quoted comment's text, at most (then cut at a word)
# Markdown syntax a quoted text could set off: escaped so the excerpt reads as it was shown.
_SPECIAL = re.compile(r"[\\`*\[\]<>|~&]|(?<!\w)_|_(?!\w)")
_BLOCK_START = re.compile(r"^(?:([#+=>-])|(\d{1,9})([.)]))")


def _escaped(text: str) -> str:
    text = _SPECIAL.sub(lambda match: "\\" + match.group(0), text)
    return _BLOCK_START.sub(
        lambda m: "\\" + m.group(1) if m.group(1) else m.group(2) + "\\" + m.group(3), text
    )


def excerpt(text: str, limit: int = QUOTE_EXCERPT) -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary, with "…" if cut."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:.") + "…"


def quotation(author_name: str, url: str, body_html: str) -> str:
    """Markdown that quotes a comment in a reply: ``> **Name** [wrote](url):`` and the start of
    its text, then a blank line for the reply. Only an excerpt of the plain text, so a long
    comment is not copied whole, and its markup (tags, mentions) sits in a quotation, where
    :func:`talk.markdown.parse` does not count it."""
    quoted = _escaped(excerpt(plain_text(body_html)))
    return f"> **{_escaped(author_name)}** [wrote]({url}):\n> {quoted}\n\n"
