"""Hashtags, mentions and item references: what parse() finds and render() links (issue 3).

Example tables state each rule of talk.markup's docstring; the property tests check the rules
hold for arbitrary text: tags are canonical, code never contains markup, parsing never fails,
each hashtag written outside code becomes exactly one link, and rendering stays safe whatever a
Links answers.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote, unquote

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from talk import markup
from talk.markdown import GROUPS, Found, ItemCard, normalise_tag, parse, render
from talk.services.accounts import USERNAME_RE
from tests.talk.html_safety import problems


@dataclass
class SiteLinks:
    """A Links as a caller builds one: URLs for everything, except the names it does not know."""

    unknown: set[str] = field(default_factory=set)
    asked: list[tuple[str, str]] = field(default_factory=list)

    def tag_url(self, name: str) -> str | None:
        self.asked.append(("tag", name))
        return None if name in self.unknown else "/p/demo/tags/" + quote(name)

    def user_url(self, username: str) -> str | None:
        self.asked.append(("user", username))
        return None if username in self.unknown else "/users/" + quote(username)

    def group_url(self, group: str) -> str | None:
        self.asked.append(("group", group))
        return None if group in self.unknown else "/p/demo/groups/" + group

    def item_card(self, external_id: str) -> ItemCard | None:
        self.asked.append(("item", external_id))
        if external_id in self.unknown:
            return None
        return ItemCard(
            url="/p/demo/items/" + quote(external_id, safe=""),
            title=f"Sheet {external_id}",
            thumbnail_url=f"https://img.example/{quote(external_id, safe='')}.jpg",
        )


class Anchors(HTMLParser):
    """(class, href, text) of every link in rendered HTML."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str | None, str | None, str]] = []
        self._open: list[list] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            values = dict(attrs)
            self._open.append([values.get("class"), values.get("href"), ""])

    def handle_data(self, data: str) -> None:
        for anchor in self._open:
            anchor[2] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open:
            self.found.append(tuple(self._open.pop()))

    def of_class(self, html_class: str) -> list[tuple[str | None, str]]:
        return [(href, text) for cls, href, text in self.found if cls == html_class]


def tags(markdown: str) -> tuple[str, ...]:
    return parse(markdown).hashtags


# --- hashtags: where they are and are not ---------------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("#nurse", ("nurse",)),
        ("A #nurse and a #Doctor.", ("nurse", "doctor")),
        ("#nurse #nurse #NURSE", ("nurse",)),
        ("first #bb then #aa then #BB", ("bb", "aa")),
        # must start after start-of-text or a separator
        ("a#b", ()),
        ("C# and F#", ()),
        ("word#tag", ()),
        ("(#nurse)", ("nurse",)),
        ('"#nurse"', ("nurse",)),
        ("l'#église", ("église",)),
        ("line one\n#nurse", ("nurse",)),
        ("**#nurse**", ("nurse",)),
        ("##nurse", ()),
        ("path/#nurse", ()),
        ("x.#nurse", ()),
        # trailing punctuation, hyphen and underscore are not part of the tag
        ("#nurse.", ("nurse",)),
        ("#nurse,", ("nurse",)),
        ("#nurse;", ("nurse",)),
        ("#nurse!", ("nurse",)),
        ("#nurse's cap", ("nurse",)),
        ("#nurse-", ("nurse",)),
        ("#nurse_", ("nurse",)),
        ("#nurse--", ("nurse",)),
        ("#field-notes", ("field-notes",)),
        ("#field_notes", ("field_notes",)),
        ("#-nurse", ()),
        ("#_nurse", ()),
        ("#--", ()),
        # the word must end where the tag ends
        ("#tag**bold**", ()),
        ("#abc²", ()),
        # length 2 to 64 after normalisation; numbers allowed from two digits
        ("#a", ()),
        ("#1", ()),
        ("#ab", ("ab",)),
        ("#19", ("19",)),
        ("#1914", ("1914",)),
        ("#1914s", ("1914s",)),
        ("#" + "a" * 64, ("a" * 64,)),
        ("#" + "a" * 65, ()),
        ("#ß", ("ss",)),  # case folding makes it two characters
        # not symbols or emoji
        ("#❤", ()),
        ("#a❤b", ()),
        ("#", ()),
        ("# heading", ()),
        ("# #heading", ("heading",)),
        # escaped markers opt out
        (r"\#1914", ()),
        ("&#35;1914", ()),
        (r"\\#1914", ()),
        # in headings, lists, quotes, tables, emphasis
        ("## About #herbaria", ("herbaria",)),
        ("- #one\n- #two", ("one", "two")),
        ("> #quoted", ()),  # a quotation's tags are the quoted writer's (test_quotations)
        ("| h1 | h2 |\n|----|----|\n| #cell | x |", ("cell",)),
        ("_#em_ ~~#struck~~", ("em", "struck")),
    ],
)
def test_hashtags(markdown, expected):
    assert tags(markdown) == expected


