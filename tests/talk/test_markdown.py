"""The comment sanitiser against injection: nothing executable survives rendering."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from talk.markdown import LINK_REL, render
from tests.talk.html_safety import problems

ATTACKS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](java\tscript:alert(1))",
    "![x](javascript:alert(1))",
    '![x](http://example.org/a.png "t" onerror=alert(1))',
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<svg onload=alert(1)>",
    "<iframe src=http://evil.example></iframe>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "[x](vbscript:msgbox(1))",
    "<<script>script>alert(1)<</script>/script>",
    "`<script>alert(1)</script>`",
    "```\n<script>alert(1)</script>\n```",
    '<a href="http://ok.example" onmouseover="alert(1)">hover</a>',
    "http://example.org/<script>alert(1)</script>",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_attacks_are_neutralised(attack):
    html = render(attack)
    assert problems(html) == [], html


def test_the_oracle_catches_what_it_should():
    assert problems('<a href="javascript:x">') == ["href scheme javascript"]
    assert problems("<img src=x onerror=y>") == ["attribute onerror"]
    assert problems("<script></script>") == ["tag script"]


def test_raw_html_is_shown_as_text_not_markup():
    assert render("<b>bold</b>") == "<p>&lt;b&gt;bold&lt;/b&gt;</p>"


def test_markdown_features_survive():
    html = render("**bold** _em_ ~~gone~~\n\n> quoted\n\n- one\n- two\n\n`code`")
    for fragment in (
        "<strong>bold</strong>",
        "<em>em</em>",
        "<s>gone</s>",
        "<blockquote>",
        "<li>one</li>",
        "<code>code</code>",
    ):
        assert fragment in html


def test_links_get_rel_and_bare_urls_are_linked():
    html = render("see [the catalogue](https://discovery.example/C1) or https://example.org/x")
    assert html.count(f'rel="{LINK_REL}"') == 2
    assert 'href="https://example.org/x"' in html


@pytest.mark.parametrize(
    ("markdown", "href"),
    [
        ("https://example.org/page#section", "https://example.org/page#section"),
        ("www.example.org/x?a=1&b=2", "http://www.example.org/x?a=1&amp;b=2"),
        ("example.org/@someone", "http://example.org/@someone"),
        ("(https://en.wikipedia.org/wiki/Foo_(bar))", "https://en.wikipedia.org/wiki/Foo_(bar)"),
        ("see https://example.org/a.", "https://example.org/a"),
        ("<https://example.org/#x>", "https://example.org/#x"),
    ],
)
def test_bare_urls_become_whole_links(markdown, href):
    assert f'<a href="{href}" rel="{LINK_REL}">' in render(markdown)


@pytest.mark.parametrize("markdown", ["me@example.org", "ftp://example.org/x", "file.txt"])
def test_email_addresses_and_other_schemes_are_not_linked(markdown):
    assert "<a" not in render(markdown)


def test_urls_in_code_are_not_linked():
    assert "<a" not in render("`https://example.org`")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>\"'=/:;()[]!`&#* \nabcjsvrptonerlx"))) | st.text())
def test_no_input_produces_executable_markup(text):
    html = render(text)
    assert problems(html) == [], (text, html)
