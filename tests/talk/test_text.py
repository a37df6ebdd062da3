"""``plain_text``: what a reader sees of rendered HTML. Sanitised HTML is read by a regular
expression, anything else by ``html.parser``; both must give the same text."""

from __future__ import annotations

import pytest

from talk import markdown
from talk.text import _parsed_text, _simple_text, plain_text

MARKDOWN = [
    "A *fern* & a **moss** <script>alert(1)</script> `code <b>` [link](https://example.org)",
    "| Field | Value |\n| --- | --- |\n| Collector | J. Smith &amp; co |\n\n> quoted\n> text",
    "1. one\n2. two\n\n- a\n- b\n\n---\n\n# Title\n\nline  \nbreak",
    '![alt > text](https://example.org/a.png "title > x") and x < y > z &nbsp; &#233;',
    "```\n<pre> kept & <b>raw</b>\n```\n\n#hashtag @someone ^S0001",
]

HTML = [
    # An entity is never read across a tag.
    "&am<b>p;</b> &amp<i>x</i>",
    "<p title=\"a > b\" data-x='<c>'>text</p><P>Upper</P><br/>after<hr >end",
    "<table><tr><td>a</td><td>b</td></tr></table>x&lt;y&gt;z &eacute;&#x41;",
    # Not sanitised HTML: html.parser reads these.
    "<!-- note -->a<p>b</p>",
    "a<script>var x = '<p>';</script>b<style>p {}</style>c",
    "<!DOCTYPE html>a<?pi x?>b",
    "a < b <p>c</p> 1 <2",
    "<textarea><p>x</p></textarea>y",
    "<template><p>hidden</p></template>shown",
    "<p>unclosed <a href='x",
]


@pytest.mark.parametrize("html", [markdown.render(text) for text in MARKDOWN] + HTML)
def test_the_fast_reading_gives_what_html_parser_gives(html):
    assert plain_text(html) == _parsed_text(html)


def test_rendered_comments_take_the_fast_reading():
    for text in MARKDOWN:
        assert _simple_text(markdown.render(text)) is not None, text
    assert _simple_text("<!-- note -->a") is None  # left to html.parser
    assert _simple_text("a < b") is None
    assert _simple_text("<script>x</script>") is None


def test_text_blocks_are_separated_and_entities_decoded():
    assert plain_text("<p>a</p><p>b&amp;c</p><td>d</td>e<b>f</b>") == "a b&c d ef"