@pytest.mark.parametrize(
    "markdown",
    [
        "`#nurse`",
        "``#nurse ` @bob``",
        "```\n#nurse @bob ^K1\n```",
        "~~~python\n#nurse\n~~~",
        "    #nurse @bob ^K1",
        "para\n\n    #nurse",
        "https://example.org/page#section",
        "http://example.org/#nurse",
        "www.example.org/page#section",
        "example.org/page#section",
        "example.org/#/route",
        "<https://example.org/#nurse>",
        "[#nurse](https://example.org)",
        "[text](https://example.org/#nurse)",
        "[text](https://example.org/#nurse 'title #nurse')",
        "[ref #nurse][r]\n\n[r]: https://example.org/#nurse",
        "![#nurse](https://example.org/a.png)",
        "[![#nurse](a.png)](https://example.org)",
        "<a href='x'>#</a>",
    ],
)
def test_nothing_in_code_urls_or_links(markdown):
    assert parse(markdown) == Found((), (), (), ())


def test_text_around_a_link_still_counts():
    assert tags("#before [link](https://example.org/#x) #after") == ("before", "after")
    assert tags("see https://example.org/#x #after") == ("after",)
    # next to a link, the link's text is what a reader sees: [see](…)#tag reads "see#tag"
    assert tags("[see](https://example.org)#tag") == ()
    assert tags("[see](https://example.org)(#tag)") == ("tag",)


@pytest.mark.parametrize(
    ("markdown", "own", "in_quotes"),
    [
        ("> #quoted @bob @team ^K1", ((), (), (), ("K1",)), (("quoted",), ("bob",), ("team",), ())),
        ("> > #deeper\n\n#mine", (("mine",), (), (), ()), (("deeper",), (), (), ())),
        ("> #both\n\n#both @bob\n> @bob", (("both",), ("bob",), (), ()), None),
        (
            "- > #in-a-list-quote\n- #listed",
            (("listed",), (), (), ()),
            (("in-a-list-quote",), (), (), ()),
        ),
        ("> quote\n\nafter #mine", (("mine",), (), (), ()), None),
        ("> quote\nlazy #continuation", ((), (), (), ()), (("continuation",), (), (), ())),
    ],
)
def test_quotations_hold_the_quoted_writer_s_tags_and_mentions(markdown, own, in_quotes):
    """Everything inside a blockquote is set apart, whoever wrote it: a quotation of a comment
    or of the record alike (write a tag outside the quotation to use it)."""
    found = parse(markdown)
    assert (found.hashtags, found.mentions, found.group_mentions, found.item_refs) == own
    assert found.quoted == (Found(*in_quotes) if in_quotes else None)


