"""Highlighted snippets that are safe to put in a page.

The engines mark matches with two control characters instead of tags (FTS5 ``snippet()`` and
PostgreSQL ``ts_headline()`` copy the stored text verbatim around them). Here everything is
HTML-escaped and only the markers become ``<mark>``/``</mark>``, balanced: a comment holding
``<script>`` or raw Markdown shows as that text, never as markup. A stray marker character
typed into a comment can at worst highlight a few words.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

START = "\x02"
STOP = "\x03"
_MARKERS = re.compile(f"([{START}{STOP}])")
_SPACE = re.compile(r"\s+")


def to_html(marked: str | None) -> Markup:
    """``marked`` (text with START/STOP around matches) as escaped HTML with ``<mark>``."""
    parts: list[str] = []
    open_mark = False
    for piece in _MARKERS.split(marked or ""):
        if piece == START:
            if not open_mark:
                parts.append("<mark>")
                open_mark = True
        elif piece == STOP:
            if open_mark:
                parts.append("</mark>")
                open_mark = False
        elif piece:
            parts.append(str(escape(_SPACE.sub(" ", piece))))
    if open_mark:
        parts.append("</mark>")
    return Markup("".join(parts).strip())  # noqa: S704 - every piece of text is escaped above
