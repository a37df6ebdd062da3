"""The safety oracle for rendered comment HTML: everything a browser could execute, or style.

Shared by the Markdown tests (tests/talk/test_markdown.py) and the hashtag/mention tests
(tests/talk/test_hashtag_parser.py). Independent of talk.markdown's own allow-list on purpose:
it states what the rendered HTML may contain, so a too-generous cleaner fails the tests.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

SAFE_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
SAFE_ATTRIBUTES = {"href", "src", "alt", "title", "rel", "start"}
# Attributes allowed only on one element and only with these values.
SAFE_VALUES = {
    ("a", "class"): {"hashtag", "mention", "mention mention-group", "item-card"},
    ("img", "loading"): {"lazy"},
    ("img", "width"): {"48"},
    ("img", "height"): {"48"},
}
SAFE_REL = {"nofollow", "ugc", "noopener", "tag"}


class _Markup(HTMLParser):
    """Collects every problem a browser could execute: unknown tags, handlers, bad URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in SAFE_TAGS:
            self.problems.append(f"tag {tag}")
        for name, value in attrs:
            if (tag, name) in SAFE_VALUES:
                if value not in SAFE_VALUES[tag, name]:
                    self.problems.append(f"{tag} {name}={value!r}")
            elif name not in SAFE_ATTRIBUTES:
                self.problems.append(f"attribute {name}")
            if name == "rel" and not set((value or "").split()) <= SAFE_REL:
                self.problems.append(f"rel {value!r}")
            if name in {"href", "src"}:
                scheme = urlsplit((value or "").strip()).scheme.lower()
                if scheme not in {"", "http", "https", "mailto"}:
                    self.problems.append(f"{name} scheme {scheme}")


def problems(html: str) -> list[str]:
    """Everything unsafe in ``html``; [] when a browser could only display it."""
    parser = _Markup()
    parser.feed(html)
    parser.close()
    return parser.problems