# --- hashtags: normalisation -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("#Église #église #ÉGLISE", ("église",)),
        ("#e\u0301glise", ("église",)),  # combining accent: NFKC composes it
        ("#église #eglise", ("église", "eglise")),  # accents are kept
        ("#日本", ("日本",)),
        ("#naïve", ("naïve",)),
        ("#Straße #STRASSE", ("strasse",)),
        ("#ＮＵＲＳＥ", ("nurse",)),  # full-width letters: NFKC
        ("#ﬁeld", ("field",)),  # ligature: NFKC
        ("#١٩١٤", ("١٩١٤",)),  # Arabic-Indic digits are digits
        ("#हिंदी", ("हिंदी",)),  # combining vowel signs belong to the word
        ("#Ωμέγα", ("ωμέγα",)),
    ],
)
def test_hashtag_normalisation(markdown, expected):
    assert tags(markdown) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Église", "église"),
        ("#Église", "église"),
        ("  église ", "église"),
        ("nurse-", "nurse"),
        ("e\u0301glise", "église"),
        ("a", None),
        ("", None),
        ("#", None),
        ("C#", None),
        ("two words", None),
        ("nurse.", None),
        ("-nurse", None),
        ("a" * 64, "a" * 64),
        ("a" * 65, None),
        ("<script>", None),
        ('a"b', None),
    ],
)
def test_normalise_tag(raw, expected):
    assert normalise_tag(raw) == expected


# --- mentions, group mentions, item references ---------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "mentions", "groups"),
    [
        ("@bob", ("bob",), ()),
        ("thanks @Bob.", ("bob",), ()),
        ("@bob, @alice and @bob", ("bob", "alice"), ()),
        ("(@alice)", ("alice",), ()),
        ("@j.smith-2 and @a_b", ("j.smith-2", "a_b"), ()),
        ("@bob-", ("bob",), ()),
        ("@ab", (), ()),  # usernames are 3 to 40 characters
        ("@abc", ("abc",), ()),
        ("@" + "a" * 40, ("a" * 40,), ()),
        ("@" + "a" * 41, (), ()),
        ("@.bob", (), ()),
        ("@-bob", (), ()),
        ("@bobé", (), ()),
        ("me@example.org", (), ()),
        ("write to me@example.org or mailto:me@example.org", (), ()),
        ("@bob@mastodon.social", (), ()),
        ("https://x.org/@someone", (), ()),
        ("x.org/@someone", (), ()),
        ("`@bob`", (), ()),
        ("[@bob](https://example.org)", (), ()),
        (r"\@bob", (), ()),
        ("@moderators please", (), ("moderators",)),
        (
            "@Moderators @EXPERTS @team @admins @team",
            (),
            ("moderators", "experts", "team", "admins"),
        ),
        ("@teams", ("teams",), ()),
        ("@team-a", ("team-a",), ()),
    ],
)
def test_mentions(markdown, mentions, groups):
    found = parse(markdown)
    assert (found.mentions, found.group_mentions) == (mentions, groups)


def test_groups_are_the_issue_s_four():
    assert GROUPS == ("moderators", "experts", "team", "admins")


def test_username_rule_is_the_registration_rule():
    assert markup.USERNAME_RE.pattern == USERNAME_RE.pattern


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("^K000697", ("K000697",)),
        ("see ^K000697.", ("K000697",)),
        ("(^K000697), ^E1; ^E2:", ("K000697", "E1", "E2")),
        ("^reg-1914/p.12:left", ("reg-1914/p.12:left",)),
        ("^abc.de", ("abc.de",)),  # not a web address: the caret says item
        ("^K1 ^k1 ^K1", ("K1", "k1")),  # ids keep their case
        ("x^2 and 2^10", ()),
        ("^-x", ()),
        ("^", ()),
        ("^" + "a" * 200, ("a" * 200,)),
        ("^" + "a" * 201, ()),
        ("`^K1`", ()),
        ("[^K1](https://example.org)", ()),
        ("^https://example.org/x", ()),
        (r"\^K1", ()),
    ],
)
def test_item_refs(markdown, expected):
    assert parse(markdown).item_refs == expected


# --- rendering ---------------------------------------------------------------------------------


def test_without_links_everything_stays_text():
    assert render("#Église @bob @moderators ^K1") == "<p>#Église @bob @moderators ^K1</p>"


def test_hashtags_link_as_written_to_the_normalised_name():
    html = render("#Église and #église", SiteLinks())
    assert html == (
        '<p><a class="hashtag" href="/p/demo/tags/%C3%A9glise" rel="tag">#Église</a> and '
        '<a class="hashtag" href="/p/demo/tags/%C3%A9glise" rel="tag">#église</a></p>'
    )


def test_mentions_groups_and_items_render():
    html = render("@Bob, @moderators: see ^K1.", SiteLinks())
    assert html == (
        '<p><a class="mention" href="/users/bob">@Bob</a>, '
        '<a class="mention mention-group" href="/p/demo/groups/moderators">@moderators</a>: see '
        '<a class="item-card" href="/p/demo/items/K1"><img src="https://img.example/K1.jpg" '
        'alt="" loading="lazy" width="48" height="48"><span>Sheet K1</span></a>.</p>'
    )


def test_unknown_names_stay_plain_text():
    html = render(
        "#gone @nobody @team ^missing", SiteLinks(unknown={"gone", "nobody", "team", "missing"})
    )
    assert html == "<p>#gone @nobody @team ^missing</p>"


def test_links_are_asked_once_per_name():
    links = SiteLinks()
    render("#a1 #A1 #a1 @bob @Bob ^K1 ^K1", links)
    assert sorted(links.asked) == [("item", "K1"), ("tag", "a1"), ("user", "bob")]


def test_writers_links_keep_nofollow_and_ours_do_not():
    html = render("[x](https://example.org) #tag @bob", SiteLinks())
    assert 'href="https://example.org" rel="nofollow ugc noopener"' in html
    assert 'rel="tag"' in html
    assert '<a class="mention" href="/users/bob">' in html


def test_an_item_card_without_a_usable_thumbnail_shows_the_title():
    @dataclass
    class NoThumbnails(SiteLinks):
        def item_card(self, external_id: str) -> ItemCard | None:
            return ItemCard(url="/i/1", title="Sheet", thumbnail_url="")

    assert (
        render("^K1", NoThumbnails())
        == '<p><a class="item-card" href="/i/1"><span>Sheet</span></a></p>'
    )


# --- adversarial: what a Links answers is not trusted -----------------------------------------

BAD_URLS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "\x01javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "",
    None,
]


@dataclass
class HostileLinks:
    url: str | None
    title: str = "<script>alert(1)</script>"

    def tag_url(self, name: str) -> str | None:
        return self.url

    def user_url(self, username: str) -> str | None:
        return self.url

    def group_url(self, group: str) -> str | None:
        return self.url

    def item_card(self, external_id: str) -> ItemCard | None:
        return ItemCard(url=self.url, title=self.title, thumbnail_url=self.url)  # type: ignore[arg-type]


@pytest.mark.parametrize("url", BAD_URLS)
def test_unsafe_urls_from_links_are_never_linked(url):
    html = render("#tag @bob @team ^K1", HostileLinks(url))
    assert html == "<p>#tag @bob @team ^K1</p>"


def test_urls_and_titles_from_links_are_escaped():
    links = HostileLinks('/x" onmouseover="alert(1)', title='<img src=x onerror=alert(1)>"')
    html = render("#tag @bob ^K1", links)
    assert problems(html) == []
    # the quote stays inside the href: the URL is one attribute value, not new attributes
    assert [href for _, href, _ in Anchors(html).found] == ['/x" onmouseover="alert(1)'] * 3
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert '<a class="item-card" href="/x&quot; onmouseover=&quot;alert(1)">' in html


def test_a_bad_thumbnail_drops_only_the_image():
    @dataclass
    class BadThumbnail(SiteLinks):
        def item_card(self, external_id: str) -> ItemCard | None:
            return ItemCard(url="/i/1", title="Sheet", thumbnail_url="javascript:alert(1)")

    html = render("^K1", BadThumbnail())
    assert html == '<p><a class="item-card" href="/i/1"><span>Sheet</span></a></p>'


@pytest.mark.parametrize(
    "markdown",
    ['#a"b', "#a<b>", "#a'onmouseover='x", "@bob<script>", '@bob"x', "^K1\"'<>", "#tag&amp;"],
)
def test_names_next_to_markup_characters(markdown):
    html = render(markdown, SiteLinks())
    assert problems(html) == []
    assert "<script" not in html and "<b>" not in html


def test_the_cleaner_allows_only_the_classes_and_attributes_rendering_writes():
    from talk.markdown import _cleaner

    dirty = (
        '<a class="hashtag evil" href="/a">x</a><a class="mention" href="/b" rel="author">y</a>'
        '<span class="x" style="color:red">z</span>'
        '<img src="/i.png" loading="eager" width="4000" height="48" onerror="x">'
        '<a class="item-card" href="javascript:alert(1)">w</a>'
    )
    assert _cleaner.clean(dirty) == (
        '<a href="/a" rel="nofollow ugc noopener">x</a><a class="mention" href="/b">y</a>'
        '<span>z</span><img src="/i.png" height="48"><a class="item-card">w</a>'
    )


def test_the_oracle_knows_the_new_attributes():
    assert problems('<a class="hashtag" href="/t" rel="tag">') == []
    assert problems('<a class="evil">') == ["a class='evil'"]
    assert problems('<span class="mention">') == ["attribute class"]
    assert problems('<img loading="eager">') == ["img loading='eager'"]
    assert problems('<a rel="me">') == ["rel 'me'"]


# --- properties ---------------------------------------------------------------------------------


def is_canonical_tag(name: str) -> bool:
    """The tag rule, stated independently of talk.markup."""

    def category(char: str) -> str:
        return unicodedata.category(char)

    return (
        2 <= len(name) <= 64
        and (category(name[0]).startswith("L") or category(name[0]) == "Nd")
        and name[-1] not in "-_"
        and all(c in "-_" or category(c)[0] in "LM" or category(c) == "Nd" for c in name)
        and unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold()) == name
    )


MARKDOWNISH = st.text(
    alphabet=st.sampled_from(list("#@^_-.:/\\`*[]()!<>&; \n\tabcABC19éÉ\u0301ßς日~|")), max_size=80
)
ANY_TEXT = MARKDOWNISH | st.text(max_size=200)


@settings(max_examples=400, deadline=None)
@given(ANY_TEXT)
@example("#Église #ǅx #ﬀ #ΐ #ϒ")
def test_every_tag_found_is_canonical(text):
    found = parse(text)
    for name in found.hashtags:
        assert normalise_tag(name) == name
        assert is_canonical_tag(name), name
    for username in found.mentions:
        assert USERNAME_RE.match(username) and username == username.lower()
        assert username not in GROUPS
    assert set(found.group_mentions) <= set(GROUPS)
    for values in (found.hashtags, found.mentions, found.group_mentions, found.item_refs):
        assert len(set(values)) == len(values)
    for external_id in found.item_refs:
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.:/-]*", external_id)
        assert external_id[-1] not in ".:"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_normalise_tag_is_idempotent(raw):
    name = normalise_tag(raw)
    if name is not None:
        assert normalise_tag(name) == name
        assert is_canonical_tag(name)


def longest_run(text: str, char: str) -> int:
    return max((len(run) for run in re.findall(f"{re.escape(char)}+", text)), default=0)


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
@example("#tag @bob ^K1 ```")
def test_code_spans_and_blocks_contain_nothing(text):
    fence = "`" * max(3, longest_run(text, "`") + 1)
    assert parse(f"{fence}\n{text}\n{fence}") == Found((), (), (), ())
    indented = "\n".join("    " + line for line in re.split(r"\r\n|\r|\n", text))
    assert parse(indented) == Found((), (), (), ())
    one_line = re.sub(r"[\r\n]", " ", text)
    if one_line.strip(" "):
        ticks = "`" * (longest_run(one_line, "`") + 1)
        assert parse(f"{ticks} {one_line} {ticks}") == Found((), (), (), ())


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_parse_and_render_never_fail(text):
    parse(text)
    render(text, SiteLinks())


TAG_NAMES = st.text(
    alphabet=st.characters(categories=["L", "Nd"]) | st.sampled_from("-_"), min_size=2, max_size=64
).filter(lambda name: name[0] not in "-_" and name[-1] not in "-_" and normalise_tag(name))
USERNAMES = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{1,38}[A-Za-z0-9]", fullmatch=True).filter(
    lambda name: name.lower() not in GROUPS
)
WORDS = st.from_regex(r"[a-z]{1,8}", fullmatch=True)
PIECES = st.lists(
    st.one_of(
        st.tuples(st.just("tag"), TAG_NAMES),
        st.tuples(st.just("mention"), USERNAMES),
        st.tuples(st.just("word"), WORDS),
        st.tuples(st.just("code"), TAG_NAMES),
        st.tuples(st.just("link"), TAG_NAMES),
    ),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(PIECES)
def test_each_hashtag_written_outside_code_and_links_is_one_link(pieces):
    written = {
        "tag": lambda value: f"#{value}",
        "mention": lambda value: f"@{value}",
        "word": lambda value: value,
        "code": lambda value: f"`#{value}`",
        "link": lambda value: f"[#{value}](https://example.org/#{value})",
    }
    markdown = " ".join(written[kind](value) for kind, value in pieces)
    anchors = Anchors(render(markdown, SiteLinks()))
    assert anchors.of_class("hashtag") == [
        ("/p/demo/tags/" + quote(normalise_tag(value)), f"#{value}")
        for kind, value in pieces
        if kind == "tag"
    ]
    assert anchors.of_class("mention") == [
        ("/users/" + quote(value.lower()), f"@{value}")
        for kind, value in pieces
        if kind == "mention"
    ]


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
@example("#Église @Bob ^K1. @team `#code` [#link](https://x.org/#y) #église")
def test_render_links_exactly_what_parse_finds(text):
    found = parse(text)
    anchors = Anchors(render(text, SiteLinks()))

    def linked(html_class: str, prefix: str) -> set[str]:
        hrefs = [href or "" for href, _ in anchors.of_class(html_class)]
        assert all(href.startswith(prefix) for href in hrefs)
        return {unquote(href.removeprefix(prefix)) for href in hrefs}

    quoted = found.quoted or Found((), (), (), ())
    assert linked("hashtag", "/p/demo/tags/") == {*found.hashtags, *quoted.hashtags}
    assert linked("mention", "/users/") == {*found.mentions, *quoted.mentions}
    assert linked("mention mention-group", "/p/demo/groups/") == {
        *found.group_mentions,
        *quoted.group_mentions,
    }
    assert linked("item-card", "/p/demo/items/") == set(found.item_refs)
    assert not quoted.item_refs


URLS = st.sampled_from(
    [*BAD_URLS[:-1], "/ok", "https://ok.example/x", '/x"><script>alert(1)</script>']
) | st.text(max_size=30)


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT, URLS, st.text(max_size=40))
@example("#tag @bob @team ^K1", '"><img src=x onerror=alert(1)>', "<script>alert(1)</script>")
def test_rendering_with_any_links_is_safe(text, url, title):
    html = render(text, HostileLinks(url, title))
    assert problems(html) == [], (text, url, title, html)
